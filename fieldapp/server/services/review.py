"""The lead's review queue: the team's visits as review items, pulled by cursor, and one
visit's evidence.

No change log of its own: every push, decision and case update already numbers a change
row for the case's agent (`services.changes`), under the one global sequence. A lead's
page is the change rows of the team's agents after the cursor; for each case named, the
lead gets every visit of the team on it, as it is now. Decisions arrive as outbox items
(`services.push`); a refused one names who decided first (`conflict_values`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session, joinedload, selectinload

from fieldapp.core.errors import BadInput
from fieldapp.core.money import quantum
from fieldapp.core.timeutil import iso, utcnow
from fieldapp.protocol.lead import (
    LeadChange,
    LeadPullResponse,
    PersonRef,
    ReviewCase,
    ReviewEvent,
    ReviewInfo,
    ReviewItem,
    exceptions_of,
)
from fieldapp.protocol.lead import ReviewReply as ReviewReplyInfo
from fieldapp.protocol.v1 import VisitRecord
from fieldapp.server.errors import ApiError
from fieldapp.server.models import AuditEntry, Case, ChangeRow, Review, ReviewReply, User, Visit
from fieldapp.server.services import history
from fieldapp.server.services.access import leads_team_of, team_member_ids

EVENT_ACTIONS = {"visit.received": "received", "review.approved": "approved",
                 "review.returned": "returned", "review.escalated": "escalated",
                 "review.pending": "pending", "review.replied": "replied"}


def require_reviewer(user: User) -> None:
    """Leads and administrators only; an agent never reaches review data."""
    if user.role not in ("lead", "admin"):
        raise ApiError("forbidden", "team leads only")


def team_visits(user: User) -> ColumnElement[bool]:
    """Visits a reviewer may see: an admin all, a lead those by the team's agents."""
    if user.role == "admin":
        return true()
    if user.role != "lead" or user.team_id is None:
        return Visit.id.is_(None)
    return Visit.agent_id.in_(team_member_ids(user.team_id))


def person(user: User | None) -> PersonRef:
    if user is None:
        return PersonRef(username="", display_name="")
    return PersonRef(username=user.username, display_name=user.display_name)


# ---------------------------------------------------------------------------- pull
def pull(session: Session, user: User, cursor: int, limit: int) -> LeadPullResponse:
    require_reviewer(user)
    newest = history.check_cursor(session, cursor)
    stmt = select(ChangeRow.seq, ChangeRow.case_id).where(ChangeRow.seq > cursor)
    if user.role == "lead":
        if user.team_id is None:
            return LeadPullResponse(changes=[], next_cursor=newest, has_more=False, server_time=utcnow())
        stmt = stmt.where(ChangeRow.recipient_id.in_(team_member_ids(user.team_id)))
    rows = session.execute(stmt.order_by(ChangeRow.seq).limit(limit + 1)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    latest: dict[str, int] = {}
    for seq, case_id in rows:  # several team agents may have a row for one case
        latest[case_id] = max(seq, latest.get(case_id, 0))
    items = items_for_cases(session, user, list(latest))
    changes = [LeadChange(seq=seq, case_id=case_id, items=items[case_id])
               for case_id, seq in sorted(latest.items(), key=lambda kv: kv[1]) if items.get(case_id)]
    return LeadPullResponse(changes=changes, next_cursor=rows[-1][0] if rows else cursor,
                            has_more=has_more, server_time=utcnow())


def items_for_cases(session: Session, user: User, case_ids: Sequence[str]) -> dict[str, list[ReviewItem]]:
    if not case_ids:
        return {}
    visits = _load_visits(session, Visit.case_id.in_(list(case_ids)), team_visits(user))
    out: dict[str, list[ReviewItem]] = defaultdict(list)
    for item in build_items(session, visits):
        out[item.case.id].append(item)
    return out


def visit_item(session: Session, user: User, visit_id: str) -> ReviewItem:
    """One visit's evidence; 404 when unknown, 403 when it is not the reviewer's team's."""
    require_reviewer(user)
    visits = _load_visits(session, Visit.id == visit_id)
    if not visits:
        raise ApiError("not_found", "no such visit")
    visit = visits[0]
    if user.role != "admin" and not leads_team_of(user, visit.agent):
        raise ApiError("forbidden", "this visit is not your team's")
    return build_items(session, visits)[0]


def _load_visits(session: Session, *where: ColumnElement[bool]) -> list[Visit]:
    stmt = (select(Visit).where(*where)
            .options(joinedload(Visit.agent), joinedload(Visit.case).joinedload(Case.customer),
                     selectinload(Visit.review).joinedload(Review.decider))
            .order_by(Visit.started_at, Visit.id))
    return list(session.scalars(stmt).unique())


# ---------------------------------------------------------------------------- items
def build_items(session: Session, visits: Sequence[Visit]) -> list[ReviewItem]:
    ids = [v.id for v in visits]
    if not ids:
        return []
    superseded: dict[str, str] = {}
    for earlier, later in session.execute(
            select(Visit.corrects_visit_id, Visit.id).where(Visit.corrects_visit_id.in_(ids))
            .order_by(Visit.received_at)):
        superseded[earlier] = later  # the latest correction wins
    history = _history(session, ids)
    replies: dict[str, list[ReviewReply]] = defaultdict(list)
    for reply in session.scalars(select(ReviewReply).where(ReviewReply.visit_id.in_(ids))
                                 .order_by(ReviewReply.replied_at, ReviewReply.id)):
        replies[reply.visit_id].append(reply)
    return [_item(v, superseded.get(v.id), history.get(v.id, []), replies.get(v.id, [])) for v in visits]


def _history(session: Session, visit_ids: Iterable[str]) -> dict[str, list[ReviewEvent]]:
    entries = session.execute(
        select(AuditEntry.object_id, AuditEntry.action, AuditEntry.actor_id, AuditEntry.at)
        .where(AuditEntry.object_type == "visit", AuditEntry.object_id.in_(list(visit_ids)),
               AuditEntry.action.in_(list(EVENT_ACTIONS)))
        .order_by(AuditEntry.id)).all()
    actors = {a for _, _, a, _ in entries if a}
    names = {uid: display or username for uid, username, display in session.execute(
        select(User.id, User.username, User.display_name).where(User.id.in_(actors)))} if actors else {}
    out: dict[str, list[ReviewEvent]] = defaultdict(list)
    for visit_id, action, actor, at in entries:
        out[visit_id].append(ReviewEvent(action=EVENT_ACTIONS[action], by=names.get(actor), at=at))
    return out


def _amount(case: Case) -> str:
    try:
        return format(case.amount_due.quantize(quantum(case.currency)), "f")
    except BadInput:
        return format(case.amount_due.normalize(), "f")


def _item(visit: Visit, superseded_by: str | None, history: list[ReviewEvent],
          replies: list[ReviewReply]) -> ReviewItem:
    case, cust, review = visit.case, visit.case.customer, visit.review
    record: dict[str, Any] = visit.record
    info = ReviewInfo(state="pending")
    if review is not None:
        info = ReviewInfo(state=review.state, comment=review.comment or "",
                          decided_by=person(review.decider) if review.decider else None,
                          decided_at=review.decided_at)
    return ReviewItem(
        visit_id=visit.id,
        case=ReviewCase(id=case.id, reference=case.reference, customer_name=cust.name,
                        address=cust.address, timezone=cust.timezone, amount_due=_amount(case),
                        currency=case.currency, policy_id=case.policy_id),
        agent=person(visit.agent), visit=VisitRecord.model_validate(record), review=info,
        exceptions=exceptions_of(record, late=visit.late is not None), superseded_by=superseded_by,
        received_at=visit.received_at, history=history,
        replies=[ReviewReplyInfo(by=person(r.agent), at=r.replied_at, comment=r.comment, notes=r.notes)
                 for r in replies])


# ---------------------------------------------------------------------------- decisions
def conflict_values(review: Review) -> dict[str, object]:
    """What a second lead's refused decision names: who decided first, what, when (UTC)."""
    decider = review.decider
    who = f"{decider.display_name} ({decider.username})" if decider is not None else "-"
    when = iso(review.decided_at) if review.decided_at else "-"
    return {"who": who, "state": review.state, "when": when}
