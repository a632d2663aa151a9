"""Whole syncs through a faulty network: retries, clear errors, and the outbox always intact."""

from __future__ import annotations

import datetime as dt

import pytest
from faultproxy import FaultProxy
from serverdata import PASSWORD, agreement_visit, visit_record
from sqlalchemy import func, select

from fieldapp.core.timeutil import utcnow
from fieldapp.server.models import Visit
from fieldapp.sync.errors import Offline, ProtocolError, ServerError
from fieldapp.sync.transport import RetryPolicy


@pytest.fixture
def setup(server, make_agent, make_service):
    """An agent with 6 cases, logged in through a proxy, synced, with 2 visits recorded."""
    agent, ids = make_agent(cases=6)
    with FaultProxy(server.url) as proxy:
        svc = make_service(page_size=2)
        svc.login(proxy.url, agent, PASSWORD)
        svc.sync()
        visit, files = agreement_visit(ids[0])
        svc.record_visit(visit, files)
        svc.record_visit(visit_record(ids[1]))
        yield svc, proxy, ids


def _states(svc):
    return sorted(r.state for r in svc.outbox())


def _server_visits(server, svc):
    ids = [r.id for r in svc.outbox()]
    with server.session() as s:
        return s.scalar(select(func.count()).select_from(Visit).where(Visit.id.in_(ids)))


def test_server_down_is_offline_and_the_outbox_waits(setup, server):
    svc, proxy, _ = setup
    proxy.add("/api/v1/", "reset", times=100)
    with pytest.raises(Offline, match="Cannot reach"):
        svc.sync()
    rows = svc.outbox()
    assert [r.state for r in rows] == ["waiting", "waiting"]
    proxy.clear()
    assert svc.sync().pushed_accepted == 2
    assert _server_visits(server, svc) == 2


def test_500s_on_push_end_in_a_server_error_and_the_outbox_waits(setup, server):
    svc, proxy, _ = setup
    proxy.add("POST /api/v1/sync/push", "status", times=3, status=500)
    with pytest.raises(ServerError, match="500"):
        svc.sync()
    rows = svc.outbox()
    assert {r.state for r in rows} == {"waiting"} and all("500" in r.last_error for r in rows)
    assert rows[0].attempts == 1
    summary = svc.sync()
    assert summary.pushed_accepted == 2 and _server_visits(server, svc) == 2
    assert {r.last_error for r in svc.outbox()} == {None}


def test_failing_attachment_upload_stops_before_the_push(setup, server):
    svc, proxy, _ = setup
    proxy.add("PUT /api/v1/attachments/", "status", times=3, status=503)
    with pytest.raises(ServerError):
        svc.sync()
    assert _states(svc) == ["waiting", "waiting"] and proxy.count("POST /api/v1/sync/push") == 0
    assert svc.sync().pushed_accepted == 2


def test_an_attachment_the_server_refuses_leads_to_a_visible_rejection(setup, server):
    svc, proxy, _ = setup
    proxy.add("PUT /api/v1/attachments/", "status", times=1, status=413,
              body=b'{"error": "too_large", "detail": "attachment over 20 MB"}')
    summary = svc.sync()
    assert len(summary.attachment_errors) == 1 and "too_large" in summary.attachment_errors[0]
    assert summary.pushed_accepted == 1 and summary.pushed_rejected == 1
    assert summary.rejected[0].code == "missing_attachment"
    assert _states(svc) == ["accepted", "rejected"]
    # Once the attachment can be uploaded, the agent can send the item again.
    rejected = next(r for r in svc.outbox() if r.state == "rejected")
    assert svc.requeue(rejected.id)
    assert svc.sync().pushed_accepted == 1 and _states(svc) == ["accepted", "accepted"]


def test_reset_and_slow_answers_during_pull_are_retried(setup, server, make_service):
    svc, proxy, ids = setup
    login = make_service("fresh.sqlite3")
    login.login(proxy.url, svc.account()[1], PASSWORD)  # argon2 may take longer than the time-out
    login.close()
    fresh = make_service("fresh.sqlite3", page_size=2, timeout_s=0.5,
                         retry=RetryPolicy(attempts=4, backoff_s=0.01, backoff_max_s=0.05))
    assert fresh.resume() is not None
    proxy.add("GET /api/v1/sync/pull", "reset_after", times=1)
    proxy.add("GET /api/v1/sync/pull", "slow", times=1, delay=1.0)
    proxy.add("GET /api/v1/sync/pull", "reset", times=1)
    summary = fresh.sync()
    assert summary.pulled_upserts == 6 and {r.id for r in fresh.list_cases()} == set(ids)


def test_pull_failing_midway_keeps_committed_pages_and_resumes(setup, server, make_service):
    svc, proxy, ids = setup
    fresh = make_service("fresh.sqlite3", page_size=2)
    fresh.login(proxy.url, svc.account()[1], PASSWORD)
    proxy.add("GET /api/v1/sync/pull", "pass", times=1)   # page 1 arrives
    proxy.add("GET /api/v1/sync/pull", "reset", times=3)  # page 2 never does
    with pytest.raises(Offline):
        fresh.sync()
    assert len(fresh.list_cases()) == 2 and fresh.store.meta().cursor > 0
    summary = fresh.sync()
    assert summary.pulled_upserts == 4 and sorted(r.id for r in fresh.list_cases()) == sorted(ids)


def test_garbage_during_pull_is_a_protocol_error_and_changes_nothing(setup, server):
    svc, proxy, ids = setup
    svc.sync()
    before = (svc.store.meta().cursor, sorted(r.id for r in svc.list_cases()))
    proxy.add("GET /api/v1/sync/pull", "body", body=b'{"changes": [{"seq": 1, "op": "upsert"}], '
                                                      b'"next_cursor": 1, "has_more": false}')
    with pytest.raises(ProtocolError, match=r"changes\.0\.case_id: Field required"):
        svc.sync()
    assert (svc.store.meta().cursor, sorted(r.id for r in svc.list_cases())) == before


def test_large_clock_skew_is_flagged(setup):
    svc, proxy, _ = setup

    def shift(body: dict) -> dict:
        t = dt.datetime.fromisoformat(body["server_time"].replace("Z", "+00:00"))
        body["server_time"] = (t - dt.timedelta(minutes=7)).isoformat()
        return body

    proxy.add("GET /api/v1/sync/pull", "rewrite", fn=shift)
    summary = svc.sync()
    assert summary.clock_skew and -425 < summary.clock_offset_s < -415
    assert svc.store.meta().clock_offset_ms == pytest.approx(summary.clock_offset_s * 1000, abs=1)
    assert abs((svc.server_now() - utcnow()).total_seconds() + 420) < 5
    offset, skewed = svc.clock()
    assert skewed and offset == pytest.approx(summary.clock_offset_s, abs=0.01)


def test_requeue_uploads_attachments_the_server_lost(setup, server):
    from sqlalchemy import delete

    from fieldapp.server.models import Attachment as ServerAttachment
    from fieldapp.server.models import AttachmentUpload

    svc, proxy, _ = setup
    proxy.add("POST /api/v1/sync/push", "status", times=3, status=503)
    with pytest.raises(ServerError):
        svc.sync()  # the attachments went up, the items did not
    shas = [sha for row in svc.outbox() for sha in row.attachments]
    with server.session() as s, s.begin():  # e.g. the server was restored from an older backup
        s.execute(delete(AttachmentUpload).where(AttachmentUpload.sha256.in_(shas)))
        s.execute(delete(ServerAttachment).where(ServerAttachment.sha256.in_(shas)))
    summary = svc.sync()
    assert summary.attachments_uploaded == 0 and summary.rejected[0].code == "missing_attachment"
    assert svc.requeue(summary.rejected[0].id)
    summary = svc.sync()
    assert summary.attachments_uploaded == 3 and summary.pushed_accepted == 1
    assert _states(svc) == ["accepted", "accepted"]
