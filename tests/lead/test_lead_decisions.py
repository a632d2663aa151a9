"""Two leads deciding the same visit: one wins, the other is told who decided first and when.
Sequential through two laptops' outboxes, and truly at once (threads) on the live server."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import func, select

from fieldapp.protocol.v1 import item_content_hash
from fieldapp.server.models import AuditEntry
from lead.lead_world import add_case, password, visit
from server.kit import Api


def test_the_second_lead_is_told_who_decided_first(server, laptop):
    with server.session() as s, s.begin():
        case_id = add_case(s, "CC-1")
    agent = laptop("agent", "agent1", server)
    agent.sync()
    v = visit(case_id)
    agent.record_visit(v)
    agent.sync()
    first, second = laptop("lead", "lead1", server), laptop("lead", "lead1b", server)
    first.sync(), second.sync()
    first.decide(v.visit_id, "approve")
    second.decide(v.visit_id, "return", "Please add the customer's answer on income")
    assert not first.sync().rejected
    summary = second.sync()
    [rejection] = summary.rejected
    assert rejection.code == "conflict"
    assert "Lena Lead (lead1)" in rejection.reason and "approved" in rejection.reason
    decided_at = first.visit(v.visit_id).review.decided_at
    assert decided_at.strftime("%Y-%m-%dT%H:%M:%S") in rejection.reason
    [row] = second.queue()  # the loser sees the winner's decision and its own refusal
    assert (row.state, row.decided_by) == ("approved", "Lena Lead")
    assert (row.pending_decision, row.pending_state) == ("return", "rejected")
    assert "lead1" in row.pending_reason
    # Having seen it, the second lead may decide again on the current state.
    second.decide(v.visit_id, "escalate", "Approved too quickly; compliance to look")
    assert not second.sync().rejected
    assert second.visit(v.visit_id).review.state == "escalated"


def test_the_refusal_speaks_the_leads_language(server, laptop):
    """The push answers in the Accept-Language it is asked in (en, zh_CN)."""
    with server.session() as s, s.begin():
        case_id = add_case(s, "CC-ZH")
    agent = laptop("agent", "agent1", server)
    agent.sync()
    v = visit(case_id)
    agent.record_visit(v)
    agent.sync()
    first = laptop("lead", "lead1", server)
    first.sync()
    first.decide(v.visit_id, "approve")
    first.sync()
    late = Api(server.url)
    late.login("lead1b", password("lead1b"))
    late.client.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
    body = {"visit_id": v.visit_id, "decision": "return", "comment": "请补充", "expected_state": "pending",
            "decided_at": "2026-11-22T10:00:00Z"}
    [res] = late.push({"id": str(uuid.uuid4()), "kind": "review_decision", "case_id": case_id,
                       "created_at": "2026-11-22T10:00:00Z", "payload": body, "attachments": [],
                       "content_hash": item_content_hash("review_decision", case_id, body, [])})
    late.close()
    assert res["code"] == "conflict"
    assert res["reason"].startswith("Lena Lead (lead1) 已于 ") and "approved" in res["reason"]


def test_decisions_at_the_same_moment_have_one_winner(module_server):
    live = module_server
    with live.session() as s, s.begin():
        case_id = add_case(s, f"RACE-{uuid.uuid4().hex[:6]}")
    agent = Api(live.url)
    agent.login("agent1", password("agent1"))
    v = visit(case_id)
    payload = v.model_dump(mode="json")
    [res] = agent.push({"id": str(uuid.uuid4()), "kind": "visit", "case_id": case_id,
                        "created_at": "2026-03-04T02:41:00Z", "payload": payload, "attachments": [],
                        "content_hash": item_content_hash("visit", case_id, payload, [])})
    assert res["status"] == "accepted"
    leads = {}
    for name in ("lead1", "lead1b"):
        leads[name] = Api(live.url)
        leads[name].login(name, password(name))
    for rounds in range(3):  # a few rounds: the race must never let both through
        expected = ["pending", "approved", "escalated"][rounds]
        results: dict[str, dict] = {}
        barrier = threading.Barrier(2)

        def decide(name: str, decision: str) -> None:
            body = {"visit_id": v.visit_id, "decision": decision, "comment": f"by {name}",
                    "decided_at": "2026-11-22T10:00:00Z", "expected_state": expected}
            item = {"id": str(uuid.uuid4()), "kind": "review_decision", "case_id": case_id,
                    "created_at": "2026-11-22T10:00:00Z", "payload": body, "attachments": [],
                    "content_hash": item_content_hash("review_decision", case_id, body, [])}
            barrier.wait()
            [results[name]] = leads[name].push(item)

        decision = ["approve", "escalate", "approve"][rounds]
        threads = [threading.Thread(target=decide, args=(n, decision)) for n in leads]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r["status"] for r in results.values())
        assert statuses == ["accepted", "rejected"], results
        loser = next(r for r in results.values() if r["status"] == "rejected")
        assert loser["code"] == "conflict"
    with live.session() as s:
        decisions = s.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.object_id == v.visit_id, AuditEntry.action.like("review.%")))
    assert decisions == 3
    for api in (agent, *leads.values()):
        api.close()
