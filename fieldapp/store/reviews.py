"""The team lead's review queue on the laptop: the team's visits as review items, their
decisions waiting in the outbox, the lead pull cursor and the last team figures.

Clear columns are what filtering and sync bookkeeping need and nothing about a customer
(ids, reference, agent user name, visit time, outcome code, review state, exception
kinds). The review item itself (customer, notes, transcript) is sealed, like a case.
A pulled change replaces every item of its case; a decision the lead made here is
remembered by its outbox item id, so the queue shows it until the server has answered.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import CheckConstraint, Integer, LargeBinary, String, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from fieldapp.protocol.lead import FiguresResponse, LeadChange, ReviewItem
from fieldapp.store.crypto import Cipher
from fieldapp.store.models import Attachment, Base, OutboxEntry, UtcDateTime


class LeadReview(Base):
    __tablename__ = "lead_reviews"

    visit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    reference: Mapped[str] = mapped_column(String(100))
    agent: Mapped[str] = mapped_column(String(100), index=True)       # user name of the agent
    visit_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    outcome: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[str] = mapped_column(String(10), index=True)         # the server's review state
    exceptions: Mapped[str] = mapped_column(String(200))               # ",kind,kind," or ""
    superseded_by: Mapped[str | None] = mapped_column(String(64))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pending_item: Mapped[str | None] = mapped_column(String(64))       # outbox id of a local decision
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)                   # sealed ReviewItem JSON
    # Last, as the migration that added it appends it: raw rows stay positional (store.rescue).
    report_sha256: Mapped[str | None] = mapped_column(String(64))      # the signed visit report PDF


class LeadMeta(Base):
    __tablename__ = "lead_meta"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    last_sync_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    figures: Mapped[bytes | None] = mapped_column(LargeBinary)        # sealed FiguresResponse JSON


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows; None/empty means any. Dates bound `visit_at` (UTC, end excluded)."""

    agent: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    outcome: str | None = None
    exception: str | None = None   # one kind, or "any" for visits with at least one
    state: str | None = None       # pending | approved | returned | escalated
    include_superseded: bool = False


@dataclass(frozen=True)
class ReviewRow:
    """A light, decrypted queue row."""

    visit_id: str
    case_id: str
    reference: str
    customer_name: str
    agent: str
    agent_name: str
    visit_at: dt.datetime
    timezone: str
    outcome: str
    contact_made: bool
    state: str
    exceptions: tuple[str, ...]
    superseded_by: str | None
    corrects_visit_id: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    comment: str
    pending_decision: str | None = None   # the lead's own decision not yet settled by the server
    pending_state: str | None = None      # its outbox state: waiting | sending | accepted | rejected
    pending_reason: str | None = None     # the server's reason when rejected


def item_label(visit_id: str) -> str:
    return f"lead-review:{visit_id}"


def _exceptions(kinds: Iterable[str]) -> str:
    kinds = list(kinds)
    return "," + ",".join(kinds) + "," if kinds else ""


# ---------------------------------------------------------------------------- pull
def cursor(session: Session) -> int:
    meta = session.get(LeadMeta, 1)
    return meta.cursor if meta is not None else 0


def _meta(session: Session) -> LeadMeta:
    meta = session.get(LeadMeta, 1)
    if meta is None:
        meta = LeadMeta(id=1, cursor=0)
        session.add(meta)
        session.flush()
    return meta


def set_cursor(session: Session, value: int, now: dt.datetime) -> None:
    meta = _meta(session)
    meta.cursor, meta.last_sync_at = value, now


def apply_changes(session: Session, cipher: Cipher, changes: Iterable[LeadChange]) -> int:
    """Apply one page inside the caller's transaction; returns how many items it wrote.

    Each change replaces the items of its case; a local decision still waiting for the
    server stays attached to its visit."""
    last: dict[str, LeadChange] = {}
    for change in changes:
        last.pop(change.case_id, None)
        last[change.case_id] = change
    if not last:
        return 0
    pending = dict(session.execute(select(LeadReview.visit_id, LeadReview.pending_item)
                                   .where(LeadReview.case_id.in_(list(last)),
                                          LeadReview.pending_item.is_not(None))).all())
    session.execute(delete(LeadReview).where(LeadReview.case_id.in_(list(last))))
    written = 0
    for change in last.values():
        for item in change.items:
            session.add(_row(item, change.seq, cipher, pending.get(item.visit_id)))
            written += 1
    session.flush()
    return written


def _row(item: ReviewItem, seq: int, cipher: Cipher, pending_item: str | None) -> LeadReview:
    visit = item.visit
    agreement = visit.agreement
    return LeadReview(
        visit_id=item.visit_id, case_id=item.case.id, reference=item.case.reference,
        agent=item.agent.username, visit_at=visit.checked_in_at or visit.agent_started_at,
        outcome=visit.outcome.value, state=item.review.state.value,
        exceptions=_exceptions(item.exceptions), superseded_by=item.superseded_by,
        pdf_sha256=agreement.pdf_sha256 if agreement else None, report_sha256=visit.report_sha256,
        pending_item=pending_item, seq=seq,
        data=cipher.seal(item.model_dump_json().encode("utf-8"), item_label(item.visit_id)))


def missing_pdfs(session: Session) -> list[str]:
    """Signed PDFs (agreements and visit reports) the queue refers to that are not on this
    laptop yet."""
    have = select(Attachment.sha256)
    out: set[str] = set()
    for column in (LeadReview.pdf_sha256, LeadReview.report_sha256):
        out.update(session.scalars(select(column).where(column.is_not(None), column.not_in(have))))
    return sorted(out)


def add_pdf(session: Session, sha256: str, size: int, now: dt.datetime) -> None:
    """Register a downloaded PDF (its sealed file is written by the caller first)."""
    if session.get(Attachment, sha256) is None:
        session.add(Attachment(sha256=sha256, size=size, created_at=now, uploaded_at=now))


# ---------------------------------------------------------------------------- reading
def get_item(session: Session, cipher: Cipher, visit_id: str) -> ReviewItem | None:
    blob = session.scalar(select(LeadReview.data).where(LeadReview.visit_id == visit_id))
    if blob is None:
        return None
    return ReviewItem.model_validate_json(cipher.open(blob, item_label(visit_id)))


def pending_item_of(session: Session, visit_id: str) -> tuple[str | None, str | None]:
    """(outbox item id, its state) of the visit's local decision, if any."""
    row = session.execute(select(LeadReview.pending_item, OutboxEntry.state)
                          .outerjoin(OutboxEntry, OutboxEntry.id == LeadReview.pending_item)
                          .where(LeadReview.visit_id == visit_id)).first()
    return (row[0], row[1]) if row is not None else (None, None)


def set_pending(session: Session, visit_id: str, item_id: str) -> None:
    session.execute(update(LeadReview).where(LeadReview.visit_id == visit_id).values(pending_item=item_id))


def agents(session: Session) -> list[str]:
    return list(session.scalars(select(LeadReview.agent).distinct().order_by(LeadReview.agent)))


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(LeadReview.state, func.count()).where(LeadReview.superseded_by.is_(None))
                           .group_by(LeadReview.state)).all()
    return {state: n for state, n in rows}


def rows(session: Session, cipher: Cipher, flt: QueueFilter | None = None) -> list[ReviewRow]:
    flt = flt or QueueFilter()
    stmt = (select(LeadReview.visit_id, LeadReview.data, LeadReview.pending_item, OutboxEntry.state,
                   OutboxEntry.reason, OutboxEntry.payload)
            .outerjoin(OutboxEntry, OutboxEntry.id == LeadReview.pending_item)
            .order_by(LeadReview.visit_at.desc(), LeadReview.visit_id))
    if flt.agent:
        stmt = stmt.where(LeadReview.agent == flt.agent)
    if flt.since is not None:
        stmt = stmt.where(LeadReview.visit_at >= flt.since)
    if flt.until is not None:
        stmt = stmt.where(LeadReview.visit_at < flt.until)
    if flt.outcome:
        stmt = stmt.where(LeadReview.outcome == flt.outcome)
    if flt.exception == "any":
        stmt = stmt.where(LeadReview.exceptions != "")
    elif flt.exception:
        stmt = stmt.where(LeadReview.exceptions.contains(f",{flt.exception},", autoescape=True))
    if flt.state:
        stmt = stmt.where(LeadReview.state == flt.state)
    if not flt.include_superseded:
        stmt = stmt.where(or_(LeadReview.superseded_by.is_(None), LeadReview.superseded_by == ""))
    out = []
    for visit_id, blob, item_id, item_state, reason, payload in session.execute(stmt):
        d = json.loads(cipher.open(blob, item_label(visit_id)))
        decision = None
        if item_id and payload is not None:
            decision = cipher.open_json(payload, f"outbox:{item_id}").get("decision")
        out.append(_light(d, decision, item_state, reason))
    return out


def _light(d: dict[str, Any], decision: str | None, item_state: str | None, reason: str | None) -> ReviewRow:
    visit, review, agent = d["visit"], d["review"], d["agent"]
    decided_by = review.get("decided_by")
    settled = item_state == "accepted"
    return ReviewRow(
        visit_id=d["visit_id"], case_id=d["case"]["id"], reference=d["case"]["reference"],
        customer_name=d["case"]["customer_name"], agent=agent["username"],
        agent_name=agent["display_name"],
        visit_at=_parse(visit.get("checked_in_at") or visit["agent_started_at"]),
        timezone=d["case"]["timezone"], outcome=visit["outcome"], contact_made=bool(visit["contact_made"]),
        state=review["state"], exceptions=tuple(d.get("exceptions") or ()),
        superseded_by=d.get("superseded_by"), corrects_visit_id=visit.get("corrects_visit_id"),
        decided_by=(decided_by or {}).get("display_name") or (decided_by or {}).get("username"),
        decided_at=_parse(review["decided_at"]) if review.get("decided_at") else None,
        comment=review.get("comment") or "",
        pending_decision=None if settled else decision, pending_state=None if settled else item_state,
        pending_reason=reason if item_state == "rejected" else None)


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---------------------------------------------------------------------------- figures, wipe
def save_figures(session: Session, cipher: Cipher, figures: FiguresResponse) -> None:
    _meta(session).figures = cipher.seal(figures.model_dump_json().encode("utf-8"), "lead-figures")


def load_figures(session: Session, cipher: Cipher) -> FiguresResponse | None:
    meta = session.get(LeadMeta, 1)
    if meta is None or meta.figures is None:
        return None
    return FiguresResponse.model_validate_json(cipher.open(meta.figures, "lead-figures"))


def wipe(session: Session) -> list[str]:
    """Forget the queue, the cursor and the figures; returns the PDF hashes it held (the
    caller deletes their rows and files unless something else uses them)."""
    shas = [sha for column in (LeadReview.pdf_sha256, LeadReview.report_sha256)
            for sha in session.scalars(select(column).where(column.is_not(None)))]
    session.execute(delete(LeadReview))
    session.execute(delete(LeadMeta))
    return shas
