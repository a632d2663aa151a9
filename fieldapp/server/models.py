"""The server's tables (SQLAlchemy 2.0 typed models). Alembic migrations mirror them.

Personal data lives only in `customers` (and in visit records, which are evidence). The
audit log and the change log hold ids only. Attachments are content-addressed and kept in
the database (`attachments.content`), so several workers or machines sharing one
PostgreSQL need no shared disk.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from fieldapp.core.timeutil import utcnow
from fieldapp.server.types import Money, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))  # agent | lead | admin
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    staff_number: Mapped[str | None] = mapped_column(String(40))  # shown to customers (notices, page)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team | None] = relationship(lazy="joined")


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("user_id", "device_id", name="uq_devices_user_device"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The cursor of this device's latest pull request (see services/handover.py).
    pull_cursor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Token(Base):
    """A bearer token, kept only as its SHA-256: a stolen database yields no usable token."""

    __tablename__ = "tokens"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    device_pk: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")
    device: Mapped[Device] = relationship(lazy="joined")


class LoginFailure(Base):
    """Failed logins, by key ("user:NAME" or "ip:ADDR"): throttling that every worker shares."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    external_ref: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(254))
    id_tail: Mapped[str | None] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(500))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(16))
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    reference: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    amount_due: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    days_past_due: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str | None] = mapped_column(String(50))
    product: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="open")
    assigned_agent_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Since when the assigned agent holds the open case (the current assignment period;
    # ended periods are in `case_assignments`). None while unassigned or closed.
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    policy_id: Mapped[str] = mapped_column(String(100))
    source_hash: Mapped[str | None] = mapped_column(String(64))  # of the last imported row
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The case as its agent's laptop receives it (CaseRecord JSON, planning check included),
    # rewritten in the transaction of every change, so a pull sends it as it is. The stamp
    # names the format and policy version it was built with; a pull rebuilds any other.
    document: Mapped[str | None] = mapped_column(Text, deferred=True)
    document_stamp: Mapped[str | None] = mapped_column(String(200))

    customer: Mapped[Customer] = relationship(lazy="joined")
    agent: Mapped[User | None] = relationship(lazy="joined")
    # Collections load on access; readers that need many cases use load_cases() (selectin).
    appointments: Mapped[list[Appointment]] = relationship(
        back_populates="case", order_by="Appointment.start")
    notifications: Mapped[list[Notification]] = relationship(
        back_populates="case", order_by="Notification.sent_at", cascade="all, delete-orphan")
    visits: Mapped[list[Visit]] = relationship(back_populates="case", order_by="Visit.started_at")
    contact_attempts: Mapped[list["ContactAttempt"]] = relationship(order_by="ContactAttempt.at")


class Appointment(Base):
    """`status` is the coarse state the first protocol knew (scheduled | cancelled | done);
    `state` the lifecycle of an appointment fieldapp arranges (fieldapp.server.appointments:
    proposed -> notice_sent -> delivered -> confirmed | reschedule_requested | declined ->
    visited | missed | cancelled), or "arranged" for one imported as already agreed."""

    __tablename__ = "appointments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(24), default="arranged", server_default="arranged")
    state_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)  # who visits
    proposed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    proposed_via: Mapped[str | None] = mapped_column(String(12))  # back_office | lead | agent | customer
    outbox_item_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    replaces_id: Mapped[str | None] = mapped_column(String(36))
    requested_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # the customer's pick
    requested_end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    visit_id: Mapped[str | None] = mapped_column(String(64))

    case: Mapped[Case] = relationship(back_populates="appointments")


class Notification(Base):
    __tablename__ = "notifications"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set for the notices fieldapp sends itself (None: imported with the case).
    appointment_id: Mapped[str | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    notice_id: Mapped[str | None] = mapped_column(String(36), unique=True)

    case: Mapped[Case] = relationship(back_populates="notifications")


class Visit(Base):
    __tablename__ = "visits"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the client's visit_id
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    outbox_item_id: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    contact_made: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(40))
    corrects_visit_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Set when the visit arrived after the case left its agent ("unassigned" | "closed"),
    # accepted because it was recorded while the case was theirs (services/handover.py).
    late: Mapped[str | None] = mapped_column(String(20))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)  # the VisitRecord as received
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    # A push adds a visit to its case's document when no later visit is recorded: that
    # question, and the visits a planning check counts, are answered from this index.
    __table_args__ = (Index("ix_visits_case_started", "case_id", "started_at"),)

    case: Mapped[Case] = relationship(back_populates="visits")
    agent: Mapped[User] = relationship(lazy="joined")
    review: Mapped[Review | None] = relationship(back_populates="visit")


class Agreement(Base):
    __tablename__ = "agreements"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # agreement_id
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), unique=True)
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    terms_sha256: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    total: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Review(Base):
    __tablename__ = "reviews"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), unique=True)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    visit: Mapped[Visit] = relationship(back_populates="review")
    decider: Mapped[User | None] = relationship(lazy="joined")


class PracticeRun(Base):
    """A finished practice of a conversation script by an agent (practice mode): who
    practised which script version, when. Nothing about any customer."""

    __tablename__ = "practice_runs"
    __table_args__ = (Index("ix_practice_runs_user_script", "user_id", "script_id", "script_version"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the client's practice_id
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    script_id: Mapped[str] = mapped_column(String(100))
    script_version: Mapped[int] = mapped_column(Integer)
    script_sha256: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str | None] = mapped_column(String(40))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class ReviewReply(Base):
    """The agent's answer to a returned visit: a comment for the lead and, when the notes
    needed correcting, the corrected notes. The visit record, the evidence, stays as sent."""

    __tablename__ = "review_replies"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    agent: Mapped[User] = relationship(lazy="joined")


class InstitutionSettings(Base):
    """The creditor's details, one row: names and addresses per language, registration.
    Set by an administrator; every laptop receives them at sync (GET /api/v1/institution)."""

    __tablename__ = "institution"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    addresses: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    registration: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    tile_url: Mapped[str | None] = mapped_column(String(500))  # the map's tile server, {z}/{x}/{y}


class Attachment(Base):
    __tablename__ = "attachments"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AttachmentUpload(Base):
    """Who uploaded an attachment's bytes (each user once; the first device). Uploading the
    bytes proves one has them: only an uploader may link an attachment to a visit, unless
    it is linked to that case already (services/attachments.py)."""

    __tablename__ = "attachment_uploads"
    sha256: Mapped[str] = mapped_column(ForeignKey("attachments.sha256"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    device_pk: Mapped[str | None] = mapped_column(ForeignKey("devices.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class VisitAttachment(Base):
    __tablename__ = "visit_attachments"
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("attachments.sha256"), primary_key=True, index=True)


class PushedItem(Base):
    """Receipt of an accepted outbox item: what makes a re-send a duplicate."""

    __tablename__ = "pushed_items"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[str] = mapped_column(String(36))
    content_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChangeRow(Base):
    """The change log: at most one row per (recipient, case), the latest, with a fresh seq."""

    __tablename__ = "changes"
    __table_args__ = (
        UniqueConstraint("recipient_id", "case_id", name="uq_changes_recipient_case"),
        Index("ix_changes_recipient_seq", "recipient_id", "seq"),
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    op: Mapped[str] = mapped_column(String(10))  # upsert | tombstone
    reason: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssignmentPeriod(Base):
    """An ended stretch of time during which an agent held a case: from `started_at` until
    the case was reassigned or closed (`end_reason`), the agent being told by the tombstone
    numbered `end_seq`. The current one is `cases.assigned_agent_id` since `assigned_at`."""

    __tablename__ = "case_assignments"
    __table_args__ = (Index("ix_case_assignments_agent_case", "agent_id", "case_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_seq: Mapped[int] = mapped_column(BigInteger)
    end_reason: Mapped[str] = mapped_column(String(20))  # unassigned | closed


class WithdrawalAck(Base):
    """The end of an assignment period as one device learned it: the change `seq` that told
    it, when the server served that change, and when the device showed it had applied it.
    Work the device records after `served_at` on that case is refused (services/handover.py)."""

    __tablename__ = "withdrawal_acks"
    __table_args__ = (Index("ix_withdrawal_acks_device_seq", "device_pk", "seq"),)
    assignment_id: Mapped[str] = mapped_column(ForeignKey("case_assignments.id"), primary_key=True)
    device_pk: Mapped[str] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    served_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Counter(Base):
    """Named counters; the row lock on 'change_seq' orders change numbers by commit."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class AuditEntry(Base):
    """Append-only (database triggers refuse UPDATE and DELETE). Ids only, no personal data."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class GeocodeCacheRow(Base):
    """Geocoder answers keyed by a hash of the normalised query (no address stored)."""

    __tablename__ = "geocode_cache"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# The signing authority's tables live in their own module, registered on the same metadata.
from fieldapp.server import models_signing  # noqa: E402,F401
# The appointment, notice and customer-page tables live in their own module (same metadata).
from fieldapp.server import models_appointments as _appointments  # noqa: E402,F401
# Calls and messages to customers (same metadata).
from fieldapp.server import models_field as _field  # noqa: E402,F401
from fieldapp.server.models_field import ContactAttempt  # noqa: E402,F401
