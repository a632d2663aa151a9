"""Authorization as a matrix: every role against every endpoint (agent: own cases; lead:
the team's; admin: administration)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from fieldapp.server.testing import LiveServer

from .kit import PEOPLE, Api, add_case, item, make_people, visit_payload

ROLES = list(PEOPLE)  # admin, lead1, agent1, agent2, lead2, agent3


@pytest.fixture(scope="module")
def world(module_db_url):
    """agent1 (team t1) owns case M-1 and visit V with an attachment; everyone signed in."""
    with LiveServer(module_db_url, upgrade_db=False) as live:
        with live.session() as s, s.begin():
            make_people(s)
            case_id = add_case(s, "M-1", "agent1")
            add_case(s, "M-2", "agent3")
        apis = {name: Api(live.url, name) for name in ROLES}
        sha = apis["agent1"].upload(b"signature png bytes")
        visit_id = str(uuid.uuid4())
        [res] = apis["agent1"].push(item(case_id, visit_payload(case_id, visit_id=visit_id),
                                         attachments=[sha]))
        assert res["status"] == "accepted", res
        yield {"live": live, "apis": apis, "case_id": case_id, "sha": sha, "visit_id": visit_id}
        for api in apis.values():
            api.close()


def _status(r):
    return r.status_code


def _push_visit(w, api):
    payload = visit_payload(w["case_id"])
    [res] = api.push(item(w["case_id"], payload))
    return res["status"] if res["status"] != "rejected" else res["code"]


def _push_review(w, api):
    payload = {"visit_id": w["visit_id"], "decision": "approve", "comment": "",
               "decided_at": dt.datetime.now(dt.timezone.utc).isoformat()}
    [res] = api.push(item(w["case_id"], payload, kind="review_decision"))
    return res["status"] if res["status"] != "rejected" else res["code"]


ENDPOINTS = {
    "pull": lambda w, api: _status(api.get("/api/v1/sync/pull")),
    "push_visit": _push_visit,
    "push_review": _push_review,
    "get_case": lambda w, api: _status(api.get(f"/api/v1/cases/{w['case_id']}")),
    "put_attachment": lambda w, api: _status(api.put(
        "/api/v1/attachments/" + __import__("hashlib").sha256(b"x").hexdigest(), content=b"x")),
    "get_attachment": lambda w, api: _status(api.get(f"/api/v1/attachments/{w['sha']}")),
    "admin_users": lambda w, api: _status(api.get("/api/v1/admin/users")),
    "admin_reassign": lambda w, api: _status(api.post("/api/v1/admin/cases/M-2/reassign",
                                                      json={"username": "agent3"})),
    "admin_revoke": lambda w, api: _status(api.post("/api/v1/admin/devices/revoke",
                                                    json={"username": "agent3", "device_id": "no-such-dev"})),
}

#                 admin        lead1        agent1       agent2       lead2        agent3
EXPECTED = {
    "pull":           (200,        200,         200,         200,         200,         200),
    "push_visit":     ("not_yours", "not_yours", "accepted", "not_yours", "not_yours", "not_yours"),
    "push_review":    ("invalid",  "accepted",  "invalid",   "invalid",   "invalid",   "invalid"),
    "get_case":       (200,        200,         200,         403,         403,         403),
    "put_attachment": (200,        200,         200,         200,         200,         200),
    "get_attachment": (200,        200,         200,         404,         404,         404),
    "admin_users":    (200,        403,         403,         403,         403,         403),
    "admin_reassign": (200,        403,         403,         403,         403,         403),
    "admin_revoke":   (404,        403,         403,         403,         403,         403),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_matrix(world, endpoint, role):
    got = ENDPOINTS[endpoint](world, world["apis"][role])
    assert got == EXPECTED[endpoint][ROLES.index(role)]


def test_lead_without_the_team_sees_nothing_of_it(world):
    with world["live"].session() as s:
        from sqlalchemy import select

        from fieldapp.server.models import Case
        other = s.scalar(select(Case.id).where(Case.external_id == "M-2"))
    assert world["apis"]["lead1"].get(f"/api/v1/cases/{other}").status_code == 403
    assert world["apis"]["lead2"].get(f"/api/v1/cases/{other}").status_code == 200
    assert world["apis"]["agent1"].get("/api/v1/cases/no-such-case").status_code == 404
