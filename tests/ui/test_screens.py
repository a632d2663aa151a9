"""The screens against an in-memory service (tasks run inline): Today's route and lights,
returned visits as tasks, the case detail's start button, the outbox's states, the case
list's quick views, and the automatic sync while offline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from geopy.distance import geodesic
from PySide6.QtCore import Qt

from fieldapp.store.rows import OutboxRow, TaskRow
from fieldapp.sync.errors import Offline
from fieldapp.ui.app import Credentials, FieldApp
from fieldapp.ui.models.outbox_table import STATE_ROLE
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.widgets.compliance import ComplianceState

from .conftest import UTC, Row, record_for

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 3, 2)
GULOU, HEXI, LAKE = (32.0590, 118.7620), (32.0040, 118.7330), (32.0760, 118.8030)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), SHANGHAI)


def booked(case_id: str, hour: int, **values) -> Row:
    return Row(id=case_id, reference=f"NJ-{case_id}", customer_name=f"客户{case_id}", address=f"南京 {case_id}",
               amount=Decimal("1000.00"), appointment_start=at(hour), appointment_end=at(hour + 1), **values)


@pytest.fixture
def day_service(service):
    rows = [booked("far", 9), booked("near", 9), booked("late", 14), booked("night", 21, compliance_allowed=False)]
    places = {"far": LAKE, "near": GULOU, "late": HEXI, "night": GULOU}
    later = DAY + dt.timedelta(days=3)
    service.server_rows = rows + [Row(id="next", reference="NJ-next", customer_name="客户next", address="南京 next",
                                      amount=Decimal("1000.00"), appointment_start=at(10, day=later),
                                      appointment_end=at(11, day=later))]
    for row in rows:
        service.records[row.id] = record_for(row, places[row.id])
    service.records["night"] = record_for(rows[3], GULOU, policy_id="seed")  # 21:00 is after 18:00 there
    return service


@pytest.fixture
def app(qtbot, ctx, day_service):
    ctx.clock = lambda: at(8)
    ctx.local_zone = SHANGHAI
    field_app = FieldApp(ctx)
    qtbot.addWidget(field_app.window)
    field_app.start(credentials=Credentials("http://127.0.0.1:9", "agent1", "demo-agent1"))
    return field_app


def test_today_orders_by_window_then_distance_and_shows_the_total(app):
    today = app.window.today
    # The windows decide (09:00, 09:00, 14:00, 21:00); without a starting point the day starts
    # with the one of the 09:00 pair that makes the route shorter; the legs are geodesic.
    assert today.case_ids() == ["far", "near", "late", "night"]
    assert today.plan.stops[0].distance_m is None
    expected = geodesic(LAKE, GULOU).m + geodesic(GULOU, HEXI).m + geodesic(HEXI, GULOU).m
    assert today.plan.total_m == pytest.approx(expected, abs=0.5)
    assert today.summary.text().startswith(f"4 visits · route {expected / 1000:.1f} km")
    assert "1 blocked" in today.summary.text()
    assert "2 visits are booked at overlapping times" in today.summary.text()


def test_today_lights_say_why(app):
    route = app.window.today.route
    night = next(route.topLevelItem(i) for i in range(route.topLevelItemCount())
                 if route.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole + 1) == "night")
    assert night.text(5) == "Blocked"
    assert "22:00" in night.text(6) and "18:00" in night.text(6)  # the window rule's own sentence
    states = [s.verdict.state for s in app.window.today.plan.stops]
    assert states.count(ComplianceState.ALLOWED) == 3


def test_an_empty_day_offers_the_next_day_with_visits(app, qtbot):
    today = app.window.today
    today.show_day(DAY + dt.timedelta(days=1))
    assert today.plan.stops == [] and today.empty.isVisible()
    assert today.jump_button.isVisible()
    assert today.jump_button.text() == "Next visits: Thursday 2026-03-05 (1)"
    qtbot.mouseClick(today.jump_button, Qt.MouseButton.LeftButton)
    assert today.day == DAY + dt.timedelta(days=3) and today.case_ids() == ["next"]
    qtbot.mouseClick(today.today_button, Qt.MouseButton.LeftButton)
    assert today.day == DAY and len(today.case_ids()) == 4


def test_returned_visits_are_tasks_with_the_comment_and_a_badge(app, day_service):
    day_service.task_rows = [TaskRow("t1", "late", "visit_returned", "v1", "Write down the income source.",
                                     dt.datetime(2026, 3, 1, 9, tzinfo=UTC), "lead1", None)]
    window = app.window
    window.refresh_all()
    today = window.today
    assert today.tasks.isVisible() and today.tasks.count() == 1
    assert "“Write down the income source.”" in today.tasks.item(0).text()
    assert window.sidebar.badge("today") == 1
    emit(today.tasks.itemActivated, today.tasks.item(0))
    assert window.current_screen() == "detail" and window.detail.case_id == "late"
    assert window.detail.task_banner.isVisible()
    assert "Write down the income source." in window.detail.task_banner.text()
    window.detail.back_button.click()
    assert window.current_screen() == "today"


def test_case_detail_start_button(app, day_service):
    window = app.window
    window.open_case("night")
    assert not window.detail.start_button.isEnabled()
    assert window.detail.start_reason.text().startswith("This visit cannot start: ")
    window.open_case("late")
    assert window.detail.start_button.isEnabled() and window.detail.start_button.text() == "Start visit"
    day_service.save_draft("late", {"step": "script"})
    window.open_case("late")
    assert window.detail.start_button.text() == "Resume visit"
    withdrawn = booked("gone", 11, withdrawn="unassigned")
    day_service.local_rows.append(withdrawn)
    window.reload_cases()
    window.open_case("gone")
    assert not window.detail.start_button.isEnabled()
    assert "no longer assigned to you" in window.detail.start_reason.text()


def outbox_row(item_id: str, state: str, **values) -> OutboxRow:
    defaults = dict(kind="visit", case_id="late", case_reference="NJ-late",
                    created_at=dt.datetime(2026, 3, 2, 2, tzinfo=UTC), state=state, server_status=None,
                    code=None, reason=None, attempts=0, last_error=None, attachments=())
    return OutboxRow(id=item_id, **{**defaults, **values})


def test_the_outbox_shows_every_state_and_queues_a_rejected_item_again(app, day_service):
    day_service.outbox_rows = [
        outbox_row("w", "waiting", attachments=("a" * 64, "b" * 64)),
        outbox_row("s", "sending"),
        outbox_row("a", "accepted", server_status="duplicate"),
        outbox_row("r", "rejected", code="not_yours", reason="This case is not (or no longer) assigned to you."),
    ]
    window = app.window
    window.refresh_all()
    window.show_screen("outbox")
    outbox = window.outbox
    model = outbox.model
    states = [model.index(i, 0).data(STATE_ROLE) for i in range(model.rowCount())]
    words = [model.index(i, 0).data() for i in range(model.rowCount())]
    assert sorted(states) == ["accepted", "rejected", "sending", "waiting"]
    assert sorted(words) == ["Accepted", "Rejected", "Sent", "Waiting"]
    assert outbox.summary.text() == "2 waiting to be sent · 1 rejected · 1 accepted"
    assert window.sidebar.badge("outbox") == 1  # the rejected one, in red
    details = {model.row_at(i).id: model.index(i, 4).data() for i in range(model.rowCount())}
    assert details["r"] == "Rejected by the server: This case is not (or no longer) assigned to you."
    assert details["a"] == "The server already had it."
    assert details["w"] == "2 attachments. Will be sent at the next sync."
    outbox.select_item("w")
    assert not outbox.requeue_button.isEnabled()
    outbox.select_item("r")
    assert outbox.requeue_button.isEnabled() and "assigned to you" in outbox.detail.text()
    outbox.requeue_button.click()
    assert day_service.requeued == ["r"]


SEAL_REASON = ("Its data on this laptop is damaged (it failed its integrity seal), so it cannot be sent. "
               "Record the visit again.")


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_quarantined_item_is_shown_with_its_reason_and_cannot_be_queued(app, day_service, language, tmp_path):
    day_service.outbox_rows = [
        outbox_row("w", "waiting"),
        outbox_row("q", "quarantined", code="seal_failed", reason=SEAL_REASON),
        outbox_row("a", "accepted", server_status="accepted"),
    ]
    window = app.window
    app.ctx.language.set_language(language)
    window.refresh_all()
    window.show_screen("outbox")
    outbox, model = window.outbox, window.outbox.model
    row = model.row_for_id("q")
    word = model.index(row, 0).data()
    detail = model.index(row, 4).data()
    if language == "en":
        assert word == "Set aside"
        assert detail == "Set aside on this laptop, not sent: " + SEAL_REASON
        assert outbox.summary.text() == "1 waiting to be sent · 1 set aside · 1 accepted"
    else:
        assert word == "已隔离"
        assert "完整性封印" in detail and "Record" not in detail
        assert "1 条已隔离" in outbox.summary.text()
    assert model.index(row, 0).data(STATE_ROLE) == "quarantined"
    assert model.index(row, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert window.sidebar.badge("outbox") == 1  # needs the agent's eye, in red
    outbox.select_item("q")
    assert not outbox.requeue_button.isEnabled()
    assert detail in outbox.detail.text()


def test_the_case_list_quick_views(app, day_service):
    window = app.window
    window.show_screen("cases")
    combo = window.cases.view_combo
    total = window.model.rowCount()
    combo.setCurrentIndex(combo.findData("blocked"))
    shown = [window.model.row_at(i) for i in range(window.model.rowCount())]
    assert 0 < len(shown) < total and all(r.compliance_allowed is False for r in shown)
    assert window.count_label.text() == f"{len(shown)} of {total} cases"
    combo.setCurrentIndex(combo.findData("all"))
    assert window.model.rowCount() == total


def test_offline_starts_the_automatic_retries_and_the_server_coming_back_syncs(app, day_service, qtbot):
    window = app.window
    sync = window.sync
    day_service.offline = True
    window.start_sync()
    assert sync.offline is True and sync.timer.isActive() and window.offline_banner.isVisible()
    sync.probe()  # still offline: a failed try, retries go on
    assert sync.offline is True and sync.timer.isActive()
    day_service.offline = False
    sync.probe()
    assert sync.offline is False and not window.offline_banner.isVisible()
    assert sync.timer.isActive()                     # still watching: the badge shows the connection as it is


def test_the_probe_is_light_when_the_service_offers_one(app, day_service):
    calls = []

    def probe():
        calls.append("probe")
        if day_service.offline:
            raise Offline("no route to host")
        return {"api_versions": [1]}

    day_service.probe = probe
    day_service.offline = True
    app.window.start_sync()
    day_service.calls.clear()
    app.window.sync.probe()
    assert calls == ["probe"] and [c for c, _ in day_service.calls if c == "sync"] == []  # no sync while down
    day_service.offline = False
    app.window.sync.probe()
    assert calls == ["probe", "probe"] and ("sync" in [c for c, _ in day_service.calls])
    assert app.window.sync.offline is False


def test_a_session_the_server_ended_asks_to_sign_in_and_stops_retrying(app, day_service):
    from fieldapp.sync.errors import TokenExpired

    day_service.fail_sync_with = TokenExpired("expired")
    app.window.start_sync()
    assert app.login_dialog is not None and not app.window.sync.timer.isActive()
    app.login_dialog.reject()


def test_a_visit_to_a_returned_case_corrects_the_returned_visit(app, day_service):
    day_service.task_rows = [TaskRow("t1", "late", "visit_returned", "v-earlier", "Add the income source.",
                                     dt.datetime(2026, 3, 1, 9, tzinfo=UTC), "lead1", None)]
    app.ctx.settings.institution_name = "Nanjing Demo Bank"
    app.window.refresh_all()
    app.window.open_case("late")
    app.window.detail.start_button.click()
    visit = app.window.visit
    assert visit.start_info.setup.corrects_visit_id == "v-earlier"
    assert visit.heading.text() == "Visit: 客户late · NJ-late · corrects a returned visit"
    assert visit.start_info.setup.institution.name == "Nanjing Demo Bank"
    assert visit.start_info.setup.agent_id == "agent1"


def test_a_visit_recorded_during_a_sync_is_sent_by_one_more_sync(app, day_service):
    sync = app.window.sync
    sync._running, sync.monitor.online = True, True  # a sync that read the outbox a moment ago
    day_service.calls.clear()
    sync.again_after()
    assert [c for c, _ in day_service.calls] == []  # not while it runs
    sync._on_over()
    assert [c for c, _ in day_service.calls if c == "sync"] == ["sync"]
    day_service.calls.clear()
    sync._running, sync.monitor.online = True, False  # the running one found the server gone
    sync.again_after()
    sync._on_over()
    assert [c for c, _ in day_service.calls if c == "sync"] == []  # the retries will send it


def test_a_sync_that_set_items_aside_says_so_in_the_status_line(qapp):
    from fieldapp.sync.engine import Quarantine, SyncSummary
    from fieldapp.ui.i18n import Language
    from fieldapp.ui.widgets.sync_status import SyncStatus

    language = Language("en")
    status = SyncStatus(language)
    summary = SyncSummary(pushed_accepted=4, quarantined=[Quarantine("q", "NJ-late", "seal_failed", SEAL_REASON)])
    status.finished(summary, dt.datetime(2026, 3, 2, 2, tzinfo=UTC))
    assert "4 items sent. 1 items set aside because their data on this laptop is damaged" in status.message.text()
    language.set_language("zh_CN")
    status.retranslate()
    assert "1 条记录因本机上的数据已损坏而被隔离" in status.message.text()


# ---------------------------------------------------------------------- drafts, empty states, the day's layout
def test_an_interrupted_visit_is_listed_under_drafts(app, day_service, qtbot):
    from PySide6.QtCore import Qt as _Qt

    app.ctx.settings.institution_name = "Nanjing Demo Bank"
    app.ctx.clock = lambda: at(14, 5)                 # the 14:00 visit may start
    window = app.window
    window.open_case("late")
    qtbot.mouseClick(window.detail.start_button, _Qt.MouseButton.LeftButton)
    flow = window.visit.flow
    qtbot.mouseClick(window.visit.leave_button, _Qt.MouseButton.LeftButton)
    assert window.detail.start_button.text() == "Start visit"         # not started: nothing to resume
    qtbot.mouseClick(window.detail.start_button, _Qt.MouseButton.LeftButton)
    assert window.visit.flow is flow                                  # the same visit, opened again
    qtbot.mouseClick(flow.next_button, _Qt.MouseButton.LeftButton)   # started: a draft is kept
    assert "late" in day_service.drafts
    qtbot.mouseClick(window.visit.leave_button, _Qt.MouseButton.LeftButton)
    assert window.detail.start_button.text() == "Resume visit"
    window.show_screen("cases")
    combo = window.cases.view_combo
    combo.setCurrentIndex(combo.findData("unsent"))
    assert [window.model.row_at(i).id for i in range(window.model.rowCount())] == ["late"]
    assert "Draft" in window.model.index(0, 8).data()


def test_empty_tables_say_why_they_are_empty(app, qtbot):
    from PySide6.QtWidgets import QLabel

    window = app.window
    window.show_screen("cases")
    empty = window.cases.table.findChild(QLabel, "emptyState")
    assert empty is not None and not empty.isVisible()
    window.search.setText("no such customer")
    window.apply_search()
    assert empty.isVisible() and empty.text() == "No case matches “no such customer”."
    app.ctx.language.set_language("zh_CN")
    assert empty.isVisible() and "no such customer" in empty.text() and empty.text() != \
        "No case matches “no such customer”."
    app.ctx.language.set_language("en")
    window.search.clear()
    window.apply_search()
    window.cases.view_combo.setCurrentIndex(window.cases.view_combo.findData("returned"))
    assert empty.isVisible() and empty.text() == "No case in this view."
    window.cases.view_combo.setCurrentIndex(0)
    assert not empty.isVisible()
    window.model.set_rows([])
    assert empty.isVisible() and empty.text() == "No cases on this laptop yet: press Sync."


def test_the_leads_empty_queue_says_what_to_do(qtbot, ctx):
    from PySide6.QtWidgets import QLabel

    from fieldapp.ui.lead.window import LeadWindow

    from .test_connection import FakeLeadService

    window = LeadWindow(ctx, FakeLeadService())
    qtbot.addWidget(window)
    window.show()
    window.refresh()
    empty = window.queue.table.findChild(QLabel, "emptyState")
    assert empty.isVisible() and empty.text().startswith("No visit to show: press Sync")
    ctx.language.set_language("zh_CN")
    assert empty.text().startswith("没有可显示的拜访")


def test_the_day_navigator_stays_at_the_top_on_an_empty_day(app, qtbot):
    window = app.window
    window.resize(1280, 780)
    window.show()
    qtbot.waitExposed(window)
    today = app.window.today
    top = today.previous_button.mapTo(window, today.previous_button.rect().topLeft()).y()
    today.show_day(DAY + dt.timedelta(days=1))
    assert today.plan.stops == []
    qtbot.wait(10)
    empty_top = today.previous_button.mapTo(window, today.previous_button.rect().topLeft()).y()
    assert empty_top == top
    assert today.empty.mapTo(today, today.empty.rect().topLeft()).y() < 120


def test_a_former_agents_late_visit_is_marked_on_the_case(app, day_service, ctx, tmp_path, request):
    """A visit the former agent recorded before the case came to this agent, delivered after:
    the case's visit list says so, in English and in Chinese."""
    from fieldapp.protocol.v1 import VisitHistoryRecord

    record = day_service.records["late"]
    day_service.records["late"] = record.model_copy(update={"visits": [
        VisitHistoryRecord(id="v-old", at=at(10, day=DAY - dt.timedelta(days=1)), contact_made=True,
                           outcome="agreement_signed", agent="agent2", late=True),
        VisitHistoryRecord(id="v-older", at=at(10, day=DAY - dt.timedelta(days=5)), contact_made=False,
                           outcome="not_home", agent="agent2")]})
    window = app.window
    window.open_case("late")
    tree = window.detail.visits
    texts = [tree.topLevelItem(i).text(2) for i in range(tree.topLevelItemCount())]
    assert "recorded before the case changed hands" in texts[0] and "changed hands" not in texts[1]
    shots = request.config.rootpath / "build" / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    window.resize(1280, 860)
    window.detail.grab().save(str(shots / "case_detail_late_visit_en.png"))
    ctx.language.set_language("zh_CN")
    texts = [tree.topLevelItem(i).text(2) for i in range(tree.topLevelItemCount())]
    assert "移交前记录" in texts[0]
    window.detail.grab().save(str(shots / "case_detail_late_visit_zh_CN.png"))
    ctx.language.set_language("en")
