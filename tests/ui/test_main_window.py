"""The agent's window end to end against an in-memory service (tasks run inline):
sign in, sync, search, failures in plain words, session resume and sign-out."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QApplication

from fieldapp.sync.errors import DeviceRevoked, TokenExpired
from fieldapp.ui.app import Credentials, FieldApp, build_context
from fieldapp.ui.models.case_table import ROW_ID_ROLE
from fieldapp.ui.screens.login import LoginDialog

GOOD = Credentials("http://127.0.0.1:9", "agent1", "demo-agent1")


@pytest.fixture
def field_app(qtbot, ctx):
    app = FieldApp(ctx)
    qtbot.addWidget(app.window)
    yield app
    if app.login_dialog is not None:
        app.login_dialog.reject()


def open_dialog() -> LoginDialog | None:
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, LoginDialog) and w.isVisible()]
    return dialogs[-1] if dialogs else None


def test_sign_in_syncs_and_shows_the_cases(field_app, service):
    field_app.start(credentials=GOOD)
    window = field_app.window
    assert [name for name, _ in service.calls] == ["login", "list_cases", "sync", "list_cases"]
    assert window.model.rowCount() == 60
    assert window.count_label.text() == "60 cases"
    assert window.user_label.text() == "Signed in as Agent1"
    assert window.windowTitle() == "Field visits — Agent1"
    assert "60 cases updated, 0 items sent" in window.sync_status.message.text()
    assert window.connection.indicator.text() == "Online"
    assert window.sync_status.progress.isHidden()
    assert window.sync_button.isEnabled() and not window.syncing
    assert open_dialog() is None


def test_the_selected_case_stays_selected_across_a_sync(field_app):
    field_app.start(credentials=GOOD)
    window = field_app.window
    window.table.selectRow(7)
    chosen = window.table.currentIndex().data(ROW_ID_ROLE)
    window.start_sync()
    assert window.table.currentIndex().data(ROW_ID_ROLE) == chosen
    assert window.table.selectionModel().isRowSelected(window.table.currentIndex().row())


def test_search_box_filters_and_counts(field_app, qtbot):
    field_app.start(credentials=GOOD)
    window = field_app.window
    window.search.setText("queen street")
    qtbot.waitUntil(lambda: window.model.rowCount() < 60)  # after the typing pause
    shown = window.model.rowCount()
    assert shown > 0 and window.count_label.text() == f"{shown} of 60 cases"
    window.search.clear()
    window.apply_search()
    assert window.model.rowCount() == 60


def test_offline_sync_says_so_and_keeps_the_cases(field_app, service):
    field_app.start(credentials=GOOD)
    service.offline = True
    field_app.window.start_sync()
    status = field_app.window.sync_status
    assert status.message.text().startswith("Offline: the server cannot be reached")
    assert field_app.window.connection.indicator.text() == "Offline" and field_app.window.sync.offline is True
    assert field_app.window.model.rowCount() == 60
    assert field_app.window.sync_button.isEnabled()


def test_wrong_password_shows_the_dialog_with_the_reason_then_signs_in(field_app, service):
    field_app.start(credentials=Credentials(GOOD.server_url, "agent1", "wrong"))
    dialog = open_dialog()
    assert dialog is not None
    assert dialog.error.text() == "Wrong user name or password."
    assert dialog.server.text() == GOOD.server_url and dialog.username.text() == "agent1"
    dialog.password.setText("demo-agent1")
    dialog.sign_in.click()
    assert open_dialog() is None
    assert field_app.signed_in and field_app.window.model.rowCount() == 60


def test_dialog_checks_its_fields_before_calling_the_server(field_app, service):
    field_app.start(resume=False)
    dialog = open_dialog()
    dialog.server.setText("fieldapp.example.com")
    dialog.sign_in.click()
    assert "must start with https://" in dialog.error.text()
    dialog.server.setText("https://fieldapp.example.com")
    dialog.username.setText("agent1")
    dialog.sign_in.click()
    assert dialog.error.text() == "Enter your password."
    assert [name for name, _ in service.calls] == []


def test_an_ended_session_asks_to_sign_in_again(field_app, service):
    field_app.start(credentials=GOOD)
    service.fail_sync_with = TokenExpired("session expired")
    field_app.window.start_sync()
    assert field_app.window.sync_status.message.text() == "Your session has ended. Please sign in again."
    assert open_dialog() is not None


def test_a_revoked_device_says_its_data_was_erased(field_app, service):
    field_app.start(credentials=GOOD)
    service.fail_sync_with = DeviceRevoked("revoked", 0)
    field_app.window.start_sync()
    assert "its case data erased" in field_app.window.sync_status.message.text()
    assert open_dialog() is not None


def test_resume_shows_the_stored_cases_without_asking(field_app, service):
    service.login(GOOD.server_url, "agent1", "demo-agent1")
    service.local_rows = service.server_rows[:5]
    service.offline = True  # out in the field
    service.calls.clear()
    field_app.start()
    assert [name for name, _ in service.calls] == ["resume", "list_cases", "sync"]
    assert field_app.window.model.rowCount() == 5
    assert field_app.window.sync.offline is True
    assert open_dialog() is None


def test_no_stored_session_asks_to_sign_in(field_app, service):
    field_app.start()
    assert open_dialog() is not None
    assert [name for name, _ in service.calls] == ["resume"]


def test_sign_out_forgets_the_list_and_asks_again(field_app, service):
    field_app.start(credentials=GOOD)
    field_app.window.sign_out_button.click()
    assert service.session is None
    assert field_app.window.model.rowCount() == 0
    assert field_app.window.count_label.text() == "No cases yet: press Sync."
    assert open_dialog() is not None


def test_progress_reports_reach_the_status_line(field_app, service):
    field_app.start(credentials=GOOD)
    status = field_app.window.sync_status
    seen = []
    original = status.report

    def spy(phase, done, total):
        original(phase, done, total)
        seen.append((phase, done, total, status.message.text(), status.progress.value()))

    status.report = spy
    field_app.window.start_sync()
    assert seen[0][:3] == ("pull", 0, 60) and seen[-1][:3] == ("pull", 60, 60)
    assert seen[-1][3] == "Receiving cases… 60 of 60" and seen[-1][4] == 60
    status.report("pull", 1500, None)
    assert status.message.text() == "Receiving cases… 1500"


def test_settings_remember_server_user_and_language_never_the_password(field_app, settings_store, service):
    field_app.start(credentials=GOOD)
    field_app.window.language_combo.setCurrentIndex(field_app.window.language_combo.findData("zh_CN"))
    field_app.window.close()
    saved = json.loads(settings_store.path.read_text(encoding="utf-8"))
    assert saved["server_url"] == GOOD.server_url and saved["username"] == "agent1"
    assert saved["language"] == "zh_CN" and saved["last_sync"] and saved["window_geometry"]
    assert "demo-agent1" not in settings_store.path.read_text(encoding="utf-8")
    again = build_context(service, synchronous=True, settings_store=settings_store)
    assert again.language.code == "zh_CN"


def test_a_damaged_settings_file_falls_back_to_defaults(settings_store, service, qapp, caplog):
    settings_store.path.write_text("{not json", encoding="utf-8")
    ctx = build_context(service, synchronous=True, settings_store=settings_store, language="en")
    assert ctx.settings.server_url == ""
    assert str(settings_store.path) in caplog.text
    settings_store.path.write_text(json.dumps({"server_url": 5, "language": "xx"}), encoding="utf-8")
    loaded = settings_store.load()
    assert loaded.server_url == "" and loaded.language in ("en", "zh_CN")


def test_an_unhandled_failure_is_shown_without_blocking(field_app, ctx):
    from PySide6.QtWidgets import QMessageBox

    from fieldapp.sync.errors import Offline

    def broken():
        raise Offline("no route")

    ctx.tasks.net(broken).start()  # no .failure(): the app's handler speaks
    boxes = [w for w in field_app.window.findChildren(QMessageBox) if w.isVisible()]
    assert len(boxes) == 1 and boxes[0].text().startswith("Offline: the server cannot be reached")
    boxes[0].close()
