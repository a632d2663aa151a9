"""The two ways a notice leaves the server: email through SMTP (smtplib) and SMS through an
HTTP gateway (one JSON interface, SMS_GATEWAY.md, that institutions map to their provider).

A channel sends one message and answers the provider's id, or raises `TemporaryFailure`
(try again later) or `PermanentFailure` (a person must look). `dedups` says whether the
receiving end drops a second message with the same id: an SMS gateway does, by its client
message id; an SMTP server does not, so an email cut off by a crash is never sent again
without a person deciding.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Protocol
from urllib.parse import unquote, urlsplit

import httpx

from fieldapp.core.errors import BadInput
from fieldapp.core.timeutil import utcnow
from fieldapp.server.settings import ServerSettings


SIGNATURE_HEADER = "X-Fieldapp-Signature"


def sign(secret: str, body: bytes) -> str:
    """The signature of a delivery receipt: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


_EMAIL = re.compile(r"[^\s<>@\"']+@[^\s<>@\"']+")
_NUMBER = re.compile(r"\+?\d[\d ()-]{6,}\d")


def scrub(text: str) -> str:
    """An error text without the addresses and numbers a mail server or gateway may echo:
    it goes to logs and to the lead's list, which hold no personal data."""
    return _NUMBER.sub("…", _EMAIL.sub("…@…", text))


class TemporaryFailure(Exception):
    """Not sent this time; the queue tries again after a back-off."""


class PermanentFailure(Exception):
    """Refused for good (a bad address, a rejected message): a person decides."""


@dataclass(frozen=True)
class Outgoing:
    message_id: str   # the notice id: SMTP Message-ID and SMS client message id
    to: str
    subject: str
    text: str
    language: str
    sender_name: str = ""


class Channel(Protocol):
    name: str
    dedups: bool

    def send(self, message: Outgoing) -> str | None: ...


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise BadInput(f"{url!r} is not an SMTP URL (smtp://host:port or smtps://host:port)", field="smtp_url")
    implicit = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if implicit else 25)
    except ValueError:
        raise BadInput(f"{url!r} has a bad port", field="smtp_url") from None
    return SmtpTarget(parts.hostname, port, implicit, unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password else None)


class EmailChannel:
    name = "email"
    dedups = False

    def __init__(self, settings: ServerSettings):
        if not settings.smtp_url:
            raise BadInput("no smtp_url is configured", field="smtp_url")
        self.target = parse_smtp_url(settings.smtp_url)
        self.sender = settings.smtp_sender
        self.starttls = settings.smtp_starttls
        self.timeout = settings.smtp_timeout_seconds
        self.cafile = settings.smtp_ca_file
        self.domain = self.sender.rpartition("@")[2] or "localhost"

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile)

    def build(self, message: Outgoing) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = message.subject
        msg["From"] = formataddr((message.sender_name, self.sender)) if message.sender_name else self.sender
        msg["To"] = message.to
        msg["Date"] = format_datetime(utcnow())
        msg["Message-ID"] = f"<{message.message_id}@{self.domain}>"
        msg["Content-Language"] = message.language.replace("_", "-")
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(message.text)
        return msg

    def send(self, message: Outgoing) -> str | None:
        msg = self.build(message)
        t = self.target
        try:
            if t.implicit_tls:
                client: smtplib.SMTP = smtplib.SMTP_SSL(t.host, t.port, timeout=self.timeout, context=self._tls())
            else:
                client = smtplib.SMTP(t.host, t.port, timeout=self.timeout)
            with client:
                if self.starttls and not t.implicit_tls:
                    client.starttls(context=self._tls())
                if t.username:
                    client.login(t.username, t.password or "")
                refused = client.send_message(msg)
        except smtplib.SMTPResponseException as exc:
            text = scrub(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}")[:400]
            raise (PermanentFailure if 500 <= exc.smtp_code < 600 else TemporaryFailure)(text) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise (PermanentFailure if all(500 <= c < 600 for c in codes) else TemporaryFailure)(
                f"SMTP refused the recipient ({', '.join(map(str, codes))})") from None
        except (smtplib.SMTPException, OSError, socket.timeout) as exc:
            raise TemporaryFailure(scrub(f"SMTP server {t.host}:{t.port}: {exc or type(exc).__name__}")[:400]) from None
        if refused:
            raise PermanentFailure("SMTP refused the recipient")
        return msg["Message-ID"]


class SmsChannel:
    """POST {sms_gateway_url} {client_message_id, to, text, callback_url} -> {message_id, status}."""

    name = "sms"
    dedups = True

    def __init__(self, settings: ServerSettings, client: httpx.Client | None = None):
        if not settings.sms_gateway_url:
            raise BadInput("no sms_gateway_url is configured", field="sms_gateway_url")
        self.url = settings.sms_gateway_url
        self.callback = f"{settings.public_base_url.rstrip('/')}/webhooks/sms"
        headers = {"Authorization": f"Bearer {settings.sms_gateway_token}"} if settings.sms_gateway_token else {}
        self.client = client or httpx.Client(timeout=settings.smtp_timeout_seconds, headers=headers)

    def send(self, message: Outgoing) -> str | None:
        body = {"client_message_id": message.message_id, "to": message.to, "text": message.text,
                "callback_url": self.callback}
        try:
            r = self.client.post(self.url, json=body)
        except httpx.HTTPError as exc:
            raise TemporaryFailure(f"SMS gateway: {type(exc).__name__}: {exc}"[:400]) from None
        if r.status_code in (408, 425, 429) or r.status_code >= 500:
            raise TemporaryFailure(f"SMS gateway answered {r.status_code}")
        if r.status_code >= 400:
            raise PermanentFailure(scrub(f"SMS gateway refused the message ({r.status_code}): {r.text[:200]}"))
        try:
            answer = r.json()
        except ValueError:
            raise TemporaryFailure("SMS gateway answered without JSON") from None
        provider_id = answer.get("message_id") if isinstance(answer, dict) else None
        return str(provider_id)[:100] if provider_id else None

    def close(self) -> None:
        self.client.close()


def configured_channels(settings: ServerSettings) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    if settings.smtp_url:
        channels["email"] = EmailChannel(settings)
    if settings.sms_gateway_url:
        channels["sms"] = SmsChannel(settings)
    return channels
