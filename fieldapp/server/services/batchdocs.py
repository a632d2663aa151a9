"""The second half of writing a batch of cases: their ready-to-send documents, the change
rows that tell their agents, the ended assignment periods and the audit entries, each
written with one statement for the whole batch.

The documents are built exactly as `records.refresh_documents` builds them (`load_cases`
and `case_record`); the change rows follow `changes.emit` (one row per recipient and case,
under a fresh number from the same counter, taken for the whole batch at once).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fieldapp.server.compliance import Assessor
from fieldapp.server.models import AssignmentPeriod, AuditEntry, Case, ChangeRow, Counter, new_id
from fieldapp.server.services.changes import SEQ
from fieldapp.server.services.records import case_record, document_stamp, load_cases


def insert_for(session: Session, table: Any) -> Any:
    """The dialect's INSERT, which has on_conflict_do_update/nothing."""
    name = session.get_bind().dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)


def write_many(session: Session, stmt: Any, values: list[dict[str, Any]]) -> None:
    """Run one INSERT for many rows through the driver's executemany: one statement,
    prepared once (sqlite3 loops in C, psycopg pipelines the rows). Measured faster than
    multi-row VALUES, which psycopg re-parses in Python for every batch."""
    if values:
        session.execute(stmt, values)


@dataclass(frozen=True)
class Change:
    recipient_id: str
    case_id: str
    op: str  # upsert | tombstone
    reason: str | None


@dataclass(frozen=True)
class Ended:
    """An assignment period that ends with the change at index `change` of the batch."""
    case_id: str
    agent_id: str
    started_at: dt.datetime
    change: int
    reason: str


def finish_batch(session: Session, case_ids: Sequence[str], reread: Sequence[str],
                 changed_customers: Sequence[str], changes: list[Change], ended: Sequence[Ended], audit: Sequence[tuple[str, str, str | None]],
                 actor_id: str | None, now: dt.datetime, assessor: Assessor | None = None,
                 ) -> tuple[list[tuple[str, str]], int]:
    """Documents, changes, periods and audit of a written batch: ((external_id, why) of the
    open cases that cannot be visited as planned, number of change rows). `case_ids`: all
    cases of the batch; `reread`: those whose documents are to be read back and rewritten."""
    assessor = assessor or Assessor()
    siblings = _siblings(session, case_ids, changed_customers, changes, now)
    flagged = write_documents(session, list(reread), assessor, flag=True)
    write_documents(session, siblings, assessor)
    seqs = _changes(session, changes, now)
    if ended:
        write_many(session, AssignmentPeriod.__table__.insert(), [
            dict(id=new_id(), case_id=e.case_id, agent_id=e.agent_id, started_at=e.started_at, ended_at=now,
                 end_seq=seqs[e.change], end_reason=e.reason) for e in ended])
    if audit:
        write_many(session, AuditEntry.__table__.insert(), [
            dict(at=now, actor_id=actor_id, action=action, object_type="case", object_id=case_id,
                 detail={"agent_id": agent_id}) for action, case_id, agent_id in audit])
    return flagged, len(seqs)


def _siblings(session: Session, case_ids: Sequence[str], customers: Sequence[str], changes: list[Change],
              now: dt.datetime) -> list[str]:
    """The other open cases of customers whose details changed: they carry the customer
    (in their documents and on their agents' laptops), so they change too."""
    if not customers:
        return []
    cases_t = Case.__table__
    batch = set(case_ids)
    found = [r for r in session.execute(
        select(cases_t.c.id, cases_t.c.assigned_agent_id, cases_t.c.assigned_at)
        .where(cases_t.c.customer_id.in_(customers), cases_t.c.status == "open").order_by(cases_t.c.id))
        if r.id not in batch]
    if not found:
        return []
    session.execute(update(cases_t).where(cases_t.c.id == bindparam("_id")).values(
        updated_at=bindparam("_at"), assigned_at=bindparam("_assigned")), [
        dict(_id=r.id, _at=now, _assigned=(r.assigned_at or now) if r.assigned_agent_id else r.assigned_at)
        for r in found])
    changes.extend(Change(r.assigned_agent_id, r.id, "upsert", None) for r in found if r.assigned_agent_id)
    return [r.id for r in found]


def document_of(case: Any, assessor: Assessor) -> tuple[str | None, str | None, str | None]:
    """(document, stamp, why it cannot be visited as planned or None) of a case read by
    `load_cases` or built in memory in the same shape. Closed cases have no document."""
    if case.status != "open":
        return None, None, None
    record = case_record(case, assessor)
    why = record.compliance.summary if record.compliance is not None and not record.compliance.allowed else None
    return record.model_dump_json(), document_stamp(case.policy_id, assessor), why


def write_documents(session: Session, case_ids: list[str], assessor: Assessor, *, flag: bool = False,
                    chunk: int = 1000) -> list[tuple[str, str]]:
    """Rewrite the documents of these cases from the database (open cases get one, closed
    cases lose theirs) with one UPDATE per chunk; with `flag`, (external_id, why) of the open
    ones that cannot be visited as planned."""
    cases_t = Case.__table__
    flagged: list[tuple[str, str]] = []
    stmt = update(cases_t).where(cases_t.c.id == bindparam("_id")).values(
        document=bindparam("_doc"), document_stamp=bindparam("_stamp"))
    for i in range(0, len(case_ids), chunk):
        values = []
        for case in load_cases(session, case_ids[i:i + chunk], fresh=True).values():
            document, stamp, why = document_of(case, assessor)
            values.append(dict(_id=case.id, _doc=document, _stamp=stamp))
            if flag and why is not None:
                flagged.append((case.external_id, why))
        if values:
            session.execute(stmt, values)
    return flagged


def _changes(session: Session, changes: list[Change], now: dt.datetime) -> list[int]:
    """Number and write the batch's changes (the latest per recipient and case); returns
    the number given to each, in order."""
    if not changes:
        return []
    counters = Counter.__table__
    last = int(session.execute(update(counters).where(counters.c.name == SEQ)
                               .values(value=counters.c.value + len(changes))
                               .returning(counters.c.value)).scalar_one())
    seqs = list(range(last - len(changes) + 1, last + 1))
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for seq, c in zip(seqs, changes):
        latest[(c.recipient_id, c.case_id)] = dict(seq=seq, recipient_id=c.recipient_id, case_id=c.case_id,
                                                   op=c.op, reason=c.reason, created_at=now)
    table = ChangeRow.__table__
    stmt = insert_for(session, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.recipient_id, table.c.case_id],
        set_={c: stmt.excluded[c] for c in ("seq", "op", "reason", "created_at")})
    write_many(session, stmt, list(latest.values()))
    return seqs
