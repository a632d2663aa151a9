"""The connection shown as it is: a light probe in the background (the network pool, no
sync needed) turns the badge to Offline soon after the server goes away and back to
Online when it returns, with the time of the last contact and the items waiting to be
sent, in the agent's window and in the team lead's."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldapp.store.rows import OutboxRow
from fieldapp.sync.errors import Offline
from fieldapp.ui.app import Credentials, FieldApp

from .conftest import UTC

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 3, 2, 1, 27, tzinfo=UTC)          # 09:27 in Shanghai
GOOD = Credentials("http://127.0.0.1:9", "agent1", "demo-agent1")


def add_probe(service) -> list[str]:
    calls: list[str] = []

    def probe():
        calls.append("probe")
        if service.offline:
            raise Offline("no route to host")
        return True

    service.probe = probe
    return calls


def waiting(item_id: str, state: str = "waiting", kind: str = "visit") -> OutboxRow:
    return OutboxRow(id=item_id, kind=kind, case_id="case-000001", case_reference="NJ-1", created_at=NOW,
                     state=state, server_status=None, code=None, reason=None, attempts=0, last_error=None)


@pytest.fixture
def agent_app(qtbot, ctx, service):
    ctx.clock = lambda: NOW
    ctx.local_zone = SHANGHAI
    calls = add_probe(service)
    app = FieldApp(ctx, probe_interval_ms=40)
    app.probes = calls
    qtbot.addWidget(app.window)
    yield app
    app.window.sync.stop()


def test_the_agents_badge_follows_the_server_without_a_sync(qtbot, agent_app, service):
    service.outbox_rows = [waiting("a"), waiting("b", "sending"), waiting("c", "accepted")]
    agent_app.start(credentials=GOOD)
    status = agent_app.window.connection
    assert status.indicator.text() == "Online"
    assert status.detail.text() == "Last contact 09:27 (UTC+8) · 2 waiting to be sent"
    syncs = [c for c, _ in service.calls].count("sync")
    service.offline = True                                  # the server goes away
    qtbot.waitUntil(lambda: status.indicator.text() == "Offline", timeout=3000)
    assert [c for c, _ in service.calls].count("sync") == syncs   # found by the probe, not a sync
    assert "probe" in agent_app.probes
    assert status.detail.text().startswith("Last contact 09:27 (UTC+8)")
    assert agent_app.window.offline_banner.isVisible()
    service.offline = False
    qtbot.waitUntil(lambda: status.indicator.text() == "Online", timeout=3000)
    assert not agent_app.window.offline_banner.isVisible()


def test_the_badge_says_when_it_never_reached_the_server(qtbot, agent_app, service):
    agent_app.start(credentials=Credentials(GOOD.server_url, GOOD.username, "wrong"))
    status = agent_app.window.connection
    assert status.indicator.text() == "Not connected" and status.detail.text() == ""   # nobody signed in
    agent_app.login_dialog.reject()
    service.login(GOOD.server_url, "agent1", "demo-agent1")  # a stored session, resumed in the field
    service.offline = True
    agent_app.start()
    assert agent_app.signed_in
    assert status.indicator.text() == "Offline"
    assert status.detail.text() == "No contact with the server yet · nothing waiting to be sent"


def test_signing_out_stops_the_probe(qtbot, agent_app, service):
    agent_app.start(credentials=GOOD)
    agent_app.window.sign_out_button.click()
    monitor = agent_app.window.sync.monitor
    assert not monitor.timer.isActive()
    assert agent_app.window.connection.indicator.text() == "Not connected"
    agent_app.login_dialog.reject()


class FakeLeadService:
    """The lead screens' service: an empty queue, and its outbox of decisions."""

    def __init__(self) -> None:
        self.outbox_rows: list[OutboxRow] = []

    def queue(self, flt=None, **criteria):
        return []

    def agents(self):
        return []

    def cached_figures(self):
        return None

    def outbox(self):
        return list(self.outbox_rows)


def test_the_leads_window_shows_the_connection_too(qtbot, ctx, service):
    from fieldapp.ui.lead.window import LeadWindow

    ctx.clock = lambda: NOW
    ctx.local_zone = SHANGHAI
    add_probe(service)
    lead = FakeLeadService()
    lead.outbox_rows = [waiting("d1", kind="review_decision")]
    window = LeadWindow(ctx, lead, probe_interval_ms=40)
    qtbot.addWidget(window)
    window.show()
    status = window.connection
    assert status.isVisible() and status.indicator.text() == "Not connected"
    window.connection.monitor.start()
    qtbot.waitUntil(lambda: status.indicator.text() == "Online", timeout=3000)
    assert status.detail.text() == "Last contact 09:27 (UTC+8) · 1 waiting to be sent"
    service.offline = True
    qtbot.waitUntil(lambda: status.indicator.text() == "Offline", timeout=3000)
    window.connection.monitor.stop()
