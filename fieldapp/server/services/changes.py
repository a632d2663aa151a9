"""The change log behind pull.

Each (recipient agent, case) pair keeps only its latest change, under a fresh sequence
number: an upsert always carries the case as it is *now*, so older rows add nothing.
Numbers come from one counter row updated inside the writing transaction; its row lock
makes numbers follow commit order, so a reader never sees seq N+1 before seq N commits.
Writers that change a case call `case_changed`, which also rewrites the case's document;
`emit` alone only numbers a change (a pull builds a missing document on the fly).
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.server.models import Case, ChangeRow, Counter
from fieldapp.server.services.records import refresh_documents

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


def case_changed(session: Session, case: Case) -> None:
    """Tell the case's agent: an upsert while open, a tombstone once closed. The case's
    ready-to-send document is rewritten first, in the same transaction, so a pull never
    sends a change without the state it announces."""
    case.updated_at = utcnow()
    session.flush()
    refresh_documents(session, [case.id])
    if case.assigned_agent_id is None:
        return
    if case.status == "open":
        emit(session, case.assigned_agent_id, case.id, "upsert")
    else:
        emit(session, case.assigned_agent_id, case.id, "tombstone", "closed")


def case_unassigned(session: Session, case: Case, former_agent_id: str) -> None:
    emit(session, former_agent_id, case.id, "tombstone", "unassigned")
