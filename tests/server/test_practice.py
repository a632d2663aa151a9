"""Practices reach the server as outbox items and leads see who practised which version;
free text the server keeps (notes, lead comments) has its personal numbers masked."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from fieldapp.server.models import AuditEntry, PracticeRun, Review, Visit

from .kit import Api, add_case, item, make_people, visit_payload

SHA = "a" * 64


def practice(version: int = 2, script: str = "home_visit_cn", **kw) -> dict:
    payload = {"practice_id": str(uuid.uuid4()), "script_id": script, "script_version": version,
               "script_sha256": SHA, "lang": "zh_CN", "started_at": "2030-03-01T01:00:00Z",
               "completed_at": "2030-03-01T01:09:00Z", "outcome": "refused", "steps": 7, "stopped": None}
    payload.update(kw)
    return payload


@pytest.fixture
def world(live):
    with live.session() as s, s.begin():
        make_people(s)
        case = add_case(s, "P-1", "agent1")
    return live, case


def test_a_practice_is_kept_once_and_the_lead_sees_the_team(world):
    live, _ = world
    agent1, agent2 = Api(live.url, "agent1"), Api(live.url, "agent2")
    done = practice()
    it = item("", done, kind="practice")
    assert [r["status"] for r in agent1.push(it)] == ["accepted"]
    assert [r["status"] for r in agent1.push(it)] == ["duplicate"]
    assert [r["status"] for r in agent2.push(item("", practice(version=1), kind="practice"))] == ["accepted"]
    with live.session() as s:
        run = s.get(PracticeRun, done["practice_id"])
        assert (run.script_id, run.script_version, run.user.username) == ("home_visit_cn", 2, "agent1")
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.action == "practice.completed"))

    lead = Api(live.url, "lead1")
    r = lead.get("/api/v1/lead/practice")
    assert r.status_code == 200, r.text
    body = r.json()
    assert {s["id"]: s["version"] for s in body["scripts"]} == {"home_visit_cn": 3, "home_visit_us": 3}
    agents = {a["agent"]["username"]: a["done"] for a in body["agents"]}
    assert set(agents) == {"agent1", "agent2"}                       # the lead's team only
    assert [(d["script_id"], d["version"]) for d in agents["agent1"]] == [("home_visit_cn", 2)]
    assert [(d["script_id"], d["version"]) for d in agents["agent2"]] == [("home_visit_cn", 1)]
    assert Api(live.url, "agent1").get("/api/v1/lead/practice").status_code == 403
    other = Api(live.url, "lead2").get("/api/v1/lead/practice").json()
    assert [a["agent"]["username"] for a in other["agents"]] == ["agent3"]


def test_a_bad_practice_is_refused_with_a_reason(world):
    live, case = world
    agent = Api(live.url, "agent1")
    results = agent.push(item(case, practice(), kind="practice"),                      # names a case
                         item("", practice(completed_at="2030-02-01T00:00:00Z"), kind="practice"),
                         item("", practice(script_id="../etc"), kind="practice"))
    assert [(r["status"], r["code"]) for r in results] == [("rejected", "invalid")] * 3
    lead = Api(live.url, "lead1")
    assert [r["code"] for r in lead.push(item("", practice(), kind="practice"))] == ["invalid"]


def test_personal_numbers_in_notes_and_comments_are_masked_on_the_server(world):
    live, case = world
    agent = Api(live.url, "agent1")
    payload = visit_payload(case, notes="客户新手机13800138000，身份证11010519491231002X",
                            transcript=[{"event": "answer", "node": "listen", "note": "他说卡号6222021234567890128"}])
    assert [r["status"] for r in agent.push(item(case, payload))] == ["accepted"]
    lead = Api(live.url, "lead1")
    decision = {"visit_id": payload["visit_id"], "decision": "return", "decided_at": "2030-03-05T01:00:00Z",
                "comment": "再不还钱就去他单位。打他电话13900139000", "expected_state": "pending"}
    assert [r["status"] for r in lead.push(item(case, decision, kind="review_decision"))] == ["accepted"]
    with live.session() as s:
        record = s.get(Visit, payload["visit_id"]).record
        assert record["notes"] == "客户新手机138****8000，身份证**************002X"
        assert record["transcript"][0]["note"] == "他说卡号***************0128"
        review = s.scalar(select(Review).where(Review.visit_id == payload["visit_id"]))
        assert review.comment == "再不还钱就去他单位。打他电话139****9000"
        audit = {e.action: e.detail for e in s.scalars(select(AuditEntry))}
        assert audit["visit.received"]["masked"] == ["bank_card", "cn_id", "cn_mobile"]
        assert audit["review.returned"]["conduct"] == ["third_party"]
        assert audit["review.returned"]["masked"] == ["cn_mobile"]
        assert "139****9000" not in str(audit) and "单位" not in str(audit)  # the audit never keeps the text
