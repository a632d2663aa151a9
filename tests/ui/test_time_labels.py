"""Every time on screen says its zone: the formatters label each time with its UTC offset,
and the screens that used to mix the laptop's zone (UTC here) with the customer's
(UTC+8) without a word now say which is which, or use one zone throughout."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt

from fieldapp.store.rows import OutboxRow, TaskRow
from fieldapp.ui.app import Credentials, FieldApp
from fieldapp.ui import formatting

from .conftest import UTC, Row, record_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
MOMENT = dt.datetime(2026, 3, 2, 1, 27, 40, tzinfo=UTC)     # 09:27 in Shanghai


@pytest.mark.parametrize("zone, label", [
    (SHANGHAI, "UTC+8"), (UTC, "UTC"), (ZoneInfo("Asia/Kolkata"), "UTC+5:30"),
    (ZoneInfo("America/Sao_Paulo"), "UTC-3"), ("Asia/Shanghai", "UTC+8"),
])
def test_zone_labels(zone, label):
    assert formatting.zone_label(MOMENT, zone) == label


def test_the_formatters_label_every_time():
    time_text, window_text = formatting.time_text, formatting.window_text
    clock_text = getattr(formatting, "clock_text", None)
    assert time_text(MOMENT, "Asia/Shanghai") == "2026-03-02 09:27 (UTC+8)"
    assert time_text(MOMENT, UTC) == "2026-03-02 01:27 (UTC)"
    assert time_text(MOMENT, SHANGHAI, seconds=True) == "2026-03-02 09:27:40 (UTC+8)"
    assert clock_text(MOMENT, SHANGHAI, today=dt.date(2026, 3, 2)) == "09:27 (UTC+8)"
    assert clock_text(MOMENT, SHANGHAI, today=dt.date(2026, 3, 1)) == "2026-03-02 09:27 (UTC+8)"
    end = MOMENT + dt.timedelta(hours=1)
    assert window_text(MOMENT, end, "Asia/Shanghai") == "2026-03-02 09:27–10:27 (UTC+8)"
    assert window_text(MOMENT, end, "Asia/Shanghai", with_date=False) == "09:27–10:27 (UTC+8)"
    assert time_text(None) == "—"


@pytest.fixture
def app(qtbot, ctx, service):
    """The laptop's zone is UTC; the customers live in Shanghai."""
    ctx.clock = lambda: MOMENT
    ctx.local_zone = UTC
    start = dt.datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    row = Row(id="c1", reference="NJ-1", customer_name="王芳", address="南京", amount=Decimal("1000.00"),
              appointment_start=start, appointment_end=start + dt.timedelta(hours=1), timezone="Asia/Shanghai")
    service.server_rows = [row]
    service.records["c1"] = record_for(row, (32.06, 118.79))
    app = FieldApp(ctx)
    qtbot.addWidget(app.window)
    app.start(credentials=Credentials("http://127.0.0.1:9", "agent1", "demo-agent1"))
    return app


def test_the_status_line_and_the_case_say_their_zones(app, service):
    window = app.window
    assert "Last sync 2026-03-02 01:27 (UTC):" in window.sync_status.message.text()
    route = window.today
    window.today.show_day(dt.date(2026, 3, 2))
    assert window.today.route.topLevelItem(0).text(1) == "09:00–10:00 (UTC+8)"
    service.task_rows = [TaskRow("t1", "c1", "visit_returned", "v1", "Add the income.", MOMENT, "Lena", None)]
    service.outbox_rows = [OutboxRow("o1", "visit", "c1", "NJ-1", MOMENT, "waiting", None, None, None, 0, None)]
    window.open_case("c1")
    detail = window.detail
    assert "on 2026-03-02 01:27 (UTC)" in detail.task_banner.text()
    assert "Recorded 2026-03-02 01:27 (UTC)" in detail.local_work.text()
    assert detail.notices.topLevelItem(0).text(1).endswith("(UTC+8)")
    assert detail.appointment_values["window"].text() == "2026-03-02 09:00–10:00 (UTC+8), the customer's time"
    assert route is window.today


def test_one_visit_screen_speaks_of_one_zone(app, qtbot):
    app.ctx.settings.institution_name = "Nanjing Demo Bank"
    app.ctx.clock = lambda: MOMENT
    window = app.window
    window.open_case("c1")
    qtbot.mouseClick(window.detail.start_button, Qt.MouseButton.LeftButton)
    flow = window.visit.flow
    qtbot.mouseClick(flow.next_button, Qt.MouseButton.LeftButton)
    assert window.visit.status.text() == "Saved on this laptop at 09:27 (UTC+8)."
    sign_page = flow.sign_page("customer")
    sign_page._state.signatures["customer"] = SimpleNamespace(captured_at=MOMENT)
    sign_page.retranslate()
    assert sign_page.status.text() == "Signed at 2026-03-02 09:27:40 (UTC+8)"


def test_the_leads_status_says_its_zone(qtbot, ctx, service):
    from fieldapp.ui.lead.window import LeadWindow

    from .test_connection import FakeLeadService

    ctx.clock = lambda: MOMENT
    ctx.local_zone = SHANGHAI
    window = LeadWindow(ctx, FakeLeadService())
    qtbot.addWidget(window)
    window._on_synced(SimpleNamespace(rejected=[], queue=SimpleNamespace(items=3), clock_offset_s=None))
    assert window.status_text.text() == "Synced at 2026-03-02 09:27 (UTC+8): 3 visits updated."
