"""Tables of the client store (SQLAlchemy 2.0 typed models).

Columns in clear are only what sorting, filtering and sync bookkeeping need and what is not
personal (ids, reference, status, dates, amounts, states, hashes). Everything about the
customer, the visit payloads and the session token sits in `LargeBinary` columns sealed
with AES-GCM (see `fieldapp.store.crypto`). Times are stored in UTC.

The outbox has no foreign key to `cases` on purpose: nothing may ever cascade into it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary,
                        MetaData, String, Text, TypeDecorator, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

OUTBOX_STATES = ("waiting", "sending", "accepted", "rejected", "quarantined")
UNSENT_STATES = ("waiting", "sending")


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Meta(Base):
    """The one row describing this store: account, device, cursor, clock, key material."""

    __tablename__ = "meta"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[str] = mapped_column(String(36))
    device_id: Mapped[str] = mapped_column(String(36))
    server_url: Mapped[str | None] = mapped_column(String(500))
    username: Mapped[str | None] = mapped_column(String(100))
    user_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)    # UserInfo JSON
    token_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)   # only without a keyring
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    clock_offset_ms: Mapped[int | None] = mapped_column(Integer)      # server minus local
    clock_checked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_sync_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    key_check: Mapped[bytes | None] = mapped_column(LargeBinary)
    wrapped_key: Mapped[str | None] = mapped_column(Text)             # passphrase mode only


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reference: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20))
    appointment_start: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, index=True)
    days_past_due: Mapped[int] = mapped_column(Integer, index=True)
    tier: Mapped[str | None] = mapped_column(String(20))
    amount_minor: Mapped[int] = mapped_column(Integer, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    seq: Mapped[int] = mapped_column(Integer)                  # server change applied last
    withdrawn: Mapped[str | None] = mapped_column(String(20))  # kept for unsent work
    data: Mapped[bytes] = mapped_column(LargeBinary)           # sealed CaseRecord JSON

    # Only the few withdrawn cases are indexed: a sync's purge looks them up without a
    # scan (SQLite uses no plain index for `IS NOT NULL`, a partial one it does).
    __table_args__ = (Index("ix_cases_withdrawn_set", "withdrawn", sqlite_where=text("withdrawn IS NOT NULL")),)


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    visit_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    data: Mapped[bytes] = mapped_column(LargeBinary)           # sealed TaskRecord JSON


class Attachment(Base):
    __tablename__ = "attachments"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    uploaded_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class OutboxEntry(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("state IN ('waiting','sending','accepted','rejected','quarantined')", name="state"),
        Index("ix_outbox_state_created", "state", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # client-made UUID
    kind: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    case_reference: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed; cleared after purge
    content_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12), default="waiting")
    server_status: Mapped[str | None] = mapped_column(String(10))  # accepted | duplicate | rejected
    code: Mapped[str | None] = mapped_column(String(60))   # the server's, or why it was quarantined
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class OutboxAttachment(Base):
    __tablename__ = "outbox_attachments"

    outbox_id: Mapped[str] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("attachments.sha256"), primary_key=True, index=True)


class VisitDraft(Base):
    __tablename__ = "visit_drafts"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[bytes] = mapped_column(LargeBinary)  # sealed JSON
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Document(Base):
    """A signed document of a visit recorded on this laptop: the agreement or the visit
    report, as signed here (`signed_sha256`) and, once fetched after a sync, as the server
    sealed it (`sealed_sha256`); both are attachment files. Only hashes and times in clear."""

    __tablename__ = "documents"

    visit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)    # agreement | visit_report
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    signed_sha256: Mapped[str] = mapped_column(String(64))
    sealed_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    sealed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)  # when the sealed copy was fetched
