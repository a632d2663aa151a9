"""The demo data set: deterministic for a date, idempotent, with its deliberate oddities."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from fieldapp.server import admin
from fieldapp.server.demo import CASES, DISPUTED, REASSIGNED, demo_rows, seed_demo
from fieldapp.server.models import AuditEntry, Case, User

from .kit import Api

DAY = dt.date(2026, 3, 2)  # a Monday


def test_rows_are_deterministic_for_a_date():
    a, b = demo_rows(DAY), demo_rows(DAY)
    assert [r.fingerprint() for r in a] == [r.fingerprint() for r in b]
    assert len(a) == CASES and len({r.external_id for r in a}) == CASES
    assert demo_rows(DAY + dt.timedelta(days=1))[0].appointment != a[0].appointment


def test_rows_look_like_the_brief():
    rows = demo_rows(DAY)
    cities = {r.address[:3] for r in rows}
    assert cities == {"南京市", "上海市"}
    assert all(r.timezone == "Asia/Shanghai" and r.region == "CN" and r.policy_id == "cn-bank-home-visit"
               for r in rows)
    assert all(31.0 < r.lat < 32.3 and 118.5 < r.lon < 121.7 for r in rows)
    starts = [r.appointment[0] for r in rows]
    assert all(s.date() > DAY and s.weekday() < 5 for s in starts)
    assert any(s.hour == 20 and s.minute == 30 for s in starts)       # outside allowed hours
    assert sum(1 for r in rows if not r.notifications) >= 5            # never notified
    assert [r.external_id for r in rows if "disputed" in r.flags] == [DISPUTED]
    assert all(len(r.customer_name) in (2, 3) for r in rows)


def test_seed_twice_is_a_no_op_and_users_can_sign_in(live):
    with live.session() as s, s.begin():
        assert seed_demo(s, DAY) == {"users": 5, "cases": CASES, "visits": 5}
    with live.session() as s, s.begin():
        assert seed_demo(s, DAY) == {"users": 0, "cases": 0, "visits": 0}
    with live.session() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == CASES
        roles = dict(s.execute(select(User.username, User.role)).all())
        assert roles == {"admin": "admin", "lead1": "lead", "agent1": "agent", "agent2": "agent",
                         "agent3": "agent"}
        moved = admin.find_case(s, REASSIGNED)
        assert moved.agent.username == "agent2"
        assigned = s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "case.assigned")).all()
        assert len(assigned) == 1
    for name in ("agent1", "agent2", "agent3", "lead1", "admin"):
        api = Api(live.url)
        assert api.login(name, f"demo-{name}").status_code == 200
    api1 = Api(live.url)
    api1.login("agent1", "demo-agent1")
    changes, _ = api1.pull_all()
    tomb = [c for c in changes if c["op"] == "tombstone"]
    assert len(tomb) == 1 and tomb[0]["reason"] == "unassigned"
    mine = {r.external_id for r in demo_rows(DAY) if r.agent == "agent1"} - {REASSIGNED}
    assert {c["case"]["external_id"] for c in changes if c["op"] == "upsert"} == mine


def test_an_agents_day_is_spread_with_one_visit_that_cannot_happen():
    rows = demo_rows(DAY)
    days = sorted({r.appointment[0].date() for r in rows})
    for agent in ("agent1", "agent2", "agent3"):
        for day in days:
            mine = [r for r in rows if r.agent == agent and r.appointment[0].date() == day]
            assert len(mine) == 4
            assert len({r.appointment[0].time() for r in mine}) == 4, (agent, day)  # no two at one time
            assert sum(1 for r in mine if not r.notifications) == 1


def test_the_demo_has_visits_on_record_for_the_lead_and_a_returned_one_for_agent1(live):
    with live.session() as s, s.begin():
        seed_demo(s, DAY)
    lead = Api(live.url)
    lead.login("lead1", "demo-lead1")
    r = lead.get("/api/v1/lead/pull", params={"cursor": 0, "limit": 1000})
    items = [i for c in r.json()["changes"] for i in c["items"]]
    states = sorted(i["review"]["state"] for i in items)
    assert states == ["approved", "pending", "pending", "pending", "returned"]
    assert all(i["visit"]["transcript"] and i["visit"]["planning_decision"] for i in items)
    assert any(i["exceptions"] for i in items)  # something for the lead to look at
    agent = Api(live.url)
    agent.login("agent1", "demo-agent1")
    changes, _ = agent.pull_all()
    tasks = [t for c in changes if c["case"] for t in c["case"]["tasks"]]
    assert [(t["created_by_name"], t["comment"][:4]) for t in tasks] == [("王组长", "请在备注")]
    reviewed = [v for c in changes if c["case"] for v in c["case"]["visits"] if v["review"] == "approved"]
    assert reviewed and reviewed[0]["reviewed_by"] == "王组长"


def test_seed_on_two_databases_gives_the_same_cases(tmp_path):
    from fieldapp.server.db import make_engine, session_factory, upgrade

    snapshots = []
    for name in ("one", "two"):
        url = f"sqlite:///{tmp_path / name}.db"
        upgrade(url)
        engine = make_engine(url)
        with session_factory(engine)() as s, s.begin():
            seed_demo(s, DAY)
        with session_factory(engine)() as s:
            snapshots.append(sorted((c.external_id, c.source_hash, c.agent.username if c.agent else None)
                                    for c in s.scalars(select(Case))))
        engine.dispose()
    assert snapshots[0] == snapshots[1]


def test_demo_customers_have_emails_and_agents_staff_numbers(engine):
    from fieldapp.server.db import session_factory
    from fieldapp.server.models import User

    rows = demo_rows(DAY)
    assert sum(r.email is not None for r in rows) == 45 and all(
        r.email.endswith("@example.cn") for r in rows if r.email)
    with session_factory(engine)() as s, s.begin():
        seed_demo(s, DAY)
        assert {u.username: u.staff_number for u in s.query(User).filter(User.role != "admin")} == {
            "lead1": "NJ1001", "agent1": "NJ2031", "agent2": "NJ2047", "agent3": "NJ2052"}


def test_the_demo_announces_visits_through_its_loopback_channels(db_url, app_clock, tmp_path):
    from fieldapp.commands.demo import DemoChannels
    from fieldapp.server.notify.worker import NoticeWorker
    from fieldapp.server.testing import LiveServer

    app_clock.tick = False
    app_clock.set(dt.datetime.combine(DAY, dt.time(9, 0), ZoneInfo("Asia/Shanghai")))
    with DemoChannels(tmp_path / "mail") as channels:
        settings = {**channels.settings, "notice_worker": False}
        with LiveServer(db_url, upgrade_db=False, port=channels.port, seed_demo=True, geocoder="none",
                        **settings) as server:
            channels.announce(server)
            NoticeWorker(server.settings, server.engine).run_once()
            assert len(channels.smtp.messages) == 2 and len(channels.gateway.messages) == 2
            assert sorted(p.name for p in (tmp_path / "mail").iterdir()) == ["0001.eml", "0002.eml"]
            body = channels.smtp.messages[0].get_content()
            assert "李明" in body and "NJ2031" in body and f"http://127.0.0.1:{channels.port}/c/" in body


def test_notices_are_never_recorded_as_sent_after_the_seeding():
    """Seeded on the eve of the Spring Festival the first working day is a week away: every
    notice is still sent before the seeding and at least a day before its visit."""
    sh = ZoneInfo("Asia/Shanghai")
    for seeded in (dt.datetime(2027, 2, 5, 10, 0, tzinfo=sh), dt.datetime(2026, 12, 13, 23, 50, tzinfo=sh),
                   dt.datetime(2026, 12, 12, 12, 0, tzinfo=sh)):
        rows = demo_rows(seeded.date(), now=seeded)
        notices = [(r.appointment[0], sent) for r in rows for _, sent, _ in r.notifications]
        assert notices
        assert all(sent < seeded and start - sent >= dt.timedelta(hours=24) for start, sent in notices)
