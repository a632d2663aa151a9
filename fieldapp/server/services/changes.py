"""The change log behind pull.

Each (recipient agent, case) pair keeps only its latest change, under a fresh sequence
number: an upsert always carries the case as it is *now*, so older rows add nothing.
Numbers come from one counter row updated inside the writing transaction; its row lock
makes numbers follow commit order, so a reader never sees seq N+1 before seq N commits.
The lock is taken as late as it can be: `emit` only notes the change in the session, and
the transaction's commit numbers all its noted changes as its last statements (one counter
update, one upsert of the change rows), so the lock is held for those and the COMMIT alone,
not for the rest of the work. A savepoint rolled back drops the changes noted inside it.
Writers that change a case call `case_changed`, which also rewrites the case's document;
`emit` alone only numbers a change (a pull builds a missing document on the fly).

The same two functions keep the assignment history: the open case's agent holds it since
`cases.assigned_at`; when the case goes to someone else (`case_unassigned`) or closes
(`case_changed`), that period is written to `case_assignments` with the tombstone's number
(given at commit, like the tombstone's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value

from fieldapp.core.timeutil import utcnow
from fieldapp.server.models import AssignmentPeriod, Case, ChangeRow, Counter, Visit
from fieldapp.server.services.records import LATER_VISIT, append_visits, later_visit_values, refresh_documents

SEQ = "change_seq"
_NOTED = "fieldapp.changes"  # session.info key: the changes noted in the open transaction


@dataclass
class _Noted:
    recipient_id: str
    case_id: str
    op: str
    reason: str | None
    period: AssignmentPeriod | None  # ends with this change: gets its number, then is added
    within: SessionTransaction  # the (nested) transaction it was noted in


_LAST = select(Counter.value).where(Counter.name == SEQ)  # built once: every idle pull asks
# Built once (every pushed visit asks): a case's document, locked, and whether a visit
# recorded before the new ones started after them.
_FOR_APPEND = (select(Case.document, Case.document_stamp, LATER_VISIT)
               .where(Case.id == bindparam("case_id")).with_for_update(key_share=True))


def last_seq(session: Session) -> int:
    return int(session.scalar(_LAST) or 0)


def emit(session: Session, recipient_id: str, case_id: str, op: str, reason: str | None = None,
         period: AssignmentPeriod | None = None) -> None:
    """Note a change for `recipient_id`; it is numbered and written when the transaction
    commits (`number_changes`). `period`, an ended assignment, is added then with its number."""
    if session.get_transaction() is None:
        session.connection()  # begins the transaction the change belongs to
    innermost = session.get_nested_transaction() or session.get_transaction()
    assert innermost is not None
    session.info.setdefault(_NOTED, []).append(_Noted(recipient_id, case_id, op, reason, period, innermost))


def number_changes(session: Session) -> int:
    """Number the changes noted so far and write them: one counter update (taking its lock)
    for all, then the latest per (recipient, case) upserted under its number. Runs by itself
    at commit, after the session's other writes are flushed; returns how many were numbered."""
    noted: list[_Noted] = session.info.pop(_NOTED, [])
    if not noted:
        return 0
    session.flush()  # every other write (and its row locks) before the counter's lock
    counters = Counter.__table__
    last = int(session.execute(update(counters).where(counters.c.name == SEQ)
                               .values(value=counters.c.value + len(noted))
                               .returning(counters.c.value)).scalar_one())
    now = utcnow()
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for seq, n in zip(range(last - len(noted) + 1, last + 1), noted):
        latest[(n.recipient_id, n.case_id)] = dict(seq=seq, recipient_id=n.recipient_id, case_id=n.case_id,
                                                   op=n.op, reason=n.reason, created_at=now)
        if n.period is not None:
            n.period.end_seq = seq
            session.add(n.period)
    rows = list(latest.values())
    session.execute(_upsert(session.get_bind().dialect.name), rows if len(rows) > 1 else rows[0])
    session.flush()  # the ended periods
    return len(noted)


@lru_cache(maxsize=None)
def _upsert(dialect: str) -> Any:
    """The change row of a (recipient, case), replaced by the newer one: built once per
    dialect (building it cost more than running it, at every commit)."""
    table = ChangeRow.__table__
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return stmt.on_conflict_do_update(index_elements=[table.c.recipient_id, table.c.case_id],
                                      set_={c: stmt.excluded[c] for c in ("seq", "op", "reason", "created_at")})


@event.listens_for(Session, "before_commit")
def _number_at_commit(session: Session) -> None:
    number_changes(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """A rolled-back savepoint drops the changes noted inside it; a full rollback, all."""
    noted: list[_Noted] | None = session.info.get(_NOTED)
    if not noted:
        return
    if not previous.nested:
        session.info.pop(_NOTED, None)
        return
    session.info[_NOTED] = [n for n in noted if not _inside(n.within, previous)]


def _inside(txn: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while txn is not None:
        if txn is ancestor:
            return True
        txn = txn.parent
    return False


def case_changed(session: Session, case: Case, new_visits: Sequence[Visit] = ()) -> None:
    """Tell the case's agent: an upsert while open, a tombstone once closed. The case's
    ready-to-send document is rewritten first, in the same transaction, so a pull never
    sends a change without the state it announces. When the only change is `new_visits`,
    they are added to the document instead (its cost then does not grow with the case's
    history)."""
    now = utcnow()
    appended = False
    if new_visits and case.status == "open":
        # The case's row is locked as its document is read, so a concurrent push's visits
        # are in what is extended; the row is then written once, time and document.
        # Whether an earlier-recorded visit started later is read in the same round trip.
        session.flush()
        row = session.execute(_FOR_APPEND, {"case_id": case.id, **later_visit_values(case.id, new_visits)}).one()
        set_committed_value(case, "document", row[0])
        set_committed_value(case, "document_stamp", row[1])
        case.updated_at = now
        with session.no_autoflush:
            appended = append_visits(session, case, new_visits, later=row[2])
    if not appended:
        case.updated_at = now
        session.flush()
        refresh_documents(session, [case.id])
    if case.assigned_agent_id is None:
        return
    if case.status == "open":
        if case.assigned_at is None:
            case.assigned_at = now
        emit(session, case.assigned_agent_id, case.id, "upsert")
    else:
        period = _end_period(case, case.assigned_agent_id, "closed") if case.assigned_at is not None else None
        emit(session, case.assigned_agent_id, case.id, "tombstone", "closed", period)


def case_unassigned(session: Session, case: Case, former_agent_id: str) -> None:
    """The case left `former_agent_id` (it is already assigned elsewhere, or to nobody)."""
    emit(session, former_agent_id, case.id, "tombstone", "unassigned",
         _end_period(case, former_agent_id, "unassigned"))


def _end_period(case: Case, agent_id: str, reason: str) -> AssignmentPeriod:
    """The period ending now (added, numbered, when the change that ends it is numbered)."""
    started = case.assigned_at or case.created_at
    case.assigned_at = None
    return AssignmentPeriod(case_id=case.id, agent_id=agent_id, started_at=started, ended_at=utcnow(),
                            end_reason=reason)
