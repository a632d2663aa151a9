"""A team lead who signs in to the desktop app gets the review window, not the agent's
day; signing out returns to the sign-in (real server on loopback, real store)."""

from __future__ import annotations

from fieldapp.server.testing import LiveServer
from fieldapp.sync.service import AgentService
from fieldapp.ui.app import Credentials

from .app_drive import WAIT_MS, make_app


def test_a_lead_gets_the_review_window_and_its_queue(qtbot, tmp_path):
    with LiveServer(f"sqlite:///{tmp_path / 'server.sqlite3'}", seed_demo=True, geocoder="none") as server:
        service = AgentService(store_path=tmp_path / "client.sqlite3")
        try:
            app = make_app(qtbot, service, tmp_path)
            app.start(credentials=Credentials(server.url, "lead1", "demo-lead1"))
            qtbot.waitUntil(lambda: app.signed_in and app.lead_window is not None, timeout=WAIT_MS)
            qtbot.addWidget(app.lead_window)
            qtbot.waitUntil(lambda: app.lead_window.isVisible() and not app.window.isVisible(),
                            timeout=WAIT_MS)
            qtbot.waitUntil(lambda: app.ctx.tasks.pending == 0, timeout=WAIT_MS)
            app.sign_out()
            qtbot.waitUntil(lambda: not app.signed_in and not app.lead_window.isVisible(), timeout=WAIT_MS)
            assert app.window.isVisible()
        finally:
            app.ctx.tasks.shutdown()
            service.close()
