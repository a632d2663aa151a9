"""The change log behind pull.

Each (recipient agent, case) pair keeps only its latest change, under a fresh sequence
number: an upsert always carries the case as it is *now*, so older rows add nothing.
Numbers come from one counter row updated inside the writing transaction; its row lock
makes numbers follow commit order, so a reader never sees seq N+1 before seq N commits.
Writers that change a case call `case_changed`, which also rewrites the case's document;
`emit` alone only numbers a change (a pull builds a missing document on the fly).

The same two functions keep the assignment history: the open case's agent holds it since
`cases.assigned_at`; when the case goes to someone else (`case_unassigned`) or closes
(`case_changed`), that period is written to `case_assignments` with the tombstone's number.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.server.models import AssignmentPeriod, Case, ChangeRow, Counter, Visit
from fieldapp.server.services.records import append_visits, refresh_documents

SEQ = "change_seq"


def next_seq(session: Session) -> int:
    return int(session.execute(update(Counter).where(Counter.name == SEQ)
                               .values(value=Counter.value + 1).returning(Counter.value)).scalar_one())


def last_seq(session: Session) -> int:
    return int(session.scalar(select(Counter.value).where(Counter.name == SEQ)) or 0)


def emit(session: Session, recipient_id: str, case_id: str, op: str, reason: str | None = None) -> int:
    session.execute(delete(ChangeRow).where(ChangeRow.recipient_id == recipient_id,
                                            ChangeRow.case_id == case_id))
    seq = next_seq(session)
    session.execute(insert(ChangeRow).values(seq=seq, recipient_id=recipient_id, case_id=case_id,
                                             op=op, reason=reason, created_at=utcnow()))
    return seq


def case_changed(session: Session, case: Case, new_visits: Sequence[Visit] = ()) -> None:
    """Tell the case's agent: an upsert while open, a tombstone once closed. The case's
    ready-to-send document is rewritten first, in the same transaction, so a pull never
    sends a change without the state it announces. When the only change is `new_visits`,
    they are added to the document instead (its cost then does not grow with the case's
    history)."""
    now = utcnow()
    case.updated_at = now
    session.flush()
    if not append_visits(session, case, new_visits):
        refresh_documents(session, [case.id])
    if case.assigned_agent_id is None:
        return
    if case.status == "open":
        if case.assigned_at is None:
            case.assigned_at = now
        emit(session, case.assigned_agent_id, case.id, "upsert")
    else:
        seq = emit(session, case.assigned_agent_id, case.id, "tombstone", "closed")
        if case.assigned_at is not None:
            _end_period(session, case, case.assigned_agent_id, seq, "closed")


def case_unassigned(session: Session, case: Case, former_agent_id: str) -> None:
    """The case left `former_agent_id` (it is already assigned elsewhere, or to nobody)."""
    seq = emit(session, former_agent_id, case.id, "tombstone", "unassigned")
    _end_period(session, case, former_agent_id, seq, "unassigned")


def _end_period(session: Session, case: Case, agent_id: str, seq: int, reason: str) -> None:
    started = case.assigned_at or case.created_at
    session.add(AssignmentPeriod(case_id=case.id, agent_id=agent_id, started_at=started, ended_at=utcnow(),
                                 end_seq=seq, end_reason=reason))
    case.assigned_at = None
