"""Push: each outbox item accepted, duplicate or rejected with a code, on its own."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from fieldapp.core.timeutil import utcnow
from fieldapp.server.models import Agreement, AuditEntry, PushedItem, Review, Visit, VisitAttachment

from .kit import Api, add_case, agreement, item, make_people, visit_payload


@pytest.fixture
def world(live):
    with live.session() as s, s.begin():
        make_people(s)
        mine = add_case(s, "U-1", "agent1")
        theirs = add_case(s, "U-2", "agent2")
    api = Api(live.url, "agent1")
    return live, api, mine, theirs


def _codes(results):
    return [(r["status"], r["code"]) for r in results]


def test_accepted_visit_creates_visit_review_and_a_change(world):
    live, api, mine, _ = world
    _, cursor = api.pull_all()
    pdf, sig = api.upload(b"%PDF-1.7 agreement"), api.upload(b"\x89PNG signature")
    payload = visit_payload(mine, outcome="agreement_signed", agreement=agreement(pdf, sig))
    it = item(mine, payload, attachments=[sig])
    assert _codes(api.push(it)) == [("accepted", None)]
    with live.session() as s:
        visit = s.get(Visit, payload["visit_id"])
        assert visit.outcome == "agreement_signed" and visit.case_id == mine
        assert visit.record["notes"] == "客户承诺月底还款"
        assert s.scalar(select(Review.state).where(Review.visit_id == visit.id)) == "pending"
        assert s.scalar(select(Agreement.pdf_sha256).where(Agreement.visit_id == visit.id)) == pdf
        assert set(s.scalars(select(VisitAttachment.sha256).where(VisitAttachment.visit_id == visit.id))) \
            == {pdf, sig}
    changes, _ = api.pull_all(cursor)
    [change] = changes
    assert change["op"] == "upsert"
    assert [(v["id"], v["outcome"], v["agent"]) for v in change["case"]["visits"]] == [
        (payload["visit_id"], "agreement_signed", "agent1")]


def test_resend_is_a_duplicate_and_other_content_a_conflict(world):
    live, api, mine, _ = world
    it = item(mine, visit_payload(mine))
    assert _codes(api.push(it)) == [("accepted", None)]
    assert _codes(api.push(it)) == [("duplicate", None)]
    changed = item(mine, {**it["payload"], "notes": "different"}, item_id=it["id"])
    [res] = api.push(changed)
    assert (res["status"], res["code"]) == ("rejected", "conflict") and res["reason"]
    # Same visit id under a new item id: a conflict too, never a second visit.
    again = item(mine, it["payload"])
    assert _codes(api.push(again)) == [("rejected", "conflict")]
    with live.session() as s:
        assert s.scalar(select(func.count()).select_from(Visit)) == 1
        assert s.scalar(select(func.count()).select_from(PushedItem)) == 1


def test_not_yours(world):
    live, api, _, theirs = world
    [res] = api.push(item(theirs, visit_payload(theirs)))
    assert (res["status"], res["code"]) == ("rejected", "not_yours")
    [res] = api.push(item("no-such-case", visit_payload("no-such-case")))
    assert res["code"] == "not_yours"


@pytest.mark.parametrize("change,field", [
    ({"outcome": "kidnapped"}, "payload.outcome"),
    ({"contact_made": "perhaps"}, "payload.contact_made"),
    ({"ended_at": "2030-03-04T02:40:00"}, "payload.ended_at"),
    ({"surprise": 1}, "payload.surprise"),
    ({"promise": {"amount": 5.5, "currency": "CNY", "due_date": "2030-03-31"}}, "payload.promise.amount"),
    ({"location": {"lat": 91, "lon": 0}}, "payload.location.lat"),
])
def test_invalid_payload_names_the_field(world, change, field):
    live, api, mine, _ = world
    [res] = api.push(item(mine, visit_payload(mine, **change)))
    assert (res["status"], res["code"]) == ("rejected", "invalid")
    assert field in res["reason"]


def test_invalid_semantics(world):
    live, api, mine, theirs = world
    [a, b, c] = api.push(
        item(mine, visit_payload(theirs)),                                   # case ids differ
        item(mine, visit_payload(mine, ended_at="2030-03-04T01:00:00Z")),    # ends before start
        item(mine, visit_payload(mine, corrects_visit_id="nope")))
    assert [x["code"] for x in (a, b, c)] == ["invalid"] * 3
    assert "case_id" in a["reason"] and "ended_at" in b["reason"] and "corrects_visit_id" in c["reason"]


def test_missing_attachment_then_accepted_after_upload(world):
    live, api, mine, _ = world
    data = b"\x89PNG later"
    import hashlib
    sha = hashlib.sha256(data).hexdigest()
    it = item(mine, visit_payload(mine), attachments=[sha])
    [res] = api.push(it)
    assert (res["code"], sha in res["reason"]) == ("missing_attachment", True)
    api.upload(data)
    assert _codes(api.push(it)) == [("accepted", None)]


def test_agreement_files_must_be_uploaded_and_terms_hash_must_match(world):
    live, api, mine, _ = world
    sig = api.upload(b"sig")
    ag = agreement("a" * 64, sig)
    [res] = api.push(item(mine, visit_payload(mine, outcome="agreement_signed", agreement=ag)))
    assert res["code"] == "missing_attachment" and "a" * 64 in res["reason"]
    pdf = api.upload(b"pdf")
    bad = {**agreement(pdf, sig), "terms_sha256": "b" * 64}
    [res] = api.push(item(mine, visit_payload(mine, outcome="agreement_signed", agreement=bad)))
    assert res["code"] == "hash_mismatch" and "terms_sha256" in res["reason"]


def test_hash_mismatch(world):
    live, api, mine, _ = world
    [res] = api.push(item(mine, visit_payload(mine), content_hash_override="0" * 64))
    assert (res["status"], res["code"]) == ("rejected", "hash_mismatch")


def test_one_bad_item_never_loses_the_others(world):
    live, api, mine, theirs = world
    good1, good2 = item(mine, visit_payload(mine)), item(mine, visit_payload(mine))
    bad = item(theirs, visit_payload(theirs))
    broken = item(mine, visit_payload(mine, outcome="nope"))
    results = api.push(good1, bad, broken, good2)
    assert _codes(results) == [("accepted", None), ("rejected", "not_yours"), ("rejected", "invalid"),
                               ("accepted", None)]
    assert [r["id"] for r in results] == [good1["id"], bad["id"], broken["id"], good2["id"]]
    with live.session() as s:
        assert s.scalar(select(func.count()).select_from(Visit)) == 2
        push_audit = s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "push")).all()
    assert push_audit == [{"items": 4, "rejected": 2}]


def test_push_from_another_device_id_is_refused(world):
    live, api, mine, _ = world
    r = api.post("/api/v1/sync/push", json={"device_id": "someone-else", "items": []})
    assert r.status_code == 422 and r.json()["error"] == "invalid"


def test_too_many_items_in_one_push(world):
    live, api, mine, _ = world
    items = [item(mine, visit_payload(mine)) for _ in range(201)]
    r = api.post("/api/v1/sync/push", json={"device_id": api.device_id, "items": items})
    assert r.status_code == 422 and "items" in r.json()["detail"]


def _decision(visit_id, decision="return", comment="请补充客户签名照片", expected=None):
    d = {"visit_id": visit_id, "decision": decision, "comment": comment,
         "decided_at": utcnow().isoformat()}
    if expected:
        d["expected_state"] = expected
    return d


def test_lead_returns_a_visit_and_the_agent_gets_a_task(world):
    live, api, mine, _ = world
    visit_id = str(uuid.uuid4())
    assert _codes(api.push(item(mine, visit_payload(mine, visit_id=visit_id)))) == [("accepted", None)]
    _, cursor = api.pull_all()
    lead = Api(live.url, "lead1")
    [res] = lead.push(item(mine, _decision(visit_id, comment=""), kind="review_decision"))
    assert res["code"] == "invalid" and "comment" in res["reason"]
    assert _codes(lead.push(item(mine, _decision(visit_id, expected="pending"),
                                 kind="review_decision"))) == [("accepted", None)]
    [res] = lead.push(item(mine, _decision(visit_id, "approve", "", expected="pending"),
                           kind="review_decision"))
    assert (res["code"], "returned" in res["reason"]) == ("conflict", True)
    changes, cursor = api.pull_all(cursor)
    [task] = changes[0]["case"]["tasks"]
    assert (task["visit_id"], task["kind"], task["created_by"]) == (visit_id, "visit_returned", "lead1")
    assert task["comment"] == "请补充客户签名照片"
    # The corrected visit clears the task.
    fixed = visit_payload(mine, corrects_visit_id=visit_id)
    assert _codes(api.push(item(mine, fixed))) == [("accepted", None)]
    changes, _ = api.pull_all(cursor)
    assert changes[0]["case"]["tasks"] == [] and len(changes[0]["case"]["visits"]) == 2


def test_reasons_follow_accept_language(world):
    live, api, _, theirs = world
    it = item(theirs, visit_payload(theirs))
    r = api.post("/api/v1/sync/push", json={"device_id": api.device_id, "items": [it]},
                 headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert r.json()["results"][0]["reason"] == ("该案件未分配给您（或已不再分配给您），本次走访开始时"
                                                "（2030-03-04T01:50:00Z）也不归您负责。")
    r = api.post("/api/v1/sync/push", json={"device_id": api.device_id, "items": [it]},
                 headers={"Accept-Language": "fr-FR, de"})
    assert r.json()["results"][0]["reason"] == ("This case is not (or no longer) assigned to you, and was "
                                                "not yours when this visit began (2030-03-04T01:50:00Z).")


def test_every_rejection_reason_has_a_chinese_text():
    import ast
    import inspect

    from fieldapp.core.i18n import Translator
    from fieldapp.server.services import push

    tree = ast.parse(inspect.getsource(push))
    messages = {node.args[1].value if isinstance(node.args[1], ast.Constant) else
                "".join(p.value for p in ast.walk(node.args[1]) if isinstance(p, ast.Constant))
                for node in ast.walk(tree)
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_Rejected"}
    assert len(messages) >= 15
    zh = Translator.for_language("zh_CN")
    assert [m for m in messages if zh(m) == m] == []


def test_concurrent_pushes_of_the_same_items(world):
    """Two laptops (or a retry racing the first attempt) send the same batch at once: each
    item is accepted exactly once and reported as a duplicate to the other sender."""
    import threading

    live, api, mine, _ = world
    other = Api(live.url, "agent1")
    batch = [item(mine, visit_payload(mine)) for _ in range(15)]
    fresh = [[item(mine, visit_payload(mine)) for _ in range(10)] for _ in range(2)]
    results: dict[str, list] = {}
    barrier = threading.Barrier(4)

    def send(name, client, items):
        barrier.wait()
        r = client.post("/api/v1/sync/push", json={"device_id": client.device_id, "items": items})
        results[name] = [r.status_code, r.json()]

    threads = [threading.Thread(target=send, args=("a", api, batch)),
               threading.Thread(target=send, args=("b", other, list(reversed(batch)))),
               threading.Thread(target=send, args=("c", api, fresh[0])),
               threading.Thread(target=send, args=("d", other, fresh[1]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert {k: v[0] for k, v in results.items()} == {"a": 200, "b": 200, "c": 200, "d": 200}
    by_item: dict[str, list[str]] = {}
    for name in ("a", "b"):
        for res in results[name][1]["results"]:
            by_item.setdefault(res["id"], []).append(res["status"])
    assert all(sorted(v) == ["accepted", "duplicate"] for v in by_item.values()), by_item
    for name in ("c", "d"):
        assert {r["status"] for r in results[name][1]["results"]} == {"accepted"}
    with live.session() as s:
        assert s.scalar(select(func.count()).select_from(Visit)) == 35
    changes, _ = api.pull_all()
    [case] = [c["case"] for c in changes if c["case_id"] == mine]
    assert len(case["visits"]) == 35
