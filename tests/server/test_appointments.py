"""Appointments on the server: proposed by the back office, a lead (API and command line) or
an agent (outbox item); a slot the policy forbids is refused with the rules' sentences; every
change is audited and reaches the agent's laptop in the case document."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import select

from fieldapp.protocol.v1 import CaseRecord
from fieldapp.server.models import AuditEntry
from fieldapp.server.services import appointments
from fieldapp.server.settings import ServerSettings
from fieldapp.server.testing import LiveServer

from .appt_kit import MONDAY, add_customer_case, appointment_of, local, make_team, notices_of, settings_for
from .kit import Api, item


@pytest.fixture
def server(db_url, app_clock):
    app_clock.tick = False
    app_clock.set(MONDAY)
    with LiveServer(db_url, upgrade_db=False, **settings_for()) as live:
        with live.session() as s, s.begin():
            make_team(s)
            add_customer_case(s, "A-1")
            add_customer_case(s, "A-2", agent="agent2")
            add_customer_case(s, "A-3", agent="agent3")
        yield live


def _case(api: Api, ext: str) -> dict:
    changes, _ = api.pull_all()
    return next(c["case"] for c in changes if c["case"] and c["case"]["external_id"] == ext)


def test_a_lead_proposes_an_allowed_slot_and_the_agent_sees_it(server):
    lead, agent = Api(server.url, "lead1"), Api(server.url, "agent1")
    slots = lead.get(f"/api/v1/cases/A-1/slots", params={"count": 3}).json()
    assert slots["timezone"] == "Asia/Shanghai" and len(slots["slots"]) == 3
    first = slots["slots"][0]
    assert dt.datetime.fromisoformat(first["start"]) == local(2026, 3, 3, 10, 0)  # 24 h notice + 1 h
    r = lead.post("/api/v1/appointments", json={"case_id": "A-1", **first})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["appointment"]["state"] == "proposed"
    assert sorted(n["channel"] for n in body["notices"]) == ["email", "sms"]
    assert {n["state"] for n in body["notices"]} == {"queued"}
    record = CaseRecord.model_validate(_case(agent, "A-1"))
    assert record.appointment.state == "proposed" and record.appointment.id == body["appointment"]["id"]
    assert record.notifications == []  # not announced yet: the planning check says so
    assert record.compliance is not None and not record.compliance.allowed
    with server.session() as s:
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.object_id == body["appointment"]["id"])).all()
        assert "appointment.proposed" in actions


def test_a_forbidden_slot_is_refused_with_the_rules_explanation(server):
    admin = Api(server.url, "admin")
    sunday = {"case_id": "A-1", "start": local(2026, 3, 8, 10, 0).isoformat(),
              "end": local(2026, 3, 8, 11, 0).isoformat()}
    r = admin.post("/api/v1/appointments", json=sunday)
    assert r.status_code == 422 and r.json()["error"] == "not_allowed"
    assert "weekend day" in r.json()["detail"]
    r = admin.post("/api/v1/appointments", json=sunday, headers={"Accept-Language": "zh-CN"})
    assert "周末" in r.json()["detail"] or "休息日" in r.json()["detail"] or "工作日" in r.json()["detail"]
    tomorrow_early = {"case_id": "A-1", "start": local(2026, 3, 3, 9, 0).isoformat(),
                      "end": local(2026, 3, 3, 10, 0).isoformat()}
    r = admin.post("/api/v1/appointments", json=tomorrow_early)
    assert r.status_code == 422 and "the earliest time a notice sent now can announce" in r.json()["detail"]
    with server.session() as s:
        assert appointment_of(s, "A-1") is None


def test_only_the_cases_agent_its_lead_and_the_back_office_propose(server):
    slot = {"case_id": "A-1", "start": local(2026, 3, 4, 10, 0).isoformat(),
            "end": local(2026, 3, 4, 11, 0).isoformat()}
    assert Api(server.url, "agent2").post("/api/v1/appointments", json=slot).status_code == 403
    assert Api(server.url, "lead2").post("/api/v1/appointments", json=slot).status_code == 403
    assert Api(server.url, "agent3").get("/api/v1/cases/A-1/slots").status_code == 403
    assert Api(server.url, "agent1").post("/api/v1/appointments", json=slot).status_code == 201


def test_the_agents_other_appointment_blocks_the_time_with_travel(server):
    lead = Api(server.url, "lead1")
    with server.session() as s, s.begin():
        add_customer_case(s, "A-9", lat=31.2304, lon=121.4737, address="上海市黄浦区南京东路1号")  # Shanghai
    first = {"start": local(2026, 3, 4, 10, 0).isoformat(), "end": local(2026, 3, 4, 11, 0).isoformat()}
    assert lead.post("/api/v1/appointments", json={"case_id": "A-9", **first}).status_code == 201
    second = {"case_id": "A-1", "start": local(2026, 3, 4, 12, 0).isoformat(),
              "end": local(2026, 3, 4, 13, 0).isoformat()}
    r = lead.post("/api/v1/appointments", json=second)
    assert r.status_code == 422 and "another appointment" in r.json()["detail"]
    offered = lead.get("/api/v1/cases/A-1/slots", params={"count": 30}).json()["slots"]
    for slot in offered:
        start = dt.datetime.fromisoformat(slot["start"])
        assert not (local(2026, 3, 4, 5, 0) < start < local(2026, 3, 4, 16, 0))


def test_proposing_again_replaces_the_active_appointment_and_cancels_its_notices(server):
    lead = Api(server.url, "lead1")
    one = lead.post("/api/v1/appointments", json={"case_id": "A-1", "start": local(2026, 3, 4, 10, 0).isoformat(),
                                                  "end": local(2026, 3, 4, 11, 0).isoformat()}).json()
    two = lead.post("/api/v1/appointments", json={"case_id": "A-1", "start": local(2026, 3, 5, 10, 0).isoformat(),
                                                  "end": local(2026, 3, 5, 11, 0).isoformat()}).json()
    with server.session() as s:
        assert {n.state for n in notices_of(s, one["appointment"]["id"])} == {"cancelled"}
        assert {n.state for n in notices_of(s, two["appointment"]["id"])} == {"queued"}
    assert lead.get(f"/api/v1/appointments/{one['appointment']['id']}").json()["appointment"]["state"] == "cancelled"
    record = CaseRecord.model_validate(_case(Api(server.url, "agent1"), "A-1"))
    assert record.appointment.id == two["appointment"]["id"]


def test_the_agent_proposes_from_the_laptop_and_the_server_judges_again(server, app_clock):
    agent = Api(server.url, "agent1")
    case = _case(agent, "A-1")
    good = {"appointment_id": str(uuid.uuid4()), "case_id": case["id"], "start": local(2026, 3, 4, 14, 0).isoformat(),
            "end": local(2026, 3, 4, 15, 0).isoformat(), "proposed_at": MONDAY.isoformat()}
    accepted = item(case["id"], good, kind="appointment_proposal")
    assert agent.push(accepted)[0]["status"] == "accepted"
    assert agent.push(accepted)[0]["status"] == "duplicate"
    # Made offline on Monday for Tuesday 10:00, it reaches the server only on Monday evening.
    late = {**good, "appointment_id": str(uuid.uuid4()), "start": local(2026, 3, 3, 10, 0).isoformat(),
            "end": local(2026, 3, 3, 11, 0).isoformat()}
    app_clock.set(local(2026, 3, 2, 18, 0))
    result = agent.push(item(case["id"], late, kind="appointment_proposal"))[0]
    assert result["status"] == "rejected" and result["code"] == "not_allowed"
    assert "only" in result["reason"] and "hours before the start" in result["reason"]
    with server.session() as s:
        appt = appointment_of(s, "A-1")
        assert appt.id == good["appointment_id"] and appt.proposed_via == "agent" and appt.state == "proposed"
    other = _case(Api(server.url, "agent2"), "A-2")
    stolen = item(other["id"], {**good, "appointment_id": str(uuid.uuid4()), "case_id": other["id"]},
                  kind="appointment_proposal")
    assert agent.push(stolen)[0]["code"] == "not_yours"


def test_lifecycle_answers_visits_and_missed(server, app_clock, engine):
    settings = ServerSettings.load(**settings_for(database_url=server.database_url))
    with server.session() as s, s.begin():
        case = appointments.find_case(s, "A-1")
        appt = appointments.propose(s, case, local(2026, 3, 4, 10, 0), local(2026, 3, 4, 11, 0),
                                    settings=settings, actor=None, via="back_office")
        with pytest.raises(Exception, match="cannot be answered"):
            appointments.answer(s, appt, "confirmed")  # no notice has gone out yet
        assert appointments.advance(s, appt, "notice_sent")
        assert not appointments.advance(s, appt, "notice_sent")
        appointments.answer(s, appt, "confirmed")
        assert appt.state == "confirmed"
        with pytest.raises(appointments.AlreadyAnswered):
            appointments.answer(s, appt, "confirmed")
        assert not appointments.advance(s, appt, "delivered") or appt.state == "confirmed"
        appt_id = appt.id
    agent = Api(server.url, "agent1")
    case_id = _case(agent, "A-1")["id"]
    from .kit import visit_payload

    visit = visit_payload(case_id, agent_started_at="2026-03-04T01:55:00Z", checked_in_at="2026-03-04T02:01:00Z",
                          ended_at="2026-03-04T02:40:00Z", promise=None, outcome="not_home", contact_made=False)
    app_clock.set(local(2026, 3, 4, 11, 0))
    assert agent.push(item(case_id, visit))[0]["status"] == "accepted"
    with server.session() as s:
        from fieldapp.server.models import Appointment

        assert s.get(Appointment, appt_id).state == "visited"
        actions = [a for a in s.scalars(select(AuditEntry.action).where(AuditEntry.object_id == appt_id))]
        assert actions == ["appointment.proposed", "appointment.notice_sent", "appointment.delivered",
                           "appointment.confirmed", "appointment.visited"]
    assert CaseRecord.model_validate(_case(agent, "A-1")).appointment.state == "visited"
    # Another appointment, never visited: the sweep marks it missed half a day after it ended.
    with server.session() as s, s.begin():
        case = appointments.find_case(s, "A-2")
        missed = appointments.propose(s, case, local(2026, 3, 6, 10, 0), local(2026, 3, 6, 11, 0),
                                      settings=settings, actor=None, via="back_office")
        missed_id = missed.id
    with server.session() as s, s.begin():
        assert appointments.sweep_missed(s, now=local(2026, 3, 6, 22, 0)) == 0
        assert appointments.sweep_missed(s, now=local(2026, 3, 6, 23, 30)) == 1
    assert Api(server.url, "lead1").get(f"/api/v1/appointments/{missed_id}").json()["appointment"]["state"] == "missed"


def _cli(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env_settings = {f"FIELDAPP_SERVER_{k.upper()}": str(v) for k, v in settings_for().items() if v is not None}
    import os

    env = {**os.environ, **env_settings}
    return subprocess.run([sys.executable, "-m", "fieldapp", "server", *args, "--db", db_url],
                          capture_output=True, text=True, env=env, timeout=120)


def test_command_line_proposes_and_refuses(server):
    url = server.database_url
    done = _cli(url, "propose-appointment", "A-2", "--start", "2026-03-04T10:00:00+08:00",
                "--end", "2026-03-04T11:00:00+08:00", "--by", "lead1")
    assert done.returncode == 0, done.stderr
    assert "proposed for case A-2" in done.stdout and "2 notice(s) queued" in done.stdout
    refused = _cli(url, "propose-appointment", "A-2", "--start", "2026-03-07T10:00:00+08:00",
                   "--end", "2026-03-07T11:00:00+08:00")
    assert refused.returncode == 1
    assert "cannot be proposed" in refused.stderr and "weekend day" in refused.stderr
    bad = _cli(url, "propose-appointment", "NOPE", "--start", "2026-03-04T10:00:00+08:00",
               "--end", "2026-03-04T11:00:00+08:00")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    naive = _cli(url, "propose-appointment", "A-2", "--start", "2026-03-04T10:00:00", "--end", "x")
    assert naive.returncode == 2 and "UTC offset" in naive.stderr
    slots = _cli(url, "slots", "A-1", "--count", "2")
    assert slots.returncode == 0 and len(slots.stdout.strip().splitlines()) == 2
