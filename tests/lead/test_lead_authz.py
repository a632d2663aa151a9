"""Authorization of the lead endpoints as a matrix (agent / own-team lead / other-team lead /
admin / nobody), on a live server (SQLite, and PostgreSQL where configured)."""

from __future__ import annotations

import uuid

import pytest

from fieldapp.protocol.v1 import item_content_hash
from lead.lead_world import PEOPLE, add_case, password, visit
from server.kit import Api

FIGURES = "/api/v1/lead/figures?from=2026-01-01&to=2026-12-31&tz=Asia/Shanghai"


@pytest.fixture(scope="module")
def world(module_server):
    live = module_server
    with live.session() as s, s.begin():
        case1 = add_case(s, f"AZ-{uuid.uuid4().hex[:6]}", "agent1")
        case3 = add_case(s, f"AZ-{uuid.uuid4().hex[:6]}", "agent3")
    apis = {}
    for name in PEOPLE:
        api = Api(live.url)
        assert api.login(name, password(name)).status_code == 200
        apis[name] = api
    v1, v3 = visit(case1), visit(case3)
    for who, case_id, v in (("agent1", case1, v1), ("agent3", case3, v3)):
        [res] = apis[who].push(_item(case_id, v.model_dump(mode="json"), "visit"))
        assert res["status"] == "accepted", res
    yield {"apis": apis, "live": live, "v1": v1, "v3": v3, "case1": case1}
    for api in apis.values():
        api.close()


def _item(case_id, payload, kind):
    return {"id": str(uuid.uuid4()), "kind": kind, "case_id": case_id, "created_at": "2026-03-04T02:41:00Z",
            "payload": payload, "attachments": [],
            "content_hash": item_content_hash(kind, case_id, payload, [])}


def _visits(body):
    return {i["visit_id"] for c in body["changes"] for i in c["items"]}


@pytest.mark.parametrize("who", ["agent1", "agent2", "agent3"])
def test_agents_never_reach_review_endpoints(world, who):
    api = world["apis"][who]
    for path in ("/api/v1/lead/pull", f"/api/v1/lead/visits/{world['v1'].visit_id}", FIGURES,
                 FIGURES + "&format=csv", "/api/v1/lead/visits/no-such-visit"):
        r = api.get(path)
        assert (r.status_code, r.json()["error"]) == (403, "forbidden"), path


def test_nobody_signed_in_gets_401(world):
    anonymous = Api(world["live"].url)
    try:
        for path in ("/api/v1/lead/pull", f"/api/v1/lead/visits/{world['v1'].visit_id}", FIGURES):
            assert anonymous.get(path).status_code == 401
    finally:
        anonymous.close()


def test_a_lead_sees_only_the_own_team(world):
    v1, v3 = world["v1"].visit_id, world["v3"].visit_id
    lead1, lead2 = world["apis"]["lead1"], world["apis"]["lead2"]
    assert v1 in _visits(lead1.get("/api/v1/lead/pull").json())
    assert v3 not in _visits(lead1.get("/api/v1/lead/pull").json())
    assert _visits(lead2.get("/api/v1/lead/pull").json()) >= {v3}
    assert v1 not in _visits(lead2.get("/api/v1/lead/pull").json())
    assert lead1.get(f"/api/v1/lead/visits/{v1}").json()["item"]["agent"]["username"] == "agent1"
    r = lead2.get(f"/api/v1/lead/visits/{v1}")
    assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    assert lead1.get("/api/v1/lead/visits/no-such-visit").status_code == 404
    body = lead1.get(FIGURES).json()
    assert body["team"] == "t1" and {a["agent"]["username"] for a in body["agents"]} == {"agent1", "agent2"}
    assert lead2.get(FIGURES).json()["team"] == "t2"
    r = lead2.get(FIGURES + "&team=t1")
    assert (r.status_code, r.json()["error"]) == (403, "forbidden")


def test_an_admin_reads_every_team_but_does_not_decide(world):
    admin = world["apis"]["admin"]
    assert {world["v1"].visit_id, world["v3"].visit_id} <= _visits(admin.get("/api/v1/lead/pull").json())
    assert admin.get(f"/api/v1/lead/visits/{world['v1'].visit_id}").status_code == 200
    assert admin.get(FIGURES + "&team=t1").json()["team"] == "t1"
    assert admin.get(FIGURES).json()["team"] is None
    r = admin.get(FIGURES + "&team=nope")
    assert (r.status_code, r.json()["error"]) == (404, "not_found")


@pytest.mark.parametrize("who", ["agent1", "lead2", "admin"])
def test_only_the_teams_lead_may_decide(world, who):
    payload = {"visit_id": world["v1"].visit_id, "decision": "approve", "comment": "",
               "decided_at": "2026-11-22T10:00:00Z", "expected_state": "pending"}
    [res] = world["apis"][who].push(_item(world["case1"], payload, "review_decision"))
    assert (res["status"], res["code"]) == ("rejected", "invalid")
    r = world["apis"]["lead1"].get(f"/api/v1/lead/visits/{world['v1'].visit_id}")
    assert r.json()["item"]["review"]["state"] == "pending"


def test_bad_figures_requests_name_the_field(world):
    lead = world["apis"]["lead1"]
    cases = {"/api/v1/lead/figures?from=2026-03-31&to=2026-03-01": "to",
             "/api/v1/lead/figures?from=2026-03-01&to=2026-03-31&tz=Mars/Base": "tz",
             "/api/v1/lead/figures?from=2020-01-01&to=2026-03-31": "to",
             "/api/v1/lead/figures?from=yesterday&to=2026-03-31": "from",
             "/api/v1/lead/figures?to=2026-03-31": "from"}
    for path, field in cases.items():
        r = lead.get(path)
        assert r.status_code == 422 and r.json()["error"] == "invalid", path
        assert field in r.json()["detail"], (path, r.json()["detail"])
    assert lead.get("/api/v1/lead/pull?cursor=-1").status_code == 422
    r = lead.get("/api/v1/lead/pull?cursor=999999999")
    assert (r.status_code, r.json()["error"]) == (409, "conflict")
