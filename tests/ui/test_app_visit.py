"""The agent's app end to end against the real server on loopback (LiveServer on a
temporary SQLite file with the demo data), the real AgentService and store, real worker
threads: a whole visit from sign-in to accepted on the server; a blocked visit that
cannot start; a visit interrupted mid-conversation that resumes after a restart, offline,
and reaches the server by itself once it is back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fieldapp.server.models import Agreement, Review, Visit
from fieldapp.server.testing import LiveServer
from fieldapp.sync.service import AgentService
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.visit.flow_state import Step

from .app_drive import (
    WAIT_MS,
    allowed_stop,
    at_the_door,
    converse,
    finish_with_agreement,
    idle,
    make_app,
    open_visit,
    press,
    sign_in,
    to_the_conversation,
)


@pytest.fixture
def live_server(tmp_path):
    with LiveServer(f"sqlite:///{tmp_path / 'server.sqlite3'}", seed_demo=True, geocoder="none") as server:
        yield server


@pytest.fixture
def services(tmp_path):
    opened: list[AgentService] = []

    def open_store() -> AgentService:
        service = AgentService(store_path=tmp_path / "client.sqlite3")
        opened.append(service)
        return service

    yield open_store
    for service in opened:
        service.close()


def transcript_of(flow) -> list:
    import json

    return json.loads(flow.state.runtime.to_json())["transcript"]


def outbox_states(window) -> dict[str, str]:
    model = window.outbox.model
    return {model.row_at(i).id: model.row_at(i).state for i in range(model.rowCount())}


def test_a_whole_visit_from_sign_in_to_accepted_on_the_server(qtbot, tmp_path, live_server, services):
    service = services()
    app = make_app(qtbot, service, tmp_path)
    try:
        sign_in(qtbot, app, live_server.url)
        window = app.window
        assert window.today.plan is not None and window.sync.offline is False
        stop = allowed_stop(qtbot, app)
        at_the_door(app, stop)
        flow = open_visit(qtbot, app, stop.record.id)
        to_the_conversation(qtbot, flow)
        converse(qtbot, flow, stop)
        finish_with_agreement(qtbot, flow)
        visit_id = flow.state.visit_id
        # in the outbox at once; online, so it is sent straight away
        qtbot.waitUntil(lambda: window.current_screen() == "outbox" and visit_id in outbox_states(window),
                        timeout=WAIT_MS)
        qtbot.waitUntil(lambda: outbox_states(window).get(visit_id) == "accepted", timeout=WAIT_MS)
        idle(qtbot, app)
        assert service.load_draft(stop.record.id) is None
        assert "Received by the server." in window.outbox.detail.text()
        with live_server.session() as s:
            visit = s.get(Visit, visit_id)
            assert visit is not None and visit.case_id == stop.record.id
            assert visit.outcome == "agreement_signed" and visit.contact_made
            assert visit.record["checkin_decision"]["allowed"] is True
            assert s.scalar(select(Agreement).where(Agreement.visit_id == visit_id)) is not None
            assert s.scalar(select(Review.state).where(Review.visit_id == visit_id)) == "pending"
        # Today marks the visit done; the case lists it in its history
        window.show_screen("today")
        qtbot.waitUntil(lambda: any(s.visited for s in window.today.plan.stops
                                    if s.record.id == stop.record.id), timeout=WAIT_MS)
        window.open_case(stop.record.id)
        qtbot.waitUntil(lambda: window.detail.view is not None and bool(window.detail.view.record.visits),
                        timeout=WAIT_MS)
    finally:
        app.shutdown()


def test_a_blocked_visit_cannot_be_started(qtbot, tmp_path, live_server, services):
    service = services()
    app = make_app(qtbot, service, tmp_path)
    try:
        sign_in(qtbot, app, live_server.url)
        window = app.window
        blocked = next(r for r in window.model.rows() if r.compliance_allowed is False)
        window.open_case(blocked.id)
        qtbot.waitUntil(lambda: window.detail.view is not None and window.detail.case_id == blocked.id,
                        timeout=WAIT_MS)
        detail = window.detail
        assert not detail.start_button.isEnabled()
        reasons = detail.view.verdict.reasons("en", app.ctx.language.tr)
        assert reasons and detail.start_reason.isVisible()
        assert detail.start_reason.text().startswith("This visit cannot start: ")
        assert reasons[0] in detail.start_reason.text()
        # Even when asked to (a stale button, say), the flow's own pre-check refuses.
        emit(window.visit_requested, blocked.id)
        qtbot.waitUntil(lambda: window.visit.flow is not None, timeout=WAIT_MS)
        flow = window.visit.flow
        assert flow.state.step is Step.PRECHECK
        assert not flow.next_button.isEnabled()
        assert flow.blocker.text().startswith("This visit cannot start")
        idle(qtbot, app)
        assert service.load_draft(blocked.id) is None and service.outbox() == []
    finally:
        app.shutdown()


def test_an_interrupted_visit_resumes_offline_and_is_sent_when_the_server_is_back(
        qtbot, tmp_path, live_server, services):
    service = services()
    app = make_app(qtbot, service, tmp_path)
    sign_in(qtbot, app, live_server.url)
    stop = allowed_stop(qtbot, app)
    at_the_door(app, stop)
    flow = open_visit(qtbot, app, stop.record.id)
    to_the_conversation(qtbot, flow)
    assert converse(qtbot, flow, stop, steps=4) == 4
    visit_id, transcript = flow.state.visit_id, transcript_of(flow)
    idle(qtbot, app)
    saved = service.load_draft(stop.record.id)
    assert saved is not None and saved.state["step"] == "script" and saved.state["visit_id"] == visit_id
    clock, position = app.ctx.clock, app.ctx.position_source
    # The lid closes: the app goes away without a word, the server too.
    app.shutdown()
    app.window.close()
    service.close()
    port = live_server.port
    live_server.stop()

    service = services()  # the same store file, opened again
    app = make_app(qtbot, service, tmp_path, clock=clock, position=position, probe_interval_ms=300)
    try:
        app.start()  # the stored session: no password, no server
        qtbot.waitUntil(lambda: app.signed_in and app.window.sync.offline is True, timeout=WAIT_MS)
        window = app.window
        assert window.offline_banner.isVisible()
        window.open_case(stop.record.id)
        qtbot.waitUntil(lambda: window.detail.view is not None and window.detail.view.has_draft, timeout=WAIT_MS)
        assert window.detail.start_button.text() == "Resume visit" and window.detail.start_button.isEnabled()
        press(qtbot, window.detail, "startVisit")
        qtbot.waitUntil(lambda: window.visit.flow is not None and window.current_screen() == "visit",
                        timeout=WAIT_MS)
        flow = window.visit.flow
        assert flow.state.step is Step.SCRIPT and flow.state.visit_id == visit_id
        assert transcript_of(flow) == transcript
        assert window.visit.status.text().startswith("Resumed the visit saved ")
        converse(qtbot, flow, stop)
        finish_with_agreement(qtbot, flow)
        qtbot.waitUntil(lambda: outbox_states(window).get(visit_id) == "waiting", timeout=WAIT_MS)
        assert service.load_draft(stop.record.id) is None
        # The server comes back on its address: the periodic probe finds it and syncs.
        with LiveServer(live_server.database_url, port=port, geocoder="none") as again:
            qtbot.waitUntil(lambda: outbox_states(window).get(visit_id) == "accepted", timeout=WAIT_MS)
            assert window.sync.offline is False and not window.offline_banner.isVisible()
            with again.session() as s:
                assert s.get(Visit, visit_id) is not None
    finally:
        app.shutdown()
