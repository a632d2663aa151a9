"""Tables of announced visits: the notice queue, the customer's links, feedback, complaints.

`notices` is a queue kept in the database: a row is claimed (state `sending`) in its own
committed transaction before anything leaves the server, and marked `sent` after, so a
crash never loses a notice and never sends one twice without a person deciding
(fieldapp.server.services.notices). `customer_links` hold the customer's page tokens
only as SHA-256. Complaints and feedback are the customer's own words about a visit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fieldapp.core.timeutil import utcnow
from fieldapp.server.models import Base, new_id
from fieldapp.server.types import UTCDateTime

NOTICE_STATES = ("queued", "sending", "sent", "delivered", "failed", "needs_decision", "cancelled")


class Notice(Base):
    """One message to the customer on one channel. Its id is the message id the channel
    sees (SMS gateway client message id, email Message-ID), so a gateway that drops
    duplicates by id makes a resend harmless."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_state_next", "state", "next_attempt_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    kind: Mapped[str] = mapped_column(String(20), default="appointment")
    language: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(String(500))
    decision: Mapped[str | None] = mapped_column(String(12))  # resend | mark_sent | drop
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerLink(Base):
    """A link to the customer's page: one case, one appointment, an expiry. The token
    itself is never stored, only its SHA-256."""

    __tablename__ = "customer_links"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id"), index=True)
    notice_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    first_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PageHit(Base):
    """Requests to the customer's page by key ("ip:ADDR", "bad:ADDR", "link:ID"): rate
    limiting that every worker shares."""

    __tablename__ = "page_hits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class Feedback(Base):
    """The customer's rating (1-5) and comment on one visited appointment."""

    __tablename__ = "feedback"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id"), unique=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Complaint(Base):
    """A complaint filed on the customer's page; it waits in the lead's queue until answered,
    and its answer is due by `due_at`."""

    __tablename__ = "complaints"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id"), index=True)
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default="open")  # open | answered
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
