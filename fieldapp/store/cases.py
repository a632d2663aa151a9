"""Cases: applying pulled pages, reading light rows, purging what the server took back.

A page is reduced to the last change per case (changes are full states, ordered by
sequence), then written with one bulk upsert. A tombstone purges the case and its
personal data, unless unsent outbox items still refer to it: then the case is only
marked `withdrawn` and purged once those items are resolved.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from fieldapp.core.money import MINOR_UNITS
from fieldapp.protocol.v1 import CaseRecord, Change
from fieldapp.store.crypto import Cipher
from fieldapp.store import field as field_repo
from fieldapp.store.models import (UNSENT_STATES, Attachment, Case, OutboxAttachment, OutboxEntry,
                                   Task, VisitDraft)
from fieldapp.store.rows import ApplyResult, CaseRow

_CASES = Case.__table__
_TASKS = Task.__table__


def case_label(case_id: str) -> str:
    return f"case:{case_id}"


def amount_minor(amount_due: str, currency: str) -> int:
    """Index value for sorting; exact for known currencies, 4 decimals otherwise."""
    return int(Decimal(amount_due).scaleb(MINOR_UNITS.get(currency, 4)).to_integral_value())


_CASE_COLUMNS = ("id", "reference", "status", "appointment_start", "days_past_due", "tier",
                 "amount_minor", "currency", "updated_at", "seq", "withdrawn", "data")
# One statement for a whole page, run with the driver's executemany: SQLAlchemy's per-row
# parameter processing cost more than SQLite's own work for a 1,000-case page.
_UPSERT_SQL = (f"INSERT INTO cases ({', '.join(_CASE_COLUMNS)}) VALUES ({', '.join('?' * len(_CASE_COLUMNS))}) "
               f"ON CONFLICT (id) DO UPDATE SET "
               + ", ".join(f"{c} = excluded.{c}" for c in _CASE_COLUMNS if c != "id"))
_TASK_SQL = ("INSERT INTO tasks (id, case_id, kind, visit_id, created_at, done_at, data) "
             "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
_UTC = dt.timezone.utc


def _stamp(value: dt.datetime) -> str:
    """A datetime as the store keeps it: naive UTC, SQLAlchemy's SQLite text form (what
    `UtcDateTime` binds, without its per-value dispatch)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return value.astimezone(_UTC).isoformat(" ", "microseconds")[:-6]  # without "+00:00"


@dataclass
class PreparedPage:
    """One pulled page made ready to write: the last change per case, the rows of its cases
    and tasks sealed. Made without a session (the engine prepares the next page on its
    fetching thread while the current one is written)."""

    case_rows: list[tuple] = field(default_factory=list)      # in `_CASE_COLUMNS` order
    case_ids: list[str] = field(default_factory=list)         # upserted
    task_rows: list[list] = field(default_factory=list)       # `_TASK_SQL` order; done_at filled at write
    tombstones: list[Change] = field(default_factory=list)


def prepare_changes(cipher: Cipher, changes: Iterable[Change], documents: Mapping[str, bytes] | None = None
                    ) -> PreparedPage:
    """Reduce a page to the last change per case (changes are full states, ordered by
    sequence) and seal what is written; touches no database. `documents`: case id -> the
    case's document as the server sent it (and it validated), sealed as it is instead of
    written again from its record."""
    last: dict[str, Change] = {}
    for change in changes:
        last.pop(change.case_id, None)  # keep dict order = order of the final change
        last[change.case_id] = change
    page = PreparedPage()
    upserts = [c for c in last.values() if c.op == "upsert" and c.case is not None]
    page.tombstones = [c for c in last.values() if c.op == "tombstone"]
    if not upserts:
        return page
    records = [c.case for c in upserts]
    dump = CaseRecord.__pydantic_serializer__.to_json  # model_dump_json's bytes, without its wrapper
    sent = documents or {}
    blobs = cipher.seal_many([sent.get(r.id) or dump(r) for r in records],  # type: ignore[union-attr]
                             [case_label(r.id) for r in records])  # type: ignore[union-attr]
    stamps: dict[dt.datetime, str] = {}  # (an import gives a page's cases one time, appointments share slots)

    def stamp(value: dt.datetime) -> str:
        text = stamps.get(value)
        if text is None:
            text = stamps[value] = _stamp(value)
        return text

    for change, record, blob in zip(upserts, records, blobs):
        appt = record.appointment  # type: ignore[union-attr]
        page.case_rows.append((
            record.id, record.reference, str(record.status),  # type: ignore[union-attr]
            stamp(appt.start) if appt else None, record.days_past_due, record.tier,  # type: ignore[union-attr]
            amount_minor(record.amount_due, record.currency), record.currency,  # type: ignore[union-attr]
            stamp(record.updated_at), change.seq, None, blob))  # type: ignore[union-attr]
    page.case_ids = [c.case_id for c in upserts]
    tasks = [(c.case_id, t) for c in upserts for t in c.case.tasks]  # type: ignore[union-attr]
    if tasks:
        sealed = cipher.seal_many([t.model_dump_json().encode("utf-8") for _, t in tasks],
                                  [f"task:{t.id}" for _, t in tasks])
        page.task_rows = [[t.id, case_id, t.kind, t.visit_id, _stamp(t.created_at), None, blob]
                          for (case_id, t), blob in zip(tasks, sealed)]
    return page


def apply_changes(session: Session, cipher: Cipher, changes: Iterable[Change]) -> ApplyResult:
    """Apply one page inside the caller's transaction."""
    return apply_prepared(session, prepare_changes(cipher, changes))


def apply_prepared(session: Session, page: PreparedPage) -> ApplyResult:
    """Write a prepared page inside the caller's transaction."""
    result = ApplyResult()
    if page.case_rows:
        _upsert(session, page)
        result.upserts = len(page.case_rows)
    if page.tombstones:
        _tombstone(session, page.tombstones, result)
    return result


def _upsert(session: Session, page: PreparedPage) -> None:
    """The cases in one executemany; their tasks replaced, keeping when each was done. A
    store that holds no task at all (a first sync) skips the look-up and the delete."""
    conn = session.connection()
    conn.exec_driver_sql(_UPSERT_SQL, page.case_rows)
    done: dict[str, dt.datetime] = {}
    if conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM tasks)").scalar():
        for chunk in _chunks(page.case_ids, 900):
            done.update(conn.execute(select(_TASKS.c.id, _TASKS.c.done_at)
                                     .where(_TASKS.c.case_id.in_(chunk), _TASKS.c.done_at.is_not(None))).all())
            conn.execute(delete(_TASKS).where(_TASKS.c.case_id.in_(chunk)))
    if page.task_rows:
        for row in page.task_rows:
            row[5] = _stamp(done[row[0]]) if row[0] in done else None
        conn.exec_driver_sql(_TASK_SQL, [tuple(row) for row in page.task_rows])


def _tombstone(session: Session, changes: list[Change], result: ApplyResult) -> None:
    ids = [c.case_id for c in changes]
    present = set(session.scalars(select(Case.id).where(Case.id.in_(ids))))
    busy = unsent_case_ids(session, present)
    for change in changes:
        if change.case_id not in present:
            continue
        result.tombstones += 1
        if change.case_id in busy:
            session.execute(update(Case).where(Case.id == change.case_id)
                            .values(withdrawn=change.reason or "unassigned", seq=change.seq))
            result.kept.append(change.case_id)
        else:
            result.files_to_delete += purge_case(session, change.case_id)
            result.purged.append(change.case_id)


def unsent_case_ids(session: Session, case_ids: Iterable[str] | None = None) -> set[str]:
    stmt = select(OutboxEntry.case_id).where(OutboxEntry.state.in_(UNSENT_STATES)).distinct()
    if case_ids is not None:
        stmt = stmt.where(OutboxEntry.case_id.in_(list(case_ids)))
    return set(session.scalars(stmt))


def purge_case(session: Session, case_id: str) -> list[str]:
    """Delete the case (tasks and drafts cascade) and the payloads and files of its accepted
    items. Returns the attachment hashes whose files the caller deletes after commit."""
    from fieldapp.store import documents

    session.execute(delete(Case).where(Case.id == case_id))
    sealed = documents.purge_case(session, case_id)
    photos = field_repo.forget_case(session, case_id)  # photos no visit took yet go with the case
    accepted = select(OutboxEntry.id).where(OutboxEntry.case_id == case_id,
                                            OutboxEntry.state == "accepted")
    session.execute(update(OutboxEntry).where(OutboxEntry.id.in_(accepted)).values(payload=None))
    candidates = list(session.scalars(select(OutboxAttachment.sha256)
                                      .where(OutboxAttachment.outbox_id.in_(accepted)))) + photos
    session.execute(delete(OutboxAttachment).where(OutboxAttachment.outbox_id.in_(accepted)))
    if not candidates:
        return sealed
    still_used = set(session.scalars(select(OutboxAttachment.sha256)
                                     .where(OutboxAttachment.sha256.in_(candidates))))
    gone = [sha for sha in set(candidates) if sha not in still_used]
    session.execute(delete(Attachment).where(Attachment.sha256.in_(gone)))
    return sorted(set(gone) | set(sealed))


def purge_settled(session: Session) -> tuple[list[str], list[str]]:
    """Purge withdrawn cases whose outbox items are all resolved; (case ids, files)."""
    withdrawn = set(session.scalars(select(Case.id).where(Case.withdrawn.is_not(None))))
    if not withdrawn:
        return [], []
    ready = sorted(withdrawn - unsent_case_ids(session, withdrawn))
    files: list[str] = []
    for case_id in ready:
        files += purge_case(session, case_id)
    return ready, files


def mark_all_withdrawn(session: Session, reason: str) -> None:
    """Before a full re-pull: every case counts as withdrawn until the server sends it again."""
    session.execute(update(Case).values(withdrawn=reason))


def get_record(session: Session, cipher: Cipher, case_id: str) -> CaseRecord | None:
    blob = session.scalar(select(Case.data).where(Case.id == case_id))
    if blob is None:
        return None
    return CaseRecord.model_validate_json(cipher.open(blob, case_label(case_id)))


def list_rows(session: Session, cipher: Cipher) -> list[CaseRow]:
    tasks = dict(session.execute(select(Task.case_id, func.count())
                                 .where(Task.done_at.is_(None), Task.kind == "visit_returned")
                                 .group_by(Task.case_id)).all())
    unsent = dict(session.execute(select(OutboxEntry.case_id, func.count())
                                  .where(OutboxEntry.state.in_(UNSENT_STATES))
                                  .group_by(OutboxEntry.case_id)).all())
    drafts = set(session.scalars(select(VisitDraft.case_id)))
    rows = []
    result = session.execute(select(Case.id, Case.withdrawn, Case.data)
                             .order_by(Case.appointment_start.is_(None), Case.appointment_start,
                                       Case.reference))
    for case_id, withdrawn, blob in result:
        d = json.loads(cipher.open(blob, case_label(case_id)))
        cust, appt, comp = d["customer"], d.get("appointment"), d.get("compliance")
        rows.append(CaseRow(
            id=case_id, reference=d["reference"], status=d["status"],
            customer_name=cust["name"], address=cust["address"],
            amount=Decimal(d["amount_due"]), currency=d["currency"],
            days_past_due=d["days_past_due"], tier=d.get("tier"),
            appointment_start=_parse(appt["start"]) if appt else None,
            appointment_end=_parse(appt["end"]) if appt else None,
            flags=tuple(cust.get("flags") or ()),
            compliance_allowed=comp["allowed"] if comp else None,
            compliance_summary=comp["summary"] if comp else None, timezone=cust.get("timezone"),
            withdrawn=withdrawn, open_tasks=tasks.get(case_id, 0),
            unsent_items=unsent.get(case_id, 0), has_draft=case_id in drafts))
    return rows


def locations(session: Session, cipher: Cipher) -> list[tuple[float, float]]:
    """(lat, lon) of the customer of every case not withdrawn that has a place."""
    points = []
    for case_id, blob in session.execute(select(Case.id, Case.data).where(Case.withdrawn.is_(None))):
        loc = json.loads(cipher.open(blob, case_label(case_id)))["customer"].get("location")
        if loc is not None:
            points.append((loc["lat"], loc["lon"]))
    return points


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _chunks(items: list[str], size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]
