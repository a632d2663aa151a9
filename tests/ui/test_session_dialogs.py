"""Signing in, out and unlocking, driven with the keyboard and the mouse: Enter signs in
even after a wrong password, closing the sign-in asks before it quits the app, signing out
leaves nothing of the previous user on screen, and the store passphrase is chosen with a
confirmation and must be strong."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from fieldapp.store.crypto import PassphraseRequired, WrongPassphrase
from fieldapp.ui.app import Credentials, FieldApp, build_context
from fieldapp.ui.screens.login import LoginDialog

GOOD = Credentials("http://127.0.0.1:9", "agent1", "demo-agent1")


@pytest.fixture
def field_app(qtbot, ctx):
    app = FieldApp(ctx)
    qtbot.addWidget(app.window)
    yield app
    if app.login_dialog is not None:
        app.login_dialog.reject()


def visible_texts(widget) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel) if label.isVisible())


def question(dialog) -> QMessageBox | None:
    boxes = [b for b in dialog.findChildren(QMessageBox) if b.isVisible()]
    return boxes[-1] if boxes else None


def start_at_sign_in(qtbot, field_app) -> LoginDialog:
    field_app.start(resume=False)
    dialog = field_app.login_dialog
    assert dialog is not None
    dialog.activateWindow()
    qtbot.waitExposed(dialog)
    dialog.server.setText(GOOD.server_url)
    dialog.username.setText(GOOD.username)
    dialog.password.setFocus()
    return dialog


# ---------------------------------------------------------------------- 1: Enter signs in; closing asks
def test_enter_signs_in_after_a_wrong_password(qtbot, field_app, service):
    dialog = start_at_sign_in(qtbot, field_app)
    qtbot.keyClicks(dialog.password, "wrong")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.error.text() == "Wrong user name or password."
    assert dialog.sign_in.isDefault() and not dialog.cancel.isDefault()
    assert dialog.password.isEnabled() and dialog.focusWidget() is dialog.password
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, "demo-agent1")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert field_app.signed_in and field_app.window.isVisible()
    assert field_app.window.user_label.text() == "Signed in as Agent1"


def test_cancel_asks_before_it_quits_the_app(qtbot, field_app):
    dialog = start_at_sign_in(qtbot, field_app)
    qtbot.mouseClick(dialog.cancel, Qt.MouseButton.LeftButton)
    box = question(dialog)
    assert box is not None and dialog.isVisible() and field_app.window.isVisible()
    assert box.defaultButton() is dialog.stay_button           # Enter keeps the app open
    qtbot.mouseClick(dialog.stay_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and field_app.window.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)                    # Esc asks too
    box = question(dialog)
    assert box is not None and dialog.isVisible()
    qtbot.mouseClick(dialog.quit_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and not field_app.window.isVisible()


def test_the_app_quitting_by_itself_is_not_held_up_by_the_question(qtbot, field_app):
    dialog = start_at_sign_in(qtbot, field_app)
    assert dialog.quits_app
    dialog.close()                     # what QApplication.quit() does to every window first
    assert not dialog.isVisible() and question(dialog) is None


def test_cancel_does_not_ask_when_the_app_stays_open(qtbot, field_app):
    field_app.start(credentials=GOOD)
    dialog = field_app.ask_login(quit_on_cancel=False)     # the session ended: sign in again
    qtbot.mouseClick(dialog.cancel, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and field_app.window.isVisible()


# ---------------------------------------------------------------------- 3: sign-out clears the window
def test_sign_out_leaves_nothing_of_the_previous_user(qtbot, field_app, service):
    field_app.start(credentials=GOOD)
    window = field_app.window
    window.show_screen("cases")
    row = window.model.row_at(0)
    window.open_case(row.id)
    before = visible_texts(window)
    assert "Agent1" in before and row.customer_name in before
    qtbot.mouseClick(window.sign_out_button, Qt.MouseButton.LeftButton)
    assert field_app.login_dialog is not None
    after = visible_texts(window)
    for gone in ("Agent1", "Loading the day", "60 cases", "Last sync", row.customer_name, row.reference):
        assert gone not in after, (gone, after)
    assert window.windowTitle() == "Field visits"
    assert window.sidebar.badge("today") == 0 and window.sidebar.badge("outbox") == 0
    assert window.signed_out_page.isVisible() and "Signed out" in after
    field_app.login_dialog.password.setText("demo-agent1")
    field_app.login_dialog.sign_in.click()
    assert not window.signed_out_page.isVisible() and window.current_screen() == "today"


# ---------------------------------------------------------------------- 4: the store passphrase
@pytest.mark.parametrize("typed, problem", [
    ("abc", "at least 12 characters"),
    ("password1234", "too common"),
    ("aaaaaaaaaaaaaa", "too common"),
    ("123456789012", "too common"),
    ("correct horse battery", None),
    ("蓝色的房子在河边住着", None),
])
def test_passphrase_rules(qapp, typed, problem):
    from fieldapp.ui.i18n import Language
    from fieldapp.ui.screens.passphrase import passphrase_problem

    found = passphrase_problem(typed, Language("en").tr)
    assert (found is None) if problem is None else (problem in found)


def opener(errors: list[Exception], opened: list):
    """An `open_service` that fails with `errors` in turn, then opens (recording the passphrase)."""
    from .conftest import FakeService, make_rows

    def open_service(passphrase):
        opened.append(passphrase)
        if errors:
            raise errors.pop(0)
        return FakeService(make_rows(3))
    return open_service


def test_a_new_store_asks_for_a_strong_passphrase_twice(qtbot, settings_store):
    from fieldapp.store.crypto import PassphraseToChoose
    from fieldapp.ui.screens.passphrase import PassphraseDialog

    opened: list = []
    ctx = build_context(None, synchronous=True, settings_store=settings_store, language="en")
    app = FieldApp(ctx, open_service=opener([PassphraseToChoose("no keyring")], opened))
    qtbot.addWidget(app.window)
    app.window.show()
    app._open(None, lambda: None)
    dialog = app.window.findChild(PassphraseDialog)
    assert dialog is not None and dialog.isVisible() and dialog.creating
    assert dialog.confirm.isVisible()
    qtbot.keyClicks(dialog.passphrase, "abc")
    qtbot.keyClicks(dialog.confirm, "abc")
    qtbot.keyClick(dialog.confirm, Qt.Key.Key_Return)
    assert dialog.isVisible() and "at least 12 characters" in dialog.error.text()
    dialog.passphrase.setText("blue house by the river")
    dialog.confirm.setText("blue house by the rivet")
    qtbot.keyClick(dialog.confirm, Qt.Key.Key_Return)
    assert dialog.isVisible() and "do not match" in dialog.error.text()
    dialog.confirm.setText("blue house by the river")
    qtbot.keyClick(dialog.confirm, Qt.Key.Key_Return)
    assert opened == [None, "blue house by the river"] and app.ctx.service is not None


def test_an_existing_store_asks_once_and_says_when_it_is_wrong(qtbot, settings_store):
    from fieldapp.ui.screens.passphrase import PassphraseDialog

    opened: list = []
    ctx = build_context(None, synchronous=True, settings_store=settings_store, language="en")
    app = FieldApp(ctx, open_service=opener([PassphraseRequired("locked"), WrongPassphrase("no")], opened))
    qtbot.addWidget(app.window)
    app.window.show()
    app._open(None, lambda: None)
    dialog = app.window.findChild(PassphraseDialog)
    assert not dialog.creating and not dialog.confirm.isVisible()
    qtbot.keyClicks(dialog.passphrase, "abc")         # an old short one still opens its store
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    dialog = [d for d in app.window.findChildren(PassphraseDialog) if d.isVisible()][-1]
    assert "does not open the case data" in dialog.error.text()
    qtbot.keyClicks(dialog.passphrase, "the right one")
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    assert opened == [None, "abc", "the right one"] and app.ctx.service is not None
