"""Work in the field on the server (SQLite and PostgreSQL): contact attempts pushed as
outbox items and sent back with the case; photos of a visit must be uploaded first and are
linked to the visit; the institution's tile server reaches the laptops."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from fieldapp.core.timeutil import utcnow
from fieldapp.server.models import VisitAttachment
from fieldapp.server.models_field import ContactAttempt

from .kit import Api, add_case, item, make_people, visit_payload


@pytest.fixture
def world(live):
    with live.session() as s, s.begin():
        make_people(s)
        mine = add_case(s, "F-1", "agent1")
        theirs = add_case(s, "F-2", "agent2")
    return live, Api(live.url, "agent1"), mine, theirs


def _attempt(case_id, channel="call", result="no_answer", **kw):
    return {"attempt_id": str(uuid.uuid4()), "case_id": case_id, "channel": channel, "result": result,
            "at": utcnow().isoformat(), **kw}


def _codes(results):
    return [(r["status"], r["code"]) for r in results]


def test_attempts_are_kept_and_come_back_with_the_case(world):
    live, api, mine, theirs = world
    _, cursor = api.pull_all()
    call, sms = _attempt(mine), _attempt(mine, "sms", "sent", note="asked to call back")
    first = item(mine, call, kind="contact_attempt", item_id=call["attempt_id"])
    assert _codes(api.push(first, item(mine, sms, kind="contact_attempt", item_id=sms["attempt_id"]))) == [
        ("accepted", None), ("accepted", None)]
    assert _codes(api.push(first)) == [("duplicate", None)]
    again = item(mine, call, kind="contact_attempt")  # the same attempt in another item
    assert _codes(api.push(again)) == [("rejected", "conflict")]
    with live.session() as s:
        rows = s.scalars(select(ContactAttempt).where(ContactAttempt.case_id == mine)).all()
        assert sorted((r.channel, r.result) for r in rows) == [("call", "no_answer"), ("sms", "sent")]
    changes, _ = api.pull_all(cursor)
    [change] = changes
    assert [(a["channel"], a["result"], a["agent"]) for a in change["case"]["contact_attempts"]] == [
        ("call", "no_answer", "agent1"), ("sms", "sent", "agent1")]


def test_bad_or_foreign_attempts_are_refused(world):
    _, api, mine, theirs = world
    assert _codes(api.push(item(theirs, _attempt(theirs), kind="contact_attempt"))) == [("rejected", "not_yours")]
    wrong = _attempt(mine, "sms", "answered")
    [res] = api.push(item(mine, wrong, kind="contact_attempt"))
    assert (res["status"], res["code"]) == ("rejected", "invalid") and "answered" in res["reason"]
    other_case = _attempt(theirs)
    assert _codes(api.push(item(mine, other_case, kind="contact_attempt"))) == [("rejected", "invalid")]


def test_photos_must_be_uploaded_and_are_linked_to_the_visit(world):
    live, api, mine, _ = world
    photo = {"sha256": "ab" * 32, "kind": "house_number", "captured_at": utcnow().isoformat()}
    payload = {**visit_payload(mine), "photos": [photo]}
    assert _codes(api.push(item(mine, payload))) == [("rejected", "missing_attachment")]
    sha = api.upload(b"\xff\xd8\xff\xe0 a photo")
    payload = {**visit_payload(mine), "photos": [{**photo, "sha256": sha}]}
    assert _codes(api.push(item(mine, payload, attachments=[sha]))) == [("accepted", None)]
    with live.session() as s:
        linked = set(s.scalars(select(VisitAttachment.sha256).where(VisitAttachment.visit_id == payload["visit_id"])))
    assert linked == {sha}
