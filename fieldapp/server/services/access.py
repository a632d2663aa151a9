"""Who may see what: an agent its own cases, a lead its team's, an admin everything."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from fieldapp.server.models import Case, User, Visit


def team_member_ids(team_id: str | None):  # type: ignore[no-untyped-def]
    return select(User.id).where(User.team_id == team_id).scalar_subquery()


def visible_cases(user: User) -> ColumnElement[bool]:
    if user.role == "admin":
        return true()
    if user.role == "lead":
        if user.team_id is None:
            return Case.id.is_(None)
        return Case.assigned_agent_id.in_(select(User.id).where(User.team_id == user.team_id))
    return Case.assigned_agent_id == user.id


def can_see_case(session: Session, user: User, case: Case) -> bool:
    if user.role == "admin":
        return True
    if user.role == "lead":
        return case.agent is not None and user.team_id is not None and case.agent.team_id == user.team_id
    return case.assigned_agent_id == user.id


def can_see_visit(session: Session, user: User, visit: Visit) -> bool:
    """The visit's author, its case's current agent, the lead of either's team, an admin."""
    if user.role == "admin" or visit.agent_id == user.id:
        return True
    if user.role == "lead" and user.team_id is not None and visit.agent.team_id == user.team_id:
        return True
    return can_see_case(session, user, visit.case)


def leads_team_of(user: User, agent: User | None) -> bool:
    return (user.role == "lead" and agent is not None and user.team_id is not None
            and agent.team_id == user.team_id)
