"""Switching the language re-says every visible string at once, without a restart, on every
screen: every widget's text, placeholder, tooltip and title, tree and table headers, the
case table's cells, the visit flow, the dialogs. Data (names, addresses, references,
numbers) stays as it is; everything else must turn Chinese and back."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QGroupBox, QLabel, QLineEdit, QTreeWidget, QWidget

from fieldapp.ui.app import Credentials, FieldApp
from fieldapp.ui.i18n import LANGUAGE_NAMES
from fieldapp.ui.models.case_table import Column

from .conftest import UTC, Row

CJK = re.compile(r"[\u4e00-\u9fff]")
RULE_ID = re.compile(r"[a-z_]+(\.[a-z_]+)+")  # a policy rule's id, shown as the tooltip of its row
TAG = re.compile(r"<[^>]+>")
# Not words: language names (each in its own language), the user's name, example URLs.
EXEMPT = set(LANGUAGE_NAMES.values()) | {"https://fieldapp.example.com", "Agent1"}
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def visible_strings(root: QWidget) -> dict[str, str]:
    """Every piece of text a person can see on `root` and its visible children, by where."""
    found: dict[str, str] = {}

    def add(where: str, text: str) -> None:
        text = TAG.sub("", text or "").replace("&", "").strip()
        if text and text not in EXEMPT and not re.fullmatch(r"[\d\s\W]*", text):
            found[where] = text

    add("title", root.windowTitle())
    for widget in [root, *root.findChildren(QWidget)]:
        if widget is not root and not widget.isVisibleTo(root):
            continue
        name = f"{type(widget).__name__}#{widget.objectName() or id(widget)}"
        add(name + ".tooltip", widget.toolTip())
        if isinstance(widget, (QLabel, QAbstractButton)):
            add(name + ".text", widget.text())
        if isinstance(widget, QLineEdit):
            add(name + ".placeholder", widget.placeholderText())
        if isinstance(widget, QComboBox):
            for i in range(widget.count()):
                add(f"{name}.item{i}", widget.itemText(i))
        if isinstance(widget, QGroupBox):
            add(name + ".title", widget.title())
        if isinstance(widget, QTreeWidget):
            header = widget.headerItem()
            for i in range(header.columnCount()):
                add(f"{name}.header{i}", header.text(i))
    return found


def table_strings(window) -> dict[str, str]:
    model = window.model
    found = {f"header{c}": model.headerData(c, Qt.Orientation.Horizontal) for c in Column}
    found.update({f"headertip{c}": model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
                  for c in Column if model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)})
    for row in range(min(model.rowCount(), 40)):
        for column in (Column.COMPLIANCE, Column.FLAGS):
            text = model.index(row, column).data()
            if text:
                found[f"cell{row},{column}"] = text
    return found


def assert_all_chinese(before: dict[str, str], after: dict[str, str], data: set[str] = frozenset()) -> None:
    assert set(after) == set(before), "the same widgets should show text in both languages"
    def is_data(text: str) -> bool:
        return text in data or bool(RULE_ID.fullmatch(text))

    untranslated = {where: text for where, text in after.items() if not CJK.search(text) and not is_data(text)}
    assert untranslated == {}
    unchanged = {where: text for where, text in after.items() if text == before[where] and not is_data(text)
                 and not CJK.search(before[where])}
    assert unchanged == {}


def switch_and_compare(ctx, root: QWidget, data: set[str] = frozenset(), extra=lambda: {}) -> dict[str, str]:
    english = {**visible_strings(root), **extra()}
    assert len(english) > 5, "the walk should see the screen"
    ctx.language.set_language("zh_CN")
    chinese = {**visible_strings(root), **extra()}
    assert_all_chinese(english, chinese, data)
    ctx.language.set_language("en")
    assert {**visible_strings(root), **extra()} == english
    return english


@pytest.fixture
def day_service(service):
    """Two visits booked on 2 March 2026 (one blocked) and a returned visit."""
    from fieldapp.store.rows import TaskRow

    start = dt.datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI)
    service.server_rows[:2] = [
        Row(id="day-1", reference="NJ-DAY-1", customer_name="王芳", address="南京市玄武区中山路 10 号",
            amount="1200.00", appointment_start=start, appointment_end=start + dt.timedelta(hours=1)),
        Row(id="day-2", reference="NJ-DAY-2", customer_name="李强", address="南京市鼓楼区北京西路 8 号",
            amount="800.00", appointment_start=start.replace(hour=20), appointment_end=start.replace(hour=21),
            compliance_allowed=False),
    ]
    service.task_rows = [TaskRow("t1", "day-1", "visit_returned", "v1", "请补充收入情况。Add the income.",
                                 dt.datetime(2026, 3, 1, 9, tzinfo=UTC), "lead1", None)]
    return service


@pytest.fixture
def signed_in(qtbot, ctx, day_service):
    ctx.clock = lambda: dt.datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)
    ctx.local_zone = SHANGHAI
    app = FieldApp(ctx)
    qtbot.addWidget(app.window)
    app.start(credentials=Credentials("http://127.0.0.1:9", "agent1", "demo-agent1"))
    return app


def test_every_screen_switches_every_visible_string(signed_in, ctx):
    window = signed_in.window
    assert window.windowTitle() == "Field visits — Agent1"
    data = {"NJ-DAY-1", "NJ-DAY-2", "lead1"}
    for key in ("today", "cases", "outbox"):
        window.show_screen(key)
        extra = (lambda: table_strings(window)) if key == "cases" else (lambda: {})
        switch_and_compare(ctx, window, data, extra)
    # the language combo in the window switches too
    window.language_combo.setCurrentIndex(window.language_combo.findData("zh_CN"))
    assert ctx.language.code == "zh_CN" and CJK.search(window.sync_button.text())
    window.language_combo.setCurrentIndex(window.language_combo.findData("en"))


def test_today_route_and_tasks_switch(signed_in, ctx):
    window = signed_in.window
    today = window.today
    assert today.case_ids() == ["day-1", "day-2", "case-000002"]  # 09:30, 20:00, 23:00
    english = visible_strings(window)
    assert english["QLabel#dayTitle.text"] == "Today, Monday 2026-03-02"
    assert english["QLabel#tasksTitle.text"] == "Returned visits to correct (1)"
    route_en = [today.route.topLevelItem(i).text(5) for i in range(3)]
    ctx.language.set_language("zh_CN")
    assert visible_strings(window)["QLabel#dayTitle.text"] == "今日，2026-03-02 星期一"
    assert [today.route.topLevelItem(i).text(5) for i in range(3)] != route_en
    assert all(CJK.search(today.route.topLevelItem(i).text(6)) for i in range(2))  # the rules' reasons
    assert CJK.search(today.tasks.item(0).text())
    ctx.language.set_language("en")


def test_case_detail_and_visit_switch(signed_in, ctx, qtbot):
    window = signed_in.window
    ctx.settings.institution_name = "Nanjing Demo Bank"
    window.open_case("day-1")
    assert window.detail.view is not None
    record = window.detail.view.record
    data = {record.reference, record.customer.name, record.customer.address, "Asia/Shanghai", "cn", "B", "1,200.00 CNY",
            "lead1", "—"}
    switch_and_compare(ctx, window, data)
    window.detail.start_button.click()
    assert window.current_screen() == "visit" and window.visit.flow is not None
    switch_and_compare(ctx, window, data | {"cn 2026.1", f"{record.reference} · 1,200.00 CNY · 30 days past due"})


def test_offline_banner_and_search_count_switch_too(signed_in, ctx, service):
    window = signed_in.window
    service.offline = True
    window.start_sync()
    window.show_screen("cases")
    window.search.setText("王")
    window.apply_search()
    english = visible_strings(window)
    assert "Offline" in english["QLabel#offlineText.text"]
    assert re.fullmatch(r"\d+ of 60 cases", english["QLabel#caseCount.text"])
    ctx.language.set_language("zh_CN")
    assert_all_chinese(english, visible_strings(window), {"NJ-DAY-1", "NJ-DAY-2"})
    ctx.language.set_language("en")


def test_login_and_settings_dialogs_switch(qtbot, ctx):
    from fieldapp.ui.screens.settings_dialog import SettingsDialog

    app = FieldApp(ctx)
    qtbot.addWidget(app.window)
    app.start(credentials=Credentials("http://127.0.0.1:9", "agent1", "wrong"))
    dialog = app.login_dialog
    assert dialog is not None and dialog.error.isVisible()
    english = visible_strings(dialog)
    assert english["QLabel#loginError.text"] == "Wrong user name or password."
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("zh_CN"))
    assert_all_chinese(english, visible_strings(dialog), {"agent1", "http://127.0.0.1:9"})
    assert CJK.search(app.window.sync_button.text())  # the window behind the dialog followed as well
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("en"))
    dialog.reject()
    settings = SettingsDialog(ctx, app.window)
    qtbot.addWidget(settings)
    settings.show()
    switch_and_compare(ctx, settings, {"agent1", "http://127.0.0.1:9", "—"})
