"""End to end on a live server: an agent's visit synced, reviewed by the lead, returned with
a comment, corrected by the agent, approved; every decision in the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from fieldapp.core.errors import BadInput
from fieldapp.server.models import AuditEntry, Review, User
from fieldapp.store.reviews import QueueFilter
from lead.lead_world import add_case, make_agreement, visit


def test_visit_reviewed_returned_corrected_and_approved(server, laptop):
    with server.session() as s, s.begin():
        case_id = add_case(s, "E2E-1")
    agent = laptop("agent", "agent1", server)
    agent.sync()
    assert agent.signing_setup() is not None   # enrolled at the first login
    agreement, files = make_agreement("REF-E2E-1", signer=agent.signing_setup().signer)
    first = visit(case_id, outcome="agreement_signed", agreement=agreement, location=False,
                  note_warnings=["threat: 'or else'"])
    agent.record_visit(first, files)
    assert agent.sync().pushed_accepted == 1

    lead = laptop("lead", "lead1", server)
    summary = lead.sync()
    assert summary.queue.items == 1 and summary.queue.pdfs == 1
    [row] = lead.queue()
    assert (row.visit_id, row.state, row.agent, row.reference) == (first.visit_id, "pending", "agent1", "REF-E2E-1")
    assert set(row.exceptions) == {"location_missing", "warnings", "abusive_phrases"}
    assert row.customer_name == "王芳 E2E-1"

    evidence = lead.evidence(first.visit_id)  # offline-ready: the PDF came with the sync
    assert evidence.pdf is not None and evidence.pdf_intact, evidence.pdf_problems
    assert evidence.item.visit.notes == "客户承诺月底还款"
    assert [e.action for e in evidence.item.history] == ["received"]

    with pytest.raises(BadInput) as err:
        lead.decide(first.visit_id, "return", "   ")
    assert err.value.field == "comment"
    item_id = lead.decide(first.visit_id, "return", "请补充签到位置说明")
    [row] = lead.queue()
    assert (row.state, row.pending_decision, row.pending_state) == ("pending", "return", "waiting")
    with pytest.raises(BadInput):  # one decision at a time while it is unsent
        lead.decide(first.visit_id, "approve")
    summary = lead.sync()
    assert summary.sync.pushed_accepted == 1 and not summary.rejected
    [row] = lead.queue()
    assert (row.state, row.comment, row.decided_by, row.pending_decision) == \
        ("returned", "请补充签到位置说明", "Lena Lead", None)
    assert [o.id for o in lead.outbox()] == [item_id]

    agent.sync()
    [task] = agent.tasks()
    assert (task.visit_id, task.comment, task.created_by) == (first.visit_id, "请补充签到位置说明", "Lena Lead")
    # An agreement id is recorded once: the corrected visit carries the agreement signed again.
    again, again_files = make_agreement("REF-E2E-1", signer=agent.signing_setup().signer)
    second = visit(case_id, outcome="agreement_signed", agreement=again, corrects=first.visit_id,
                   notes="客户在家，楼内无定位信号；已补充说明。")
    agent.record_visit(second, again_files)
    assert agent.tasks() == []  # the correction answers the task
    assert agent.sync().pushed_accepted == 1
    assert agent.tasks(include_done=True) == []  # the server no longer lists the answered task

    lead.sync()
    rows = lead.queue()
    assert [r.visit_id for r in rows] == [second.visit_id]  # the corrected one is superseded
    assert (rows[0].corrects_visit_id, rows[0].state) == (first.visit_id, "pending")
    old = lead.queue(QueueFilter(include_superseded=True, state="returned"))
    assert [(r.visit_id, r.superseded_by) for r in old] == [(first.visit_id, second.visit_id)]
    lead.decide(second.visit_id, "approve")
    lead.sync()
    assert [r.state for r in lead.queue()] == ["approved"]
    item = lead.visit(second.visit_id)
    assert [(e.action, e.by) for e in item.history] == [("received", "Wang Agent"), ("approved", "Lena Lead")]

    with server.session() as s:
        lead_id = s.scalar(select(User.id).where(User.username == "lead1"))
        trail = s.execute(select(AuditEntry.action, AuditEntry.object_id, AuditEntry.actor_id, AuditEntry.at)
                          .where(AuditEntry.action.like("review.%")).order_by(AuditEntry.id)).all()
        assert [(a, o, who) for a, o, who, _ in trail] == [
            ("review.returned", first.visit_id, lead_id), ("review.approved", second.visit_id, lead_id)]
        assert all(at.tzinfo is not None for *_, at in trail)
        assert s.scalar(select(Review.state).where(Review.visit_id == first.visit_id)) == "returned"


def test_a_decision_made_offline_goes_out_with_the_next_sync(server, laptop, tmp_path):
    with server.session() as s, s.begin():
        case_id = add_case(s, "OFF-1")
    agent = laptop("agent", "agent1", server)
    agent.sync()
    v = visit(case_id)
    agent.record_visit(v)
    agent.sync()
    lead = laptop("lead", "lead1", server)
    lead.sync()
    server.stop()  # the lead is offline now
    lead.decide(v.visit_id, "escalate", "Amount promised is below policy minimum")
    from fieldapp.sync.errors import Offline

    with pytest.raises(Offline):
        lead.sync()
    [row] = lead.queue()
    assert (row.pending_decision, row.pending_state) == ("escalate", "waiting")
    assert lead.evidence(v.visit_id).pending_decision == "escalate"  # shown from the laptop alone


def test_the_queue_filters(server, laptop):
    with server.session() as s, s.begin():
        c1 = add_case(s, "F-1", "agent1")
        c2 = add_case(s, "F-2", "agent2")
    a1, a2 = laptop("agent", "agent1", server), laptop("agent", "agent2", server)
    a1.sync(), a2.sync()
    day = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.timezone.utc)
    far = visit(c1, started=day, geofence="far")
    home = visit(c1, outcome="not_home", started=day + dt.timedelta(days=1))
    rude = visit(c2, outcome="refused", started=day + dt.timedelta(days=2), note_warnings=["insult"])
    a1.record_visit(far), a1.record_visit(home), a2.record_visit(rude)
    a1.sync(), a2.sync()
    lead = laptop("lead", "lead1", server)
    lead.sync()

    def ids(**kw):
        return {r.visit_id for r in lead.queue(QueueFilter(**kw))}

    assert ids() == {far.visit_id, home.visit_id, rude.visit_id}
    assert ids(agent="agent2") == {rude.visit_id}
    assert ids(outcome="not_home") == {home.visit_id}
    assert ids(exception="outside_geofence") == {far.visit_id}
    assert ids(exception="abusive_phrases") == {rude.visit_id}
    assert ids(exception="warnings") == set()  # beyond the geofence blocks under cn: no mere warning
    assert ids(exception="any") == {far.visit_id, rude.visit_id}
    assert ids(since=day + dt.timedelta(hours=12), until=day + dt.timedelta(days=2)) == {home.visit_id}
    assert ids(state="approved") == set()
    assert lead.agents() == ["agent1", "agent2"]
    assert [r.visit_id for r in lead.queue()] == [rude.visit_id, home.visit_id, far.visit_id]  # newest first
