"""The sync engine and the AgentService against the real server on loopback."""

from __future__ import annotations

import datetime as dt

import pytest
from faultproxy import FaultProxy
from serverdata import PASSWORD, add_cases, agreement_visit, touch_cases, visible_cases, visit_record
from sqlalchemy import func, select, update

from fieldapp.core.errors import BadInput, NotFound
from fieldapp.core.timeutil import utcnow
from fieldapp.server import admin
from fieldapp.server.models import Attachment as ServerAttachment
from fieldapp.server.models import Review, Token, Visit
from fieldapp.server.services.changes import case_changed
from fieldapp.protocol.v1 import Change
from fieldapp.store import cases as case_repo
from fieldapp.store import outbox as outbox_repo
from fieldapp.sync.errors import BadCredentials, DeviceRevoked, NotLoggedIn, TokenExpired


def _visits(server, visit_ids):
    with server.session() as s:
        return s.scalar(select(func.count()).select_from(Visit).where(Visit.id.in_(visit_ids)))


def test_login_pull_and_a_no_change_sync(server, make_agent, make_service):
    agent, ids = make_agent(cases=12)
    svc = make_service(page_size=5)
    user = svc.login(server.url, agent, PASSWORD)
    assert user["username"] == agent and user["role"] == "agent"
    phases = []
    summary = svc.sync(lambda phase, done, total: phases.append((phase, done)))
    assert (summary.pulled_upserts, summary.pages) == (12, 3)
    assert ("pull", 12) in phases and phases[-1][0] == "done"
    assert {r.id for r in svc.list_cases()} == set(ids)
    record = svc.get_case(ids[0])
    with server.session() as s:
        server_case = visible_cases(s, agent)[ids[0]]
        assert record.customer.name == server_case.customer.name
        assert record.amount() == server_case.amount_due
    again = svc.sync()
    assert (again.pulled_upserts, again.pulled_tombstones, again.pushed_accepted) == (0, 0, 0)
    assert not again.clock_skew and abs(again.clock_offset_s) < 5
    with pytest.raises(NotFound):
        svc.get_case("no-such-case")


def test_server_changes_arrive(server, make_agent, make_service):
    agent, ids = make_agent(cases=4)
    svc = make_service()
    svc.login(server.url, agent, PASSWORD)
    svc.sync()
    with server.session() as s, s.begin():
        touch_cases(s, ids[:2])
        admin.close_case(s, s.get(admin.Case, ids[2]).external_id)
        new = add_cases(s, agent, 1, prefix="N")
    summary = svc.sync()
    assert (summary.pulled_upserts, summary.pulled_tombstones, summary.purged) == (3, 1, 1)
    assert {r.id for r in svc.list_cases()} == {ids[0], ids[1], ids[3], new[0]}
    assert str(svc.get_case(ids[0]).amount()) == "1235.50"


def test_visit_with_agreement_uploads_attachments_then_pushes(server, make_agent, make_service):
    agent, ids = make_agent(cases=2)
    svc = make_service()
    svc.login(server.url, agent, PASSWORD)
    svc.sync()
    visit, files = agreement_visit(ids[0])
    svc.save_draft(ids[0], {"node": "signature"})
    item = svc.record_visit(visit, files)
    assert item == visit.visit_id and svc.load_draft(ids[0]) is None
    assert [r.state for r in svc.outbox()] == ["waiting"]
    summary = svc.sync()
    assert (summary.attachments_uploaded, summary.pushed_accepted, summary.rejected) == (3, 1, [])
    assert [r.state for r in svc.outbox()] == ["accepted"]
    with server.session() as s:
        stored = {a.sha256: a.content for a in s.scalars(select(ServerAttachment)
                                                          .where(ServerAttachment.sha256.in_(files)))}
        assert stored == files
        assert s.get(Visit, visit.visit_id).record["agreement"]["pdf_sha256"] in files
    assert svc.get_case(ids[0]).visits[0].id == visit.visit_id  # came back with the pull
    assert svc.sync().pushed_accepted == 0


def test_record_visit_refuses_what_cannot_be_sent(server, make_agent, make_service):
    agent, ids = make_agent(cases=1)
    svc = make_service()
    svc.login(server.url, agent, PASSWORD)
    svc.sync()
    with pytest.raises(NotFound):
        svc.record_visit(visit_record("not-my-case"))
    visit, files = agreement_visit(ids[0])
    files.pop(visit.agreement.pdf_sha256)
    with pytest.raises(BadInput, match="agreement.pdf_sha256"):
        svc.record_visit(visit, files)
    assert svc.outbox() == []


def test_lost_answer_to_a_push_is_resent_and_counted_once(server, make_agent, make_service):
    agent, ids = make_agent(cases=2)
    with FaultProxy(server.url) as proxy:
        svc = make_service()
        svc.login(proxy.url, agent, PASSWORD)
        svc.sync()
        visits = [visit_record(ids[0]), visit_record(ids[1])]
        for v in visits:
            svc.record_visit(v)
        proxy.add("POST /api/v1/sync/push", "reset_after")  # the server applies, the answer is lost
        summary = svc.sync()
        assert proxy.count("POST /api/v1/sync/push") == 2
        assert (summary.pushed_accepted, summary.pushed_duplicate) == (0, 2)
    assert {r.state for r in svc.outbox()} == {"accepted"}
    assert _visits(server, [v.visit_id for v in visits]) == 2


def test_an_item_left_sending_by_a_crash_is_a_duplicate_next_time(server, make_agent, make_service):
    agent, ids = make_agent(cases=1)
    svc = make_service()
    svc.login(server.url, agent, PASSWORD)
    svc.sync()
    visit = visit_record(ids[0])
    svc.record_visit(visit)
    svc.sync()
    with svc.store.write() as s:  # as if the process died after sending, before recording the answer
        s.execute(update(outbox_repo.OutboxEntry).values(state="sending", server_status=None))
    summary = svc.sync()
    assert (summary.pushed_accepted, summary.pushed_duplicate) == (0, 1)
    assert _visits(server, [visit.visit_id]) == 1


def test_same_id_other_content_is_rejected_with_the_reason(server, make_agent, make_service):
    agent, ids = make_agent(cases=1)
    laptop1, laptop2 = make_service("one.sqlite3"), make_service("two.sqlite3")
    for svc in (laptop1, laptop2):
        svc.login(server.url, agent, PASSWORD)
        svc.sync()
    visit = visit_record(ids[0], notes="first version")
    laptop1.record_visit(visit)
    laptop1.sync()
    laptop2.record_visit(visit.model_copy(update={"notes": "second version"}))
    summary = laptop2.sync()
    assert summary.pushed_rejected == 1
    rejection = summary.rejected[0]
    assert rejection.id == visit.visit_id and rejection.code == "conflict" and "other content" in rejection.reason
    row = laptop2.outbox()[0]
    assert (row.state, row.code) == ("rejected", "conflict") and row.reason == rejection.reason
    assert laptop2.outbox_payload(visit.visit_id)["notes"] == "second version"  # never dropped
    with server.session() as s:
        assert s.get(Visit, visit.visit_id).record["notes"] == "first version"
    assert laptop2.sync().pushed_rejected == 0  # not sent again by itself


def test_reassigned_case_disappears_unless_unsent_work_refers_to_it(server, make_agent, make_service):
    agent, ids = make_agent(cases=3)
    other, _ = make_agent()
    svc = make_service()
    svc.login(server.url, agent, PASSWORD)
    svc.sync()
    visit = visit_record(ids[0])
    svc.record_visit(visit)
    with server.session() as s, s.begin():
        for case_id in ids[:2]:
            admin.reassign_case(s, s.get(admin.Case, case_id).external_id, other)

    # Pull alone (as if the push had failed): the case with unsent work stays, flagged.
    from fieldapp.sync.engine import SyncEngine, SyncSummary
    engine = SyncEngine(svc.store, svc._transport_for(server.url), svc._token)
    summary = SyncSummary()
    engine.pull(summary, lambda *a: None)
    assert summary.kept_for_outbox == [ids[0]] and summary.purged == 1
    rows = {r.id: r for r in svc.list_cases()}
    assert set(rows) == {ids[0], ids[2]} and rows[ids[0]].withdrawn == "unassigned"
    with pytest.raises(BadInput, match="no longer assigned"):
        svc.record_visit(visit_record(ids[0]))

    summary = svc.sync()
    assert summary.pushed_rejected == 1 and summary.rejected[0].code == "not_yours"
    assert "no longer" in summary.rejected[0].reason
    assert {r.id for r in svc.list_cases()} == {ids[2]}
    row = svc.outbox()[0]
    assert (row.state, row.code) == ("rejected", "not_yours")
    assert _visits(server, [visit.visit_id]) == 0


def test_revoked_device_wipes_the_store_and_reports_lost_items(server, make_agent, make_service):
    agent, ids = make_agent(cases=3)
    svc = make_service()
    svc.login(server.url, agent, PASSWORD)
    svc.sync()
    visit, files = agreement_visit(ids[0])
    svc.record_visit(visit, files)
    svc.record_visit(visit_record(ids[1]))
    svc.save_draft(ids[2], {"node": "identity"})
    with server.session() as s, s.begin():
        admin.revoke_device(s, agent, svc.store.meta().device_id)
    with pytest.raises(DeviceRevoked, match="2 unsent items lost") as info:
        svc.sync()
    assert info.value.lost_items == 2
    assert svc.store.counts() == {"cases": 0, "tasks": 0, "drafts": 0, "attachments": 0}
    assert list(svc.store.files.directory.iterdir()) == []
    assert svc.resume() is None
    with pytest.raises(NotLoggedIn):
        svc.sync()
    svc.login(server.url, agent, PASSWORD)  # a fresh device id: the agent may start again
    assert svc.sync().pulled_upserts == 3


def test_expired_session_keeps_the_outbox(server, make_agent, make_service):
    agent, ids = make_agent(cases=1)
    svc = make_service()
    svc.login(server.url, agent, PASSWORD)
    svc.sync()
    svc.record_visit(visit_record(ids[0]))
    with server.session() as s, s.begin():
        s.execute(update(Token).values(expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
                  .where(Token.user_id == admin.find_user(s, agent).id))
    with pytest.raises(TokenExpired):
        svc.sync()
    assert [r.state for r in svc.outbox()] == ["waiting"]
    svc.login(server.url, agent, PASSWORD)
    assert svc.sync().pushed_accepted == 1


def test_bad_credentials_and_session_lifecycle(server, make_agent, make_service):
    agent, _ = make_agent(cases=1)
    svc = make_service()
    with pytest.raises(BadCredentials):
        svc.login(server.url, agent, "not the password")
    assert svc.resume() is None
    svc.login(server.url, agent, PASSWORD)
    svc.close()
    again = make_service()  # a restart, offline: the session comes from the keyring
    assert again.resume()["username"] == agent
    assert again.sync().pulled_upserts == 1
    again.logout()
    assert again.resume() is None and len(again.list_cases()) == 1  # data stays after logout


def test_another_account_needs_the_outbox_sent_first(server, make_agent, make_service):
    first, ids = make_agent(cases=1)
    second, _ = make_agent(cases=2)
    svc = make_service()
    svc.login(server.url, first, PASSWORD)
    svc.sync()
    svc.record_visit(visit_record(ids[0]))
    with pytest.raises(BadInput, match="1 unsent items"):
        svc.login(server.url, second, PASSWORD)
    svc.sync()
    svc.login(server.url, second, PASSWORD)
    assert svc.outbox() == [] and svc.list_cases() == []
    assert svc.sync().pulled_upserts == 2


def test_returned_visit_becomes_a_task_and_the_correction_closes_it(server, make_agent, make_service):
    agent, ids = make_agent(cases=1)
    svc = make_service()
    svc.login(server.url, agent, PASSWORD)
    svc.sync()
    visit = visit_record(ids[0])
    svc.record_visit(visit)
    svc.sync()
    with server.session() as s, s.begin():
        review = s.scalar(select(Review).where(Review.visit_id == visit.visit_id))
        review.state, review.comment = "returned", "Say why the customer cannot pay"
        review.decided_at = utcnow()
        case_changed(s, s.get(admin.Case, ids[0]))
    svc.sync()
    tasks = svc.tasks()
    assert [(t.visit_id, t.comment) for t in tasks] == [(visit.visit_id, "Say why the customer cannot pay")]
    svc.record_visit(visit_record(ids[0], corrects_visit_id=visit.visit_id, notes="Lost job in May"))
    assert svc.tasks() == []
    assert svc.sync().pushed_accepted == 1
    assert svc.tasks() == []  # the server no longer sends it either


def test_server_reset_pulls_everything_again(server, make_agent, make_service):
    agent, ids = make_agent(cases=3)
    svc = make_service()
    svc.login(server.url, agent, PASSWORD)
    svc.sync()
    gone = svc.get_case(ids[0]).model_copy(update={"id": "case-gone-from-the-server"})
    with svc.store.write() as s:  # a cursor the server never handed out: its log was reset
        svc.store.update_meta(s, cursor=10**9)
        case_repo.apply_changes(s, svc.store.cipher, [Change(seq=1, op="upsert", case_id=gone.id, case=gone)])
    summary = svc.sync()
    assert summary.pulled_upserts == 3
    assert {r.id for r in svc.list_cases()} == set(ids)
    assert all(r.withdrawn is None for r in svc.list_cases())
