"""Calls and messages logged on the laptop: outbox, sync to the real server on loopback, and
the policy's limit on contact attempts blocking a visit, on the laptop (offline, at once)
and on the server (its planning check sent back with the case)."""

from __future__ import annotations

import field_policies
import pytest
from serverdata import PASSWORD
from sqlalchemy import select

from fieldapp.core.errors import BadInput
from fieldapp.policy import context_from_case, evaluate, load_policy
from fieldapp.server.models import Case
from fieldapp.server.models_field import ContactAttempt
from fieldapp.server.services.changes import case_changed

POLICY_ID = field_policies.CONTACTS


@pytest.fixture
def institution_policies(tmp_path, monkeypatch):
    yield field_policies.install(tmp_path, monkeypatch)
    field_policies.uninstall(monkeypatch)


def _attempts_rule(record):
    decision = evaluate(context_from_case(record), load_policy(record.policy_id))
    [rule] = [r for r in decision.results if r.rule == "frequency.attempts"]
    return decision, rule


def test_logged_calls_block_a_visit_after_sync(server, make_agent, make_service, institution_policies):
    agent, [case_id] = make_agent(cases=1)
    with server.session() as s, s.begin():
        case = s.get(Case, case_id)
        case.policy_id = POLICY_ID
        case_changed(s, case)
    svc = make_service()
    svc.login(server.url, agent, PASSWORD)
    svc.sync()
    _, rule = _attempts_rule(svc.get_case(case_id))
    assert rule.passed and rule.facts["count"] == 0

    svc.log_contact(case_id, "call", "no_answer")
    svc.log_contact(case_id, "sms", "sent", note="asked to call back")
    decision, rule = _attempts_rule(svc.get_case(case_id))  # offline: counted at once
    assert rule.passed and rule.facts["count"] == 2
    svc.log_contact(case_id, "call", "busy")
    decision, rule = _attempts_rule(svc.get_case(case_id))
    assert not rule.passed and not decision.allowed
    assert (rule.facts["calls"], rule.facts["messages"]) == (2, 1)
    assert [row.kind for row in svc.outbox()].count("contact_attempt") == 3

    summary = svc.sync()
    assert summary.pushed_accepted == 3
    with server.session() as s:
        rows = s.scalars(select(ContactAttempt).where(ContactAttempt.case_id == case_id)).all()
        assert sorted(r.result for r in rows) == ["busy", "no_answer", "sent"]
        assert {r.agent.username for r in rows} == {agent}
    svc.sync()  # the server sends the case back with its attempts and its own check
    record = svc.get_case(case_id)
    assert len(record.contact_attempts) == 3 and all(a.agent == agent for a in record.contact_attempts)
    assert record.compliance is not None and not record.compliance.allowed
    assert "frequency.attempts" in {r["rule"] for r in record.compliance.decision["results"]}

    other = make_service("second-laptop.sqlite3")  # another laptop of the agent knows them too
    other.login(server.url, agent, PASSWORD)
    other.sync()
    _, rule = _attempts_rule(other.get_case(case_id))
    assert not rule.passed and rule.facts["count"] == 3


def test_a_result_must_fit_the_channel(server, make_agent, make_service):
    agent, [case_id] = make_agent(cases=1)
    svc = make_service()
    svc.login(server.url, agent, PASSWORD)
    svc.sync()
    with pytest.raises(BadInput):
        svc.log_contact(case_id, "sms", "answered")
    with pytest.raises(BadInput):
        svc.log_contact(case_id, "fax", "sent")
    assert svc.outbox() == []


def test_another_agents_attempt_is_refused(server, make_agent, make_service):
    owner, [case_id] = make_agent(cases=1)
    intruder, _ = make_agent(cases=0)
    svc = make_service()
    svc.login(server.url, owner, PASSWORD)
    svc.sync()
    svc.log_contact(case_id, "call", "answered")
    item = svc.outbox_payload(svc.outbox()[0].id)
    from fieldapp.protocol.v1 import OutboxItem, item_content_hash
    from fieldapp.server.services.push import push
    from fieldapp.server import admin
    with server.session() as s, s.begin():
        user = admin.find_user(s, intruder)
        out = OutboxItem(id="x" * 36, kind="contact_attempt", case_id=case_id, created_at=item["at"],
                         payload=item, content_hash=item_content_hash("contact_attempt", case_id, item, []))
        [res] = push(s, user, "device-x", [out]).results
    assert res.status == "rejected" and res.code == "not_yours"
