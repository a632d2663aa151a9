"""Pull: the recipient's change log after a cursor, one page at a time."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import Change, PullResponse
from fieldapp.server.compliance import Assessor
from fieldapp.server.errors import ApiError
from fieldapp.server.models import ChangeRow, User
from fieldapp.server.services.changes import last_seq
from fieldapp.server.services.records import case_record, load_cases


def pull(session: Session, user: User, cursor: int, limit: int) -> PullResponse:
    if cursor > last_seq(session):
        raise ApiError("conflict", f"cursor {cursor} is ahead of this server's change log "
                                   f"({last_seq(session)}); the server was reset: pull again from 0")
    rows = session.scalars(
        select(ChangeRow).where(ChangeRow.recipient_id == user.id, ChangeRow.seq > cursor)
        .order_by(ChangeRow.seq).limit(limit + 1)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    cases = load_cases(session, (r.case_id for r in rows if r.op == "upsert"))
    assessor = Assessor()
    changes: list[Change] = []
    for row in rows:
        case = cases.get(row.case_id)
        if row.op == "upsert" and case is not None and case.assigned_agent_id == user.id \
                and case.status == "open":
            changes.append(Change(seq=row.seq, op="upsert", case_id=row.case_id,
                                  case=case_record(case, assessor)))
        else:
            reason = row.reason if row.op == "tombstone" else (
                "closed" if case is not None and case.status != "open" else "unassigned")
            changes.append(Change(seq=row.seq, op="tombstone", case_id=row.case_id, reason=reason))
    next_cursor = rows[-1].seq if rows else cursor
    return PullResponse(changes=changes, next_cursor=next_cursor, has_more=has_more,
                        server_time=utcnow())
