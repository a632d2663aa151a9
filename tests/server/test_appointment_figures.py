"""Team figures count what customers said: appointments, confirmations, reschedule requests,
calls instead, visits, no-shows, missed visits, satisfaction and complaints, per agent."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from sqlalchemy import select

from fieldapp.server.models import Appointment, Case
from fieldapp.server.services import appointments, feedback

from .appt_kit import customer_world, local
from .kit import Api, item, visit_payload


@pytest.fixture
def world(db_url, app_clock):
    with customer_world(db_url, app_clock) as w:
        yield w


def _answer(world, appt_id: str, *states: str) -> None:
    with world.live.session() as s, s.begin():
        appt = s.get(Appointment, appt_id)
        appointments.advance(s, appt, "notice_sent")
        for state in states:
            requested = (local(2026, 3, 9, 10, 0), local(2026, 3, 9, 11, 0)) if state == "reschedule_requested" \
                else None
            appointments.answer(s, appt, state, requested=requested)


def _visit(world, ext: str, contact: bool, agent: str = "agent1") -> None:
    api = Api(world.url, agent)
    changes, _ = api.pull_all()
    case_id = next(c["case_id"] for c in changes if c["case"] and c["case"]["external_id"] == ext)
    payload = visit_payload(case_id, agent_started_at="2026-03-04T01:55:00Z", checked_in_at="2026-03-04T02:01:00Z",
                            ended_at="2026-03-04T02:40:00Z", promise=None, contact_made=contact,
                            outcome="refused" if contact else "not_home")
    assert api.push(item(case_id, payload))[0]["status"] == "accepted"


def test_figures_per_agent_and_team(world, app_clock):
    a = world.propose("F-1", day=4, hour=10)          # confirmed, visited, rated 5
    b = world.propose("F-2", day=4, hour=14)          # confirmed then asked to move; missed
    c = world.propose("F-3", day=5, hour=10)          # a call instead
    d = world.propose("F-4", day=4, hour=10, agent="agent2")  # visited, nobody home; rated 2, complaint
    world.propose("F-5", day=6, hour=10)              # replaced by the next one: not counted
    world.propose("F-5", day=6, hour=14)
    _answer(world, a, "confirmed")
    _answer(world, b, "confirmed", "reschedule_requested")
    _answer(world, c, "declined")
    _answer(world, d, "confirmed")
    app_clock.set(local(2026, 3, 4, 11, 0))
    _visit(world, "F-1", contact=True)
    _visit(world, "F-4", contact=False, agent="agent2")
    with world.live.session() as s, s.begin():
        for appt_id, rating in ((a, 5), (d, 2)):
            feedback.rate(s, s.get(Appointment, appt_id), rating)
        feedback.file_complaint(s, s.get(Appointment, d), "没有人按门铃就离开了。", world.live.settings)
        assert appointments.sweep_missed(s, now=local(2026, 3, 5, 8, 0)) == 1  # F-2 at 14:00 on the 4th
    lead = Api(world.url, "lead1")
    body = lead.get("/api/v1/lead/figures", params={"from": "2026-03-01", "to": "2026-03-31",
                                                    "tz": "Asia/Shanghai"}).json()
    by = {row["agent"]["username"]: row for row in body["agents"]}
    one, two, total = by["agent1"], by["agent2"], body["total"]
    assert (one["appointments"], one["confirmed"], one["reschedule_requests"], one["declined"]) == (4, 2, 1, 1)
    assert (one["visited"], one["no_shows"], one["missed"], one["ratings"], one["rating_total"]) == (1, 0, 1, 1, 5)
    assert (two["appointments"], two["visited"], two["no_shows"], two["complaints"], two["rating_total"]) == \
        (1, 1, 1, 1, 2)
    assert (total["appointments"], total["ratings"], total["rating_total"], total["complaints"]) == (5, 2, 7, 1)
    r = lead.get("/api/v1/lead/figures", params={"from": "2026-03-01", "to": "2026-03-31", "tz": "Asia/Shanghai",
                                                 "format": "csv"})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8")[1:])))
    header = rows[0]
    row = dict(zip(header, next(x for x in rows if x[0] == "agent1")))
    assert row["Reschedule rate"] == "25.0%" and row["Satisfaction (1-5)"] == "5.0" and row["Missed rate"] == "50.0%"
    team = dict(zip(header, rows[-1]))
    assert team["Satisfaction (1-5)"] == "3.5" and team["Complaints per visit"] == "50.0%"
    assert team["No-show rate"] == "50.0%"
    assert Api(world.url, "lead2").get("/api/v1/lead/figures", params={
        "from": "2026-03-01", "to": "2026-03-31"}).json()["total"]["appointments"] == 0
