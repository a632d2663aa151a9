"""Work recorded while the case was the agent's is accepted after a reassignment or closure
(flagged to the new agent and the lead); only work recorded after the laptop learned of the
change is refused, and the reason says so."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from fieldapp.core.timeutil import UTC
from fieldapp.server import admin
from fieldapp.server.models import Visit

from .kit import Api, add_case, agreement, item, make_people, visit_payload

T0 = dt.datetime(2030, 3, 3, 0, 0, tzinfo=UTC)          # the case is given to agent1
VISIT = dict(agent_started_at="2030-03-04T01:50:00Z", checked_in_at="2030-03-04T02:01:00Z",
             ended_at="2030-03-04T02:40:00Z")            # the visit, while the case is agent1's
REASSIGNED = dt.datetime(2030, 3, 4, 5, 0, tzinfo=UTC)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def world(live, app_clock):
    app_clock.tick = False
    app_clock.set(T0)
    with live.session() as s, s.begin():
        make_people(s)
        case_id = add_case(s, "H-1", "agent1")
    apis = {name: Api(live.url, name) for name in ("agent1", "agent2", "agent3", "lead1", "lead2")}
    apis["agent1"].pull_all()
    yield {"live": live, "apis": apis, "case": case_id, "clock": app_clock}
    for api in apis.values():
        api.close()


def _move(w, when, how="reassign", to="agent2"):
    w["clock"].set(when)
    with w["live"].session() as s, s.begin():
        if how == "reassign":
            admin.reassign_case(s, "H-1", to)
        else:
            admin.close_case(s, "H-1")


def _visit_item(w, created_at="2030-03-04T02:41:00Z", **times):
    payload = visit_payload(w["case"], **{**VISIT, **times})
    it = item(w["case"], payload)
    it["created_at"] = created_at
    return it, payload["visit_id"]


def _agreement_item(w):
    api = w["apis"]["agent1"]
    pdf, sig = api.upload(b"%PDF-1.7 signed before the handover"), api.upload(b"\x89PNG signature")
    payload = visit_payload(w["case"], outcome="agreement_signed", agreement=agreement(pdf, sig), **VISIT)
    return item(w["case"], payload), payload["visit_id"]


def _lead_exceptions(api, visit_id):
    r = api.get(f"/api/v1/lead/visits/{visit_id}")
    assert r.status_code == 200, r.text
    return r.json()["item"]["exceptions"]


@pytest.mark.parametrize("to", ["agent2", "agent3"])  # the same team, another team
def test_a_signed_agreement_recorded_before_a_reassignment_is_accepted(world, to):
    w = world
    it, visit_id = _agreement_item(w)
    _move(w, REASSIGNED, to=to)
    w["clock"].set(REASSIGNED + dt.timedelta(hours=3))      # the laptop comes back online
    [res] = w["apis"]["agent1"].push(it)
    assert res["status"] == "accepted", res
    with w["live"].session() as s:
        visit = s.get(Visit, visit_id)
        assert (visit.agent.username, visit.late) == ("agent1", "unassigned")
    # The new agent sees it on the case they now hold, marked as late work of the former agent.
    changes, _ = w["apis"][to].pull_all()
    [case] = [c["case"] for c in changes if c["case_id"] == w["case"]]
    [seen] = [v for v in case["visits"] if v["id"] == visit_id]
    assert (seen["agent"], seen["late"]) == ("agent1", True)
    # agent1's lead finds it in the review queue, as an exception.
    queue = w["apis"]["lead1"].get("/api/v1/lead/pull").json()
    items = {i["visit_id"]: i for c in queue["changes"] for i in c["items"]}
    assert "after_handover" in items[visit_id]["exceptions"]
    assert "after_handover" in _lead_exceptions(w["apis"]["lead1"], visit_id)
    assert w["apis"]["lead2"].get(f"/api/v1/lead/visits/{visit_id}").status_code == 403
    # Sending it again is a duplicate, as for any accepted item.
    assert w["apis"]["agent1"].push(it)[0]["status"] == "duplicate"


def test_work_on_a_case_closed_before_the_sync_is_accepted(world):
    w = world
    it, visit_id = _visit_item(w)
    _move(w, REASSIGNED, how="close")
    [res] = w["apis"]["agent1"].push(it)
    assert res["status"] == "accepted", res
    with w["live"].session() as s:
        assert s.get(Visit, visit_id).late == "closed"
        assert s.get(admin.Case, w["case"]).status == "closed"
    assert "after_handover" in _lead_exceptions(w["apis"]["lead1"], visit_id)


def test_work_begun_after_the_case_left_is_refused(world):
    w = world
    _move(w, REASSIGNED)
    it, _ = _visit_item(w, agent_started_at="2030-03-04T05:30:00Z", checked_in_at="2030-03-04T05:35:00Z",
                        ended_at="2030-03-04T06:00:00Z", created_at="2030-03-04T06:01:00Z")
    [res] = w["apis"]["agent1"].push(it)
    assert (res["status"], res["code"]) == ("rejected", "not_yours")
    assert "no longer" in res["reason"] and "2030-03-04T05:30:00Z" in res["reason"]
    # Before the case was ever given to agent1: refused as well.
    early, _ = _visit_item(w, agent_started_at="2030-03-02T01:50:00Z", checked_in_at=None,
                           ended_at="2030-03-02T02:40:00Z", created_at="2030-03-02T02:41:00Z")
    assert w["apis"]["agent1"].push(early)[0]["code"] == "not_yours"


def test_work_recorded_after_the_laptop_learned_of_the_change_is_refused(world):
    w = world
    kept, kept_id = _visit_item(w)                       # in the outbox before the laptop learned
    _move(w, REASSIGNED)
    w["clock"].set(REASSIGNED + dt.timedelta(hours=1))
    changes, _ = w["apis"]["agent1"].pull_all()          # the laptop pulls the tombstone
    assert [c["op"] for c in changes if c["case_id"] == w["case"]] == ["tombstone"]
    late, _ = _visit_item(w, created_at="2030-03-04T06:30:00Z")  # recorded after that
    [refused] = w["apis"]["agent1"].push(late)
    assert (refused["status"], refused["code"]) == ("rejected", "not_yours")
    assert "learned" in refused["reason"] and "2030-03-04T06:00:00Z" in refused["reason"]
    [res] = w["apis"]["agent1"].push(kept)
    assert res["status"] == "accepted", res
    zh = w["apis"]["agent1"].post("/api/v1/sync/push", json={"device_id": w["apis"]["agent1"].device_id,
                                                               "items": [late]},
                                  headers={"Accept-Language": "zh-CN"}).json()["results"][0]["reason"]
    assert "2030-03-04T06:00:00Z" in zh and zh != refused["reason"]


def test_a_later_pull_request_shows_what_the_laptop_applied(world):
    """A pull request proves the pages before the device's previous request were applied (the
    app fetches the next page while it writes one): after two requests past the tombstone the
    laptop knew of it, even when its pushes carry no cursor (an older app)."""
    w = world
    api = w["apis"]["agent1"]
    _move(w, REASSIGNED)
    w["clock"].set(REASSIGNED + dt.timedelta(hours=1))
    changes, cursor = api.pull_all()                     # serves the tombstone
    assert [c["op"] for c in changes if c["case_id"] == w["case"]] == ["tombstone"]

    def pull_then_push(created_at: str) -> dict:
        assert api.get("/api/v1/sync/pull", params={"cursor": cursor}).status_code == 200
        it, _ = _visit_item(w, created_at=created_at)
        api.cursor = None                                # the push tells nothing itself
        return api.push(it)[0]

    # The first request from the new cursor proves only the pages before the one that served it.
    assert pull_then_push("2030-03-04T06:30:00Z")["status"] == "accepted"
    refused = pull_then_push("2030-03-04T06:31:00Z")     # the second proves the tombstone applied
    assert (refused["status"], refused["code"]) == ("rejected", "not_yours")
    assert "learned" in refused["reason"]


def test_what_one_laptop_learned_does_not_bind_another(world):
    w = world
    other = Api(w["live"].url, "agent1")                 # agent1's second laptop, offline since
    other.pull_all()
    _move(w, REASSIGNED)
    w["clock"].set(REASSIGNED + dt.timedelta(hours=1))
    w["apis"]["agent1"].pull_all()                       # the first laptop learned
    it, _ = _visit_item(w, created_at="2030-03-04T06:30:00Z")
    assert w["apis"]["agent1"].push(it)[0]["code"] == "not_yours"
    assert other.push(it)[0]["status"] == "accepted"     # the second had not
    other.close()


def test_work_on_a_case_given_back_is_ordinary(world):
    w = world
    _move(w, REASSIGNED)
    _move(w, REASSIGNED + dt.timedelta(hours=1), to="agent1")
    it, visit_id = _visit_item(w, agent_started_at="2030-03-04T07:00:00Z", checked_in_at=None,
                               ended_at="2030-03-04T07:30:00Z")
    assert w["apis"]["agent1"].push(it)[0]["status"] == "accepted"
    with w["live"].session() as s:
        assert s.get(Visit, visit_id).late is None
    assert "after_handover" not in _lead_exceptions(w["apis"]["lead1"], visit_id)


def test_the_assignment_history_is_kept(world):
    w = world
    _move(w, REASSIGNED)
    _move(w, REASSIGNED + dt.timedelta(hours=1), to="agent3")
    _move(w, REASSIGNED + dt.timedelta(hours=2), how="close")
    from fieldapp.server.models import AssignmentPeriod, User
    with w["live"].session() as s:
        rows = s.execute(select(User.username, AssignmentPeriod.started_at, AssignmentPeriod.ended_at,
                                AssignmentPeriod.end_reason)
                         .join(User, User.id == AssignmentPeriod.agent_id)
                         .where(AssignmentPeriod.case_id == w["case"])
                         .order_by(AssignmentPeriod.started_at)).all()
    h = dt.timedelta(hours=1)
    assert [tuple(r) for r in rows] == [("agent1", T0, REASSIGNED, "unassigned"),
                                        ("agent2", REASSIGNED, REASSIGNED + h, "unassigned"),
                                        ("agent3", REASSIGNED + h, REASSIGNED + 2 * h, "closed")]
