"""Deeply nested JSON and oversized fields: a 4xx naming the field, never a 500 or a dropped
connection; the limits live in the protocol types, so the app and the server agree."""

from __future__ import annotations

import json
import uuid

import pytest
from pydantic import ValidationError

from fieldapp.protocol.v1 import MAX_JSON_DEPTH, MAX_TRANSCRIPT_BYTES, VisitRecord, item_content_hash
from fieldapp.server.limits import json_too_deep

from .kit import Api, add_case, item, make_people, visit_payload


@pytest.fixture(scope="module")
def world(module_db_url):
    from fieldapp.server.testing import LiveServer

    with LiveServer(module_db_url, upgrade_db=False) as live:
        with live.session() as s, s.begin():
            make_people(s)
            case_id = add_case(s, "L-1", "agent1")
        api = Api(live.url, "agent1")
        yield live, api, case_id
        api.close()


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def _push_body(api, case_id, decision_json: str) -> bytes:
    """A push whose visit carries `decision_json` as its planning decision (raw text, so any
    depth can be sent; the content hash is not reached)."""
    payload = json.dumps(visit_payload(case_id))[:-1] + ', "planning_decision": ' + decision_json + "}"
    it = ('{"id": "%s", "kind": "visit", "case_id": "%s", "created_at": "2030-03-04T02:41:00Z", '
          '"payload": %s, "attachments": [], "content_hash": "%s"}' % (uuid.uuid4(), case_id, payload, "0" * 64))
    return ('{"device_id": "%s", "items": [%s]}' % (api.device_id, it)).encode()


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 300, 800, 950, 5000, 100_000])
def test_deep_nesting_is_422_naming_where(world, depth):
    live, api, case_id = world
    r = api.post("/api/v1/sync/push", content=_push_body(api, case_id, _nested(depth)),
                 headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()["error"]) == (422, "invalid"), r.text[:300]
    assert r.json()["detail"].startswith("body.items.0.payload.planning_decision.a")
    assert f"deeper than {MAX_JSON_DEPTH} levels" in r.json()["detail"]
    assert api.get("/api/v1/meta").status_code == 200  # the server is still there


def test_deep_nesting_anywhere(world):
    live, api, _ = world
    body = '{"username": ' + "[" * 60 + "]" * 60 + ', "password": "x", "device_id": "dev-12345678"}'
    r = api.post("/api/v1/auth/login", content=body.encode(), headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"].startswith("body.username.0.0")
    # Brackets inside strings are text, not nesting.
    assert json_too_deep(('{"notes": "' + "[" * 5000 + '"}').encode()) is None


def test_nesting_within_the_limit_is_judged_as_usual(world):
    live, api, case_id = world
    decision = json.loads(_nested(10))
    payload = visit_payload(case_id, planning_decision=decision)
    assert api.push(item(case_id, payload))[0]["status"] == "accepted"


def test_a_15_mib_transcript_is_refused_naming_the_field(world):
    live, api, case_id = world
    payload = visit_payload(case_id, transcript=[{"at": "2030-03-04T02:00:00Z", "text": "x" * (15 * 1024 * 1024)}])
    [res] = api.push(item(case_id, payload))
    assert (res["status"], res["code"]) == ("rejected", "invalid")
    assert "payload.transcript" in res["reason"] and str(MAX_TRANSCRIPT_BYTES) in res["reason"]


@pytest.mark.parametrize("change,field", [
    ({"notes": "n" * 20_001}, "payload.notes"),
    ({"transcript": [{"text": "t"}] * 2_001}, "payload.transcript"),
    ({"checkin_decision": {"results": ["r" * 300_000]}}, "payload.checkin_decision"),
    ({"note_warnings": ["w"] * 101}, "payload.note_warnings"),
    ({"location_exception": "e" * 1_001}, "payload.location_exception"),
    ({"visit_id": "v" * 65}, "payload.visit_id"),
    ({"corrects_visit_id": "v" * 65}, "payload.corrects_visit_id"),
])
def test_per_field_limits_name_the_field(world, change, field):
    live, api, case_id = world
    [res] = api.push(item(case_id, visit_payload(case_id, **change)))
    assert (res["status"], res["code"]) == ("rejected", "invalid")
    assert field in res["reason"], res["reason"]


def test_an_overlong_agreement_id_is_refused_not_a_database_error(world):
    live, api, case_id = world
    pdf, sig = api.upload(b"%PDF limits"), api.upload(b"\x89PNG limits")
    from .kit import agreement

    ag = {**agreement(pdf, sig), "agreement_id": "A" * 200}
    [res] = api.push(item(case_id, visit_payload(case_id, outcome="agreement_signed", agreement=ag)))
    assert (res["code"], "payload.agreement.agreement_id" in res["reason"]) == ("invalid", True)


def test_envelope_limits_are_422_naming_the_field(world):
    live, api, case_id = world
    r = api.post("/api/v1/sync/push", json={"device_id": "d" * 101, "items": []})
    assert r.status_code == 422 and "body.device_id" in r.json()["detail"]
    it = item(case_id, visit_payload(case_id), attachments=["a" * 64] * 51)
    r = api.post("/api/v1/sync/push", json={"device_id": api.device_id, "items": [it]})
    assert r.status_code == 422 and "body.items.0.attachments" in r.json()["detail"]


def test_the_app_refuses_the_same_records():
    """The laptop validates a visit with the same types before it records it."""
    base = visit_payload("c-1")
    with pytest.raises(ValidationError, match="transcript"):
        VisitRecord.model_validate({**base, "transcript": [{"text": "x" * (MAX_TRANSCRIPT_BYTES + 1)}]})
    with pytest.raises(ValidationError, match="nested deeper"):
        VisitRecord.model_validate({**base, "planning_decision": json.loads(_nested(20))})
    assert item_content_hash("visit", "c-1", base, []) == item("c-1", base)["content_hash"]


def test_a_nul_character_is_422_naming_where_on_every_database(world):
    live, api, case_id = world
    r = api.post("/api/v1/auth/login", json={"username": "a\x00b", "password": "x", "device_id": "dev-12345678"})
    assert (r.status_code, r.json()["detail"]) == (422, "body.username: a NUL character (U+0000) is not allowed")
    it = item(case_id, visit_payload(case_id, notes="note\x00"))
    r = api.post("/api/v1/sync/push", json={"device_id": api.device_id, "items": [it]})
    assert r.status_code == 422 and r.json()["detail"].startswith("body.items.0.payload.notes")
    assert api.get("/api/v1/cases/a%00b").status_code == 422
    assert api.get("/api/v1/sync/pull?cursor=%00").status_code == 422
    # An escaped backslash before "u0000" is text, not a NUL.
    assert api.post("/api/v1/auth/login", json={"username": "a\\u0000b", "password": "x",
                                                 "device_id": "dev-12345678"}).status_code == 401
    with pytest.raises(ValidationError, match="NUL"):
        VisitRecord.model_validate({**visit_payload("c-1"), "notes": "x\x00"})
