"""Real servers on 127.0.0.1 for tests and the demo: an SMTP server (aiosmtpd) that keeps
what it receives, and an SMS gateway speaking the documented JSON interface (SMS_GATEWAY.md)
that drops duplicates by client message id and posts signed delivery receipts.

    with LoopbackSmtp(mailbox=Path("mail")) as smtp:      # smtp.url -> smtp://127.0.0.1:PORT
        ...; smtp.messages                                 # email.message.EmailMessage objects
    with LoopbackSmsGateway(secret="s") as gw:             # gw.url -> http://127.0.0.1:PORT/send
        ...; gw.messages; gw.deliver(client_message_id)    # posts the receipt to the callback

`hold()` makes either server keep the next message's answer back until `release()` (the
message is already received): the moment a real server has it but the sender does not know.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
import time
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

import httpx

from fieldapp.core.timeutil import iso, utcnow
from fieldapp.server.notify.channels import SIGNATURE_HEADER, sign


def free_port(host: str = "127.0.0.1") -> int:
    """A port free at the moment (for a server in another process; another process may take
    it before that server binds it: a server in this process should `reserve_socket`)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def reserve_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A TCP socket bound to `host`:`port` (0: any free port), ready to serve: the port is
    this process's from now on."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


class _Hold:
    def __init__(self) -> None:
        self._armed = False
        self._release = threading.Event()
        self.reached = threading.Event()  # a held message has been received

    def arm(self) -> None:
        self._armed, self._release = True, threading.Event()
        self.reached.clear()

    def release(self) -> None:
        self._armed = False
        self._release.set()

    def take(self) -> threading.Event | None:
        """The event to wait on when this message is to be held, else None."""
        if not self._armed:
            return None
        self._armed = False
        self.reached.set()
        return self._release


class LoopbackSmtp:
    """aiosmtpd on loopback; every message is kept in `messages` (and written to `mailbox`)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, mailbox: Path | None = None,
                 on_message: Callable[[EmailMessage], None] | None = None, tls_context: Any = None):
        # Bound now, so the URL can be handed out before the server starts and nobody else can
        # take the port in between (a port only looked up free was taken by parallel runs).
        self._socket: socket.socket | None = reserve_socket(host, port)
        self.host, self.port = host, self._socket.getsockname()[1]
        self.tls_context = tls_context  # an ssl.SSLContext: STARTTLS offered and required
        self.mailbox = mailbox
        self.on_message = on_message
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._hold = _Hold()
        self.down = False  # answer every message with 421 (a server that is up but refusing)
        self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def reached(self) -> threading.Event:
        return self._hold.reached

    def hold(self) -> None:
        self._hold.arm()

    def release(self) -> None:
        self._hold.release()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.down:
            return "421 service not available, try later"
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(msg)  # type: ignore[arg-type]
            if self.mailbox is not None:
                self.mailbox.mkdir(parents=True, exist_ok=True)
                name = f"{len(self.messages):04d}.eml"
                (self.mailbox / name).write_bytes(envelope.original_content or envelope.content)
        if self.on_message is not None:
            self.on_message(msg)  # type: ignore[arg-type]
        held = self._hold.take()
        if held is not None:
            while not held.is_set():
                await asyncio.sleep(0.05)
        return "250 Message accepted for delivery"

    def start(self) -> "LoopbackSmtp":
        from aiosmtpd.controller import Controller

        sock = self._socket or reserve_socket(self.host, self.port)  # (started again: the same port)
        self._socket = None  # the server closes it when it stops

        class _OnSocket(Controller):
            def _create_server(self):  # type: ignore[no-untyped-def]
                return self.loop.create_server(self._factory_invoker, sock=sock, ssl=self.ssl_context)

        extra = {"tls_context": self.tls_context, "require_starttls": True} if self.tls_context else {}
        self._controller = _OnSocket(self, hostname=self.host, port=self.port, ready_timeout=10, **extra)
        try:
            self._controller.start()
        except BaseException:
            sock.close()
            raise
        return self

    def stop(self) -> None:
        self._hold.release()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._socket is not None:  # never started
            self._socket.close()
            self._socket = None

    def __enter__(self) -> "LoopbackSmtp":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def by_message_id(self, notice_id: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if notice_id in (m.get("Message-ID") or "")]


class LoopbackSmsGateway:
    """POST /send {client_message_id, to, text, callback_url} -> {message_id, status}; a client
    message id seen before is answered `duplicate` and not sent again."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, secret: str | None = None,
                 token: str | None = None, on_message: Callable[[dict[str, Any]], None] | None = None):
        self.host = host
        self.secret, self.token = secret, token
        self.on_message = on_message
        self.messages: list[dict[str, Any]] = []     # what reached phones (one per client id)
        self.requests: list[dict[str, Any]] = []     # every request, duplicates included
        self._by_client: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._hold = _Hold()
        self.fail_with: int | None = None  # answer every request with this status
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, answer = gateway._handle(self.path, self.headers, raw)
                held = gateway._hold.take() if status == 200 and answer.get("status") == "accepted" else None
                if held is not None:
                    held.wait(60)
                data = json.dumps(answer).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/send"

    @property
    def reached(self) -> threading.Event:
        return self._hold.reached

    def hold(self) -> None:
        self._hold.arm()

    def release(self) -> None:
        self._hold.release()

    def _handle(self, path: str, headers: Any, raw: bytes) -> tuple[int, dict[str, Any]]:
        if path != "/send":
            return 404, {"error": "not_found"}
        if self.token and headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": "unauthorized"}
        if self.fail_with is not None:
            return self.fail_with, {"error": "unavailable"}
        try:
            body = json.loads(raw)
            client_id, to, text = body["client_message_id"], body["to"], body["text"]
        except (ValueError, KeyError, TypeError):
            return 400, {"error": "bad_request", "detail": "client_message_id, to and text are required"}
        with self._lock:
            self.requests.append(body)
            known = self._by_client.get(client_id)
            if known is not None:
                return 200, {"message_id": known["message_id"], "status": "duplicate"}
            record = {**body, "message_id": f"gw-{len(self.messages) + 1:06d}", "received_at": iso(utcnow())}
            self._by_client[client_id] = record
            self.messages.append(record)
        if self.on_message is not None:
            self.on_message(record)
        return 200, {"message_id": record["message_id"], "status": "accepted"}

    def deliver(self, client_message_id: str, status: str = "delivered", at: str | None = None,
                secret: str | None = None) -> httpx.Response:
        """Post the delivery receipt of a message to its callback URL, signed."""
        record = self._by_client[client_message_id]
        body = json.dumps({"client_message_id": client_message_id, "message_id": record["message_id"],
                           "status": status, "at": at or iso(utcnow())}).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        key = secret if secret is not None else self.secret
        if key:
            headers[SIGNATURE_HEADER] = sign(key, body)
        return httpx.post(record["callback_url"], content=body, headers=headers, timeout=30)

    def start(self) -> "LoopbackSmsGateway":
        self._thread = threading.Thread(target=self._server.serve_forever, name="sms-gateway", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._hold.release()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> "LoopbackSmsGateway":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, count: int, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return True
            time.sleep(0.05)
        return False
