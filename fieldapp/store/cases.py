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
from typing import Callable, Iterable

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fieldapp.core.money import MINOR_UNITS
from fieldapp.protocol.v1 import CaseRecord, Change
from fieldapp.store.crypto import Cipher
from fieldapp.store import field
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


def _case_values(change: Change, record: CaseRecord, cipher: Cipher,
                 stamp: Callable[[dt.datetime], object]) -> tuple:
    """The row of a case, in `_CASE_COLUMNS` order; `stamp` binds a datetime as the store
    keeps it (the column type's own processor)."""
    appt = record.appointment
    return (record.id, record.reference, str(record.status), stamp(appt.start) if appt else None,
            record.days_past_due, record.tier, amount_minor(record.amount_due, record.currency),
            record.currency, stamp(record.updated_at), change.seq, None,
            cipher.seal(record.model_dump_json().encode("utf-8"), case_label(record.id)))


def apply_changes(session: Session, cipher: Cipher, changes: Iterable[Change]) -> ApplyResult:
    """Apply one page inside the caller's transaction."""
    last: dict[str, Change] = {}
    for change in changes:
        last.pop(change.case_id, None)  # keep dict order = order of the final change
        last[change.case_id] = change
    result = ApplyResult()
    upserts = [c for c in last.values() if c.op == "upsert" and c.case is not None]
    tombstones = [c for c in last.values() if c.op == "tombstone"]
    if upserts:
        _upsert(session, cipher, upserts)
        result.upserts = len(upserts)
    if tombstones:
        _tombstone(session, tombstones, result)
    return result


def _upsert(session: Session, cipher: Cipher, changes: list[Change]) -> None:
    conn = session.connection()
    stamp = _CASES.c.updated_at.type.bind_processor(conn.dialect)
    rows = [_case_values(c, c.case, cipher, stamp) for c in changes]  # type: ignore[arg-type]
    conn.exec_driver_sql(_UPSERT_SQL, rows)

    case_ids = [c.case_id for c in changes]
    with_tasks = [c for c in changes if c.case.tasks]  # type: ignore[union-attr]
    done: dict[str, dt.datetime] = {}
    for chunk in _chunks(case_ids, 900):
        done.update(conn.execute(select(_TASKS.c.id, _TASKS.c.done_at)
                                 .where(_TASKS.c.case_id.in_(chunk), _TASKS.c.done_at.is_not(None))).all())
        conn.execute(delete(_TASKS).where(_TASKS.c.case_id.in_(chunk)))
    task_rows = [
        {"id": t.id, "case_id": c.case_id, "kind": t.kind, "visit_id": t.visit_id,
         "created_at": t.created_at, "done_at": done.get(t.id),
         "data": cipher.seal(t.model_dump_json().encode("utf-8"), f"task:{t.id}")}
        for c in with_tasks for t in c.case.tasks  # type: ignore[union-attr]
    ]
    if task_rows:
        conn.execute(sqlite_insert(_TASKS).on_conflict_do_nothing(), task_rows)


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
    photos = field.forget_case(session, case_id)  # photos no visit took yet go with the case
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


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _chunks(items: list[str], size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]
