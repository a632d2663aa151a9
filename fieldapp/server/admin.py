"""Administration as plain functions taking a Session (the CLI, the admin API and tests use
them). They never commit: the caller owns the transaction."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from fieldapp.core.enums import Role
from fieldapp.core.errors import BadInput, Conflict, NotFound
from fieldapp.core.timeutil import utcnow
from fieldapp.server import audit
from fieldapp.server.auth import check_password_strength, hash_password
from fieldapp.server.models import Case, Device, Team, Token, User
from fieldapp.server.services.changes import case_changed, case_unassigned

if TYPE_CHECKING:
    from fieldapp.geo.geocode import Geocoder
    from fieldapp.server.importer import ImportReport


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().casefold()))
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def find_case(session: Session, external_id: str) -> Case:
    case = session.scalar(select(Case).where(Case.external_id == external_id))
    if case is None:
        raise NotFound(f"no case with external id {external_id!r}")
    return case


def get_or_create_team(session: Session, name: str) -> Team:
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
        audit.record(session, "team.created", "team", team.id)
    return team


def create_user(session: Session, username: str, password: str, role: str, team: str | None = None,
                display_name: str | None = None, *, check_strength: bool = True,
                staff_number: str | None = None) -> User:
    username = username.strip()
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise BadInput("a user name is 1-100 characters without spaces", field="username")
    try:
        role = Role(role).value
    except ValueError:
        raise BadInput(f"unknown role {role!r}; use agent, lead or admin", field="role") from None
    if check_strength:
        weak = check_password_strength(password, username)
        if weak:
            raise BadInput(f"password refused: {weak}", field="password")
    if role == "lead" and not team:
        raise BadInput("a lead needs a team (--team)", field="team")
    if session.scalar(select(User.id).where(func.lower(User.username) == username.casefold())):
        raise Conflict(f"user {username!r} already exists")
    team_row = get_or_create_team(session, team) if team else None
    user = User(username=username, display_name=display_name or username, role=role,
                team_id=team_row.id if team_row else None, password_hash=hash_password(password),
                active=True, created_at=utcnow(), staff_number=(staff_number or "").strip()[:40] or None)
    session.add(user)
    session.flush()
    audit.record(session, "user.created", "user", user.id, role=role,
                 team_id=team_row.id if team_row else None)
    return user


def set_password(session: Session, username: str, password: str, *, actor_id: str | None = None) -> None:
    user = find_user(session, username)
    weak = check_password_strength(password, user.username)
    if weak:
        raise BadInput(f"password refused: {weak}", field="password")
    user.password_hash = hash_password(password)
    audit.record(session, "user.password_set", "user", user.id, actor_id)


def assign_case(session: Session, case: Case, agent: User | None, *, actor_id: str | None = None) -> None:
    """Give `case` to `agent` (or nobody): the former agent gets a tombstone, the new an upsert."""
    if agent is not None and agent.role not in ("agent", "lead"):
        raise BadInput(f"{agent.username!r} is an {agent.role}; cases go to agents", field="agent")
    former = case.assigned_agent_id
    new = agent.id if agent else None
    if former == new:
        return
    case.assigned_agent_id = new
    session.flush()
    session.expire(case, ["agent"])
    if former is not None:
        case_unassigned(session, case, former)
    case_changed(session, case)
    audit.record(session, "case.assigned", "case", case.id, actor_id, from_user=former, to_user=new)


def reassign_case(session: Session, external_id: str, username: str) -> Case:
    case = find_case(session, external_id)
    assign_case(session, case, find_user(session, username))
    return case


def close_case(session: Session, external_id: str) -> Case:
    case = find_case(session, external_id)
    if case.status != "closed":
        case.status = "closed"
        case_changed(session, case)
        audit.record(session, "case.closed", "case", case.id)
    return case


def revoke_device(session: Session, username: str, device_id: str, *,
                  compromised_since: "dt.datetime | None" = None) -> Device:
    """Revoke a device: its tokens stop working and its signing certificates are revoked
    (from `compromised_since` on, when the laptop was lost before it was reported)."""
    from fieldapp.server.services.signing import revoke_device_certificates

    user = find_user(session, username)
    device = session.scalar(select(Device).where(Device.user_id == user.id, Device.device_id == device_id))
    if device is None:
        raise NotFound(f"user {username!r} has no device {device_id!r}")
    now = utcnow()
    if device.revoked_at is None:
        device.revoked_at = now
    session.execute(update(Token).where(Token.device_pk == device.id, Token.revoked_at.is_(None))
                    .values(revoked_at=now))
    certificates = revoke_device_certificates(session, device, since=compromised_since)
    audit.record(session, "device.revoked", "device", device.id, None, user_id=user.id, certificates=certificates)
    return device


def import_cases(session: Session, path: str | Path, skip_invalid: bool = False,
                 geocoder: "Geocoder | None" = None) -> "ImportReport":
    from fieldapp.server.importer import import_cases as _import

    return _import(session, path, skip_invalid=skip_invalid, geocoder=geocoder)


def seed_demo(session: Session) -> dict[str, int]:
    from fieldapp.server.demo import seed_demo as _seed

    return _seed(session)
