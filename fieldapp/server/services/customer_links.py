"""The customer's links: unguessable, single-case, expiring tokens, stored only as SHA-256.

A link is made when a notice is rendered (each notice carries its own), names one case and
one appointment, and expires `customer_link_days` after the appointment ends (long enough
to rate the visit or complain). Opening a link the first time proves the notice it came in
reached the customer (services/notices.py: delivered).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.server import audit
from fieldapp.server.models import Appointment
from fieldapp.server.models_appointments import CustomerLink, Notice
from fieldapp.server.settings import ServerSettings

TOKEN_BYTES = 32  # 256 bits: 43 URL-safe characters
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def mint(session: Session, appt: Appointment, settings: ServerSettings, *, notice_id: str | None = None,
         now: dt.datetime | None = None) -> str:
    """A new link for the appointment; returns the token (the only time it exists in clear)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = max(appt.end, now) + dt.timedelta(days=settings.customer_link_days)
    session.add(CustomerLink(token_sha256=digest(token), case_id=appt.case_id, appointment_id=appt.id,
                             notice_id=notice_id, created_at=now, expires_at=expires))
    session.flush()
    return token


def url(settings: ServerSettings, token: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/c/{token}"


def resolve(session: Session, token: str, now: dt.datetime | None = None) -> tuple[CustomerLink | None, str]:
    """(link, "ok") for a valid token; (None, "unknown") for a forged or malformed one;
    (link, "expired") past its expiry or revoked."""
    if not TOKEN_PATTERN.match(token or ""):
        return None, "unknown"
    link = session.scalar(select(CustomerLink).where(CustomerLink.token_sha256 == digest(token)))
    if link is None:
        return None, "unknown"
    now = now or utcnow()
    if link.revoked_at is not None or link.expires_at <= now:
        return link, "expired"
    return link, "ok"


def opened(session: Session, link: CustomerLink, now: dt.datetime | None = None) -> None:
    """The customer opened the link: note it, and take it as proof the notice arrived."""
    from fieldapp.server.services import notices

    now = now or utcnow()
    first = link.first_used_at is None
    if first:
        link.first_used_at = now
        audit.record(session, "link.opened", "customer_link", link.id, None, appointment_id=link.appointment_id)
    link.last_used_at = now
    if first and link.notice_id:
        notice = session.get(Notice, link.notice_id)
        if notice is not None and notice.state in ("sent", "delivered"):
            notices.delivered(session, notice, now, via="page", now=now)
    session.flush()
