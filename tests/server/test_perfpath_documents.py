"""Stored case documents: a pull sends them as they are, and they always equal the record
built from the database now (after imports, pushes, reviews, reassignments, policy edits)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from fieldapp.policy.loader import policies_dir
from fieldapp.protocol.v1 import PullResponse
from fieldapp.server import admin
from fieldapp.server.compliance import Assessor
from fieldapp.server.models import Case
from fieldapp.server.services.caseupsert import upsert_case
from fieldapp.server.services.changes import case_changed, emit
from fieldapp.server.services.records import case_record, document_stamp, load_cases

from .kit import Api, add_case, case_row, item, make_people, visit_payload


@pytest.fixture
def world(live):
    with live.session() as s, s.begin():
        make_people(s)
        ids = [add_case(s, f"D-{i:02d}", "agent1") for i in range(6)]
    return live, ids, Api(live.url, "agent1")


def _fresh_records(live, ids) -> dict[str, dict]:
    """What the case records are when built from the database right now."""
    with live.session() as s:
        assessor = Assessor()
        return {c.id: json.loads(case_record(c, assessor).model_dump_json())
                for c in load_cases(s, ids).values()}


def _pull(api, cursor=0, limit=1000):
    r = api.get("/api/v1/sync/pull", params={"cursor": cursor, "limit": limit})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    PullResponse.model_validate_json(r.content)  # the page is a valid v1 answer as sent
    return r.json()


def _upserts(body) -> dict[str, dict]:
    return {c["case_id"]: c["case"] for c in body["changes"] if c["op"] == "upsert"}


def test_every_kind_of_change_leaves_a_document_equal_to_the_fresh_record(world):
    live, ids, api = world
    visit_id = str(uuid.uuid4())
    assert api.push(item(ids[0], visit_payload(ids[0], visit_id=visit_id)))[0]["status"] == "accepted"
    lead = Api(live.url, "lead1")
    decision = {"visit_id": visit_id, "decision": "return", "comment": "请补充照片",
                "decided_at": "2030-03-04T03:00:00Z", "expected_state": "pending"}
    assert lead.push(item(ids[0], decision, kind="review_decision"))[0]["status"] == "accepted"
    with live.session() as s, s.begin():
        agents = {"agent1": admin.find_user(s, "agent1")}
        upsert_case(s, case_row("D-01", "agent1", amount_due=Decimal("77.70"), flags=["vulnerable"]), agents)
        admin.reassign_case(s, "D-02", "agent2")
        admin.close_case(s, "D-03")
    body = _pull(api)
    sent = _upserts(body)
    assert set(sent) == {ids[0], ids[1], ids[4], ids[5]}
    assert sent == _fresh_records(live, list(sent))
    assert [t["comment"] for t in sent[ids[0]]["tasks"]] == ["请补充照片"]
    assert [v["id"] for v in sent[ids[0]]["visits"]] == [visit_id]
    assert sent[ids[1]]["amount_due"] == "77.70" and sent[ids[1]]["customer"]["flags"] == ["vulnerable"]
    tombstones = {c["case_id"]: c["reason"] for c in body["changes"] if c["op"] == "tombstone"}
    assert tombstones == {ids[2]: "unassigned", ids[3]: "closed"}
    fresh = _fresh_records(live, [ids[2]])[ids[2]]
    with live.session() as s:
        closed = s.scalar(select(Case).where(Case.id == ids[3]))
        assert closed.document is None and closed.document_stamp is None
        moved = s.scalar(select(Case).where(Case.id == ids[2]))
        assert json.loads(moved.document) == fresh  # kept current for whoever gets it next


def test_a_pull_sends_the_stored_document_as_it_is(world):
    """The fast path is real: a document with a current stamp is copied, not rebuilt."""
    live, ids, api = world
    with live.session() as s, s.begin():
        doc = json.loads(s.scalar(select(Case.document).where(Case.id == ids[0])))
        doc["reference"] = "AS-STORED"
        s.execute(update(Case).where(Case.id == ids[0]).values(document=json.dumps(doc)))
    assert _upserts(_pull(api))[ids[0]]["reference"] == "AS-STORED"


def test_missing_or_outdated_documents_are_rebuilt_on_the_fly(world):
    live, ids, api = world
    with live.session() as s, s.begin():
        doc = json.loads(s.scalar(select(Case.document).where(Case.id == ids[1])))
        doc["reference"] = "OUTDATED"
        s.execute(update(Case).where(Case.id == ids[0]).values(document=None, document_stamp=None))
        s.execute(update(Case).where(Case.id == ids[1]).values(document=json.dumps(doc), document_stamp="0|cn@old"))
        agent1 = admin.find_user(s, "agent1")
        # Rows written in bulk and numbered with emit() alone, without a document.
        s.execute(update(Case).where(Case.id == ids[2]).values(days_past_due=999, document=None))
        emit(s, agent1.id, ids[2], "upsert")
    sent = _upserts(_pull(api))
    assert sent == _fresh_records(live, ids)
    assert sent[ids[1]]["reference"] == "D-01" and sent[ids[2]]["days_past_due"] == 999


def test_a_new_policy_version_is_applied_to_stored_documents(world, tmp_path):
    live, ids, api = world
    path = tmp_path / "bank.toml"
    text = (policies_dir() / "cn.toml").read_text(encoding="utf-8")
    path.write_text(text.replace('id = "cn"', 'id = "bank"', 1), encoding="utf-8")
    with live.session() as s, s.begin():
        case = s.get(Case, ids[0])
        case.policy_id = str(path)
        case_changed(s, case)
    first = _upserts(_pull(api))[ids[0]]["compliance"]
    assert (first["policy_id"], first["policy_version"]) == ("bank", "2026.1")
    path.write_text(path.read_text(encoding="utf-8").replace('version = "2026.1"', 'version = "2026.2"', 1),
                    encoding="utf-8")
    again = _upserts(_pull(api))[ids[0]]["compliance"]
    assert again["policy_version"] == "2026.2" and again["decision"]["policy"]["version"] == "2026.2"
    with live.session() as s:  # stored under the old version until the case changes again
        assert s.scalar(select(Case.document_stamp).where(Case.id == ids[0])) != document_stamp(
            str(path), Assessor())


def test_a_customer_change_reaches_every_case_of_the_customer(world):
    live, ids, api = world
    with live.session() as s, s.begin():
        agents = {u: admin.find_user(s, u) for u in ("agent1", "agent2")}
        upsert_case(s, case_row("S-1", "agent1", customer_ref="CUST-1"), agents)
        upsert_case(s, case_row("S-2", "agent2", customer_ref="CUST-1"), agents)
    _, cursor1 = api.pull_all()
    other = Api(live.url, "agent2")
    _, cursor2 = other.pull_all()
    with live.session() as s, s.begin():
        upsert_case(s, case_row("S-2", "agent2", customer_ref="CUST-1", address="新地址 8号"), agents)
    mine, _ = api.pull_all(cursor1)
    theirs, _ = other.pull_all(cursor2)
    assert [(c["case"]["external_id"], c["case"]["customer"]["address"]) for c in mine] == [("S-1", "新地址 8号")]
    assert [c["case"]["external_id"] for c in theirs] == ["S-2"]
    with live.session() as s, s.begin():  # the customer as it was: no change for S-1
        upsert_case(s, case_row("S-2", "agent2", customer_ref="CUST-1", address="新地址 8号",
                                amount_due=Decimal("1.00")), agents)
    assert api.pull_all(cursor1)[0] == mine


def test_pages_split_where_the_limit_says(world):
    live, ids, api = world
    first = _pull(api, limit=4)
    rest = _pull(api, cursor=first["next_cursor"], limit=4)
    assert (len(first["changes"]), first["has_more"], len(rest["changes"]), rest["has_more"]) == (4, True, 2, False)
    assert [c["case_id"] for c in first["changes"] + rest["changes"]] == ids
    empty = _pull(api, cursor=rest["next_cursor"])
    assert empty["changes"] == [] and empty["next_cursor"] == rest["next_cursor"]


def test_the_api_schema_still_documents_the_pull_page(live):
    spec = Api(live.url).get("/openapi.json").json()
    ok = spec["paths"]["/api/v1/sync/pull"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/PullResponse")
