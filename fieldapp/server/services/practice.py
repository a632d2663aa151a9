"""Practice runs: an agent's finished practices arrive as outbox items; a lead asks who in
the team has practised which script version.

The current versions are the conversation scripts this server ships (`fieldapp.script`),
the same files the laptops run.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.lead import AgentPractice, PracticeDone, PracticeStatusResponse, ScriptVersion
from fieldapp.protocol.v1 import PracticeRecord
from fieldapp.server import audit
from fieldapp.server.errors import ApiError
from fieldapp.server.models import PracticeRun, User
from fieldapp.server.services.review import person, require_reviewer


def record(session: Session, user: User, rec: PracticeRecord, item_id: str) -> None:
    """Keep one finished practice of `user` (an agent); ids are the client's."""
    if user.role != "agent":
        raise ValueError("only agents practise scripts")
    if rec.completed_at < rec.started_at:
        raise ValueError("completed_at is before started_at")
    session.add(PracticeRun(id=rec.practice_id, user_id=user.id, script_id=rec.script_id,
                            script_version=rec.script_version, script_sha256=rec.script_sha256,
                            lang=rec.lang, outcome=rec.outcome.value if rec.outcome else None,
                            started_at=rec.started_at, completed_at=rec.completed_at, received_at=utcnow()))
    session.flush()
    audit.record(session, "practice.completed", "user", user.id, user.id, item_id=item_id,
                 script=rec.script_id, version=rec.script_version)


def shipped_versions() -> list[ScriptVersion]:
    from fieldapp.script import list_shipped, load_script

    out = []
    for shipped in list_shipped():
        try:
            script = load_script(shipped.path)
        except Exception:  # noqa: BLE001 - an unreadable file is not a version anyone can practise
            continue
        out.append(ScriptVersion(id=script.id or shipped.id, version=script.version, title=dict(script.title)))
    return out


def team_status(session: Session, user: User, team: str | None = None) -> PracticeStatusResponse:
    """The agents of the lead's team (an admin: of `team`, or everyone) and their practices."""
    require_reviewer(user)
    agents_q = select(User).where(User.role == "agent", User.active.is_(True))
    team_name: str | None
    if user.role == "lead":
        if user.team_id is None:
            return PracticeStatusResponse(team=None, scripts=shipped_versions(), agents=[], server_time=utcnow())
        agents_q = agents_q.where(User.team_id == user.team_id)
        team_name = user.team.name if user.team else None
        if team is not None and team != team_name:
            raise ApiError("forbidden", "this team is not yours")
    else:
        team_name = team
        if team is not None:
            from fieldapp.server.models import Team

            agents_q = agents_q.join(Team, User.team_id == Team.id).where(Team.name == team)
    agents = list(session.scalars(agents_q.order_by(User.username)))
    ids = [a.id for a in agents]
    done: dict[str, list[PracticeDone]] = defaultdict(list)
    if ids:
        rows = session.execute(
            select(PracticeRun.user_id, PracticeRun.script_id, PracticeRun.script_version,
                   func.max(PracticeRun.completed_at), func.count())
            .where(PracticeRun.user_id.in_(ids))
            .group_by(PracticeRun.user_id, PracticeRun.script_id, PracticeRun.script_version)
            .order_by(PracticeRun.user_id, PracticeRun.script_id, PracticeRun.script_version)).all()
        for user_id, script_id, version, latest, times in rows:
            done[user_id].append(PracticeDone(script_id=script_id, version=version,
                                              completed_at=_aware(latest), times=times))
    return PracticeStatusResponse(team=team_name, scripts=shipped_versions(),
                                  agents=[AgentPractice(agent=person(a), done=done.get(a.id, [])) for a in agents],
                                  server_time=utcnow())


def _aware(value):  # type: ignore[no-untyped-def]
    """max() over a UTC column comes back naive on SQLite: it is UTC."""
    import datetime as dt

    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)
