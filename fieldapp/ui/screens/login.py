"""Sign-in: server address, user name, password.

The login call goes to the network pool; the dialog stays responsive and says in plain
words why a sign-in failed (offline, wrong password...). The server address and the user
name are remembered in the settings; the password never is.

Enter always means "Sign in" (it is the only default button, Cancel never takes that
role, even after a failed try moved the focus). When closing the dialog would quit the
app (nobody is signed in yet), Cancel, Esc and the window's close button ask first; the
application quitting by itself (a timer, the session ending) is never held up.
"""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.errors import describe
from fieldapp.ui.i18n import N_, Language
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.service import AgentServiceLike
from fieldapp.ui.settings import UiSettings
from fieldapp.ui.tasks import TaskRunner
from fieldapp.ui.widgets.language import LanguageCombo

SERVER_PLACEHOLDER = "https://fieldapp.example.com"


def check_server_url(url: str) -> str | None:
    """Why `url` cannot be a server address, as an English source string; None if it can."""
    if not url:
        return N_("Enter the server address.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return N_("The server address must start with https:// (or http:// on a local network).")
    return None


class LoginDialog(QDialog):
    """Emits `logged_in(result)` with what the service's login returned, then accepts."""

    logged_in = Signal(object)

    def __init__(self, language: Language, tasks: TaskRunner, service: AgentServiceLike,
                 settings: UiSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loginDialog")
        self._lang = language
        self._tasks = tasks
        self._service = service
        self._settings = settings
        self._error: Callable[[], str] | None = None
        self.quits_app = False          # closing it quits the app: ask first
        self.question: QMessageBox | None = None
        self.quit_button: QAbstractButton | None = None
        self.stay_button: QAbstractButton | None = None
        self.setMinimumWidth(420)

        self.heading = QLabel(self)
        self.heading.setObjectName("loginHeading")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.heading.setFont(font)
        self.server = QLineEdit(settings.server_url, self)
        self.server.setObjectName("serverUrl")
        self.username = QLineEdit(settings.username, self)
        self.username.setObjectName("username")
        self.password = QLineEdit(self)
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.server_label, self.user_label, self.password_label = QLabel(self), QLabel(self), QLabel(self)
        for label, field in ((self.server_label, self.server), (self.user_label, self.username),
                             (self.password_label, self.password)):
            label.setBuddy(field)

        self.error = QLabel(self)
        self.error.setObjectName("loginError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        self.error.hide()

        self.buttons = QDialogButtonBox(self)
        self.sign_in: QPushButton = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_in.setObjectName("signInButton")
        self.sign_in.setDefault(True)
        self.cancel: QPushButton = self.buttons.addButton("", QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel.setObjectName("cancelSignIn")
        self.cancel.setAutoDefault(False)  # a focused Cancel must never become what Enter presses
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.ask_to_close)
        self.language_combo = LanguageCombo(language, self)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow(self.server_label, self.server)
        form.addRow(self.user_label, self.username)
        form.addRow(self.password_label, self.password)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.language_combo, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        language.changed.connect(self.retranslate)
        self.retranslate()
        (self.password if settings.server_url and settings.username else self.server).setFocus()

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.setWindowTitle(tr("Sign in"))
        self.heading.setText(tr("Sign in to your field visits"))
        self.server_label.setText(tr("&Server address"))
        self.user_label.setText(tr("&User name"))
        self.password_label.setText(tr("&Password"))
        self.server.setPlaceholderText(SERVER_PLACEHOLDER)
        self.username.setPlaceholderText(tr("Your user name"))
        self.password.setPlaceholderText(tr("Your password"))
        self.sign_in.setText(tr("Sign in"))
        self.cancel.setText(tr("Cancel"))
        if self._error is not None:
            self.error.setText(self._error())

    # ------------------------------------------------------------------ actions
    def submit(self) -> None:
        url = self.server.text().strip().rstrip("/")
        user = self.username.text().strip()
        password = self.password.text()
        problem = check_server_url(url)
        if problem is None and not user:
            problem = N_("Enter your user name.")
        if problem is None and not password:
            problem = N_("Enter your password.")
        if problem is not None:
            self.show_error(lambda: self._lang.tr(problem))
            return
        self._set_busy(True)
        self.show_error(None)
        self._settings.server_url, self._settings.username = url, user
        (self._tasks.net(self._service.login, url, user, password, label="login")
         .with_parent(self)
         .success(self._on_success)
         .failure(self._on_failure)
         .finally_(lambda: self._set_busy(False))
         .start())

    def _on_success(self, result: Any) -> None:
        self.password.clear()
        emit(self.logged_in, result)
        self.accept()

    def _on_failure(self, exc: Exception) -> None:
        self._set_busy(False)  # first: a disabled field cannot take the focus back
        self.show_error(lambda: describe(exc, self._lang).message)
        self.password.selectAll()
        self.password.setFocus()

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.server, self.username, self.password, self.sign_in):
            widget.setEnabled(not busy)
        self.sign_in.setText(self._lang.tr("Signing in…") if busy else self._lang.tr("Sign in"))
        if not busy:
            self.sign_in.setDefault(True)

    # ------------------------------------------------------------------ closing
    def ask_to_close(self) -> None:
        """Cancel, Esc or the close button: close, after asking when that quits the app."""
        if not self.quits_app:
            self.reject()
            return
        if self.question is not None:
            self.question.raise_()
            return
        tr = self._lang.tr
        box = QMessageBox(QMessageBox.Icon.Question, tr("Quit the app?"),
                          tr("Without signing in, the app closes. Your work stays on this laptop."),
                          QMessageBox.StandardButton.NoButton, self)
        self.quit_button = box.addButton(tr("Quit the app"), QMessageBox.ButtonRole.DestructiveRole)
        self.stay_button = box.addButton(tr("Back to sign-in"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(self.stay_button)  # type: ignore[arg-type]
        box.setEscapeButton(self.stay_button)
        self.question = box

        def answered(button: QAbstractButton) -> None:
            self.question = None
            box.deleteLater()
            if button is self.quit_button:
                self.reject()
            else:
                self.password.setFocus()

        box.buttonClicked.connect(answered)
        box.open()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            self.ask_to_close()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        # Only the person's own close (the window's button) asks: the application quitting
        # (it closes every window first, and a refused close would cancel the quit) does not.
        if self.quits_app and self.isVisible() and event.spontaneous():
            event.ignore()
            self.ask_to_close()
            return
        super().closeEvent(event)

    def show_error(self, render: Callable[[], str] | None) -> None:
        self._error = render
        if render is None:
            self.error.clear()
            self.error.hide()
        else:
            self.error.setText(render())
            self.error.show()
