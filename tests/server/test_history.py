"""Change numbers across a restore: each `server` command opens a new stretch of numbers,
and a cursor inside a gap between stretches (handed out by a history this database does
not have) is refused with 409, on the agent's pull and on the lead's."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from fieldapp.cli import main
from fieldapp.core.timeutil import utcnow
from fieldapp.server.models import Case, Counter
from fieldapp.server.services.changes import case_changed, last_seq
from fieldapp.server.services.history import GAP_PREFIX, MIN_JUMP, cursor_from_other_history, open_stretch

from .kit import Api, add_case, make_people


def _pull(api: Api, path: str, cursor: int):
    return api.get(path, params={"cursor": cursor})


def test_a_cursor_inside_a_gap_is_refused(live):
    with live.session() as s, s.begin():
        make_people(s)
        case_id = add_case(s, "H-1", "agent1")
    agent, lead = Api(live.url, "agent1"), Api(live.url, "lead1")
    _, cursor = agent.pull_all()
    with live.session() as s, s.begin():
        last, start = open_stretch(s)
    assert last == cursor and start >= last + MIN_JUMP
    assert start >= int(utcnow().timestamp() * 1_000_000) - 10**6  # about now, in microseconds

    for path in ("/api/v1/sync/pull", "/api/v1/lead/pull"):
        assert _pull(agent if "sync" in path else lead, path, last).status_code == 200
        for inside in (last + 1, (last + start) // 2, start - 1):
            r = _pull(agent if "sync" in path else lead, path, inside)
            assert (r.status_code, r.json()["error"]) == (409, "conflict"), (path, inside)
            assert "pull again from 0" in r.json()["detail"]
        assert _pull(agent if "sync" in path else lead, path, start).status_code == 200

    with live.session() as s, s.begin():  # the next change is numbered after the gap
        case = s.get(Case, case_id)
        case.amount_due = Decimal("99.00")
        case_changed(s, case)
    body = _pull(agent, "/api/v1/sync/pull", cursor).json()
    assert [c["seq"] for c in body["changes"]] == [start + 1]
    assert _pull(agent, "/api/v1/sync/pull", start + 1).status_code == 200


def test_every_server_command_opens_a_stretch(db_url):
    assert main(["server", "init", "--db", db_url]) == 0
    assert main(["server", "init", "--db", db_url]) == 0
    from fieldapp.server.db import make_engine, session_factory

    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as s:
            gaps = s.execute(select(Counter.name, Counter.value).where(Counter.name.startswith(GAP_PREFIX))
                             .order_by(Counter.name)).all()
            assert len(gaps) == 2
            (first_floor, first_top), (second_floor, second_top) = (
                (int(name[len(GAP_PREFIX):]), value) for name, value in gaps)
            assert second_floor == first_top and second_top >= first_top + MIN_JUMP
            assert last_seq(s) == second_top
            assert cursor_from_other_history(s, first_floor + 1)
            assert cursor_from_other_history(s, second_top - 1)
            assert not cursor_from_other_history(s, first_top)
            assert not cursor_from_other_history(s, 0)
    finally:
        engine.dispose()
