"""Wiring: one place builds the Qt application, the task runner, the language, the settings
and the screens, and passes them in. Nothing else in the GUI creates a dependency itself.

`FieldApp` is the small controller of the agent's session: open the local store (after
the window is on screen: opening it loads the database layer and may ask for a
passphrase), resume the saved session or ask to sign in, then show the day, sync, start
visits, and ask again when the server ends the session.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from fieldapp import __version__
from fieldapp.core.i18n import Translator
from fieldapp.ui.context import AppContext, ServerClock, SignedInUser
from fieldapp.ui.errors import describe
from fieldapp.ui.i18n import Language
from fieldapp.ui.look import app_icon, register_fonts
from fieldapp.ui.screens.main_window import MainWindow
from fieldapp.ui.service import AgentServiceLike
from fieldapp.ui.settings import SettingsStore
from fieldapp.ui.sync_controller import PROBE_INTERVAL_MS
from fieldapp.ui.tasks import Op, TaskRunner

if TYPE_CHECKING:
    from fieldapp.ui.screens.login import LoginDialog

log = logging.getLogger(__name__)

# Opens the agent's store on the database worker; given the passphrase typed (or None).
ServiceOpener = Callable[[str | None], AgentServiceLike]


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, with name, icon and the shipped fonts (reused if one exists)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv if argv is not None else sys.argv[:1]))
    app.setApplicationName("fieldapp")
    app.setApplicationDisplayName("fieldapp")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("fieldapp")
    app.setWindowIcon(app_icon())
    register_fonts(app)
    return app


def build_context(service: AgentServiceLike | None, *, synchronous: bool = False,
                  settings_store: SettingsStore | None = None, language: str | None = None,
                  clock: Callable[..., Any] | None = None,
                  position_source: Callable[[Any], Any] | None = None,
                  local_zone: Any = None) -> AppContext:
    """Everything the screens need; `synchronous=True` runs background work inline (tests).
    `service` may be None when `FieldApp` opens it later (see `ServiceOpener`)."""
    store = settings_store or SettingsStore()
    settings = store.load()
    lang = Language(language or settings.language)
    settings.language = lang.code
    ctx = AppContext(service=service, tasks=TaskRunner(synchronous=synchronous), language=lang,  # type: ignore[arg-type]
                     settings=settings, settings_store=store, clock=clock or ServerClock(),
                     position_source=position_source, local_zone=local_zone)

    def persist(_code: str) -> None:
        try:
            ctx.save_settings()
        except OSError as exc:
            log.warning("settings not saved: %s", type(exc).__name__)

    lang.changed.connect(persist)
    lang.changed.connect(lambda code: follow_language(ctx, code))
    follow_language(ctx, lang.code)
    return ctx


def follow_language(ctx: AppContext, code: str) -> None:
    """The service words its own messages (rejections, server reasons) in this language."""
    if ctx.service is not None and hasattr(ctx.service, "tr"):
        ctx.service.tr = Translator.for_language(code)  # type: ignore[attr-defined]


class _FirstPaint(QObject):
    """Calls `then` once, from the event loop, after `widget` first paints (or after
    `fallback_ms` if it never does: a minimised window, say)."""

    def __init__(self, widget: QWidget, then: Callable[[], Any], fallback_ms: int) -> None:
        super().__init__(widget)
        self._then: Callable[[], Any] | None = then
        widget.installEventFilter(self)
        QTimer.singleShot(fallback_ms, self, self._fire)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint and self._then is not None:
            QTimer.singleShot(0, self, self._fire)
        return False

    def _fire(self) -> None:
        then, self._then = self._then, None
        if then is not None:
            parent = self.parent()
            if parent is not None:
                parent.removeEventFilter(self)
            then()


def after_first_paint(widget: QWidget, then: Callable[[], Any], *, fallback_ms: int = 500) -> None:
    _FirstPaint(widget, then, fallback_ms)


@dataclass
class Credentials:
    server_url: str
    username: str
    password: str = field(repr=False)


class FieldApp:
    """The agent's session: open the store, sign in (or resume), the day, visits, sync."""

    def __init__(self, ctx: AppContext, *, open_service: ServiceOpener | None = None,
                 probe_interval_ms: int = PROBE_INTERVAL_MS) -> None:
        self.ctx = ctx
        self._open_service = open_service
        self.opened_service: AgentServiceLike | None = None  # opened here: closed by the caller
        self.window = MainWindow(ctx, probe_interval_ms=probe_interval_ms)
        self.login_dialog: LoginDialog | None = None
        self.lead_window = None  # LeadWindow, made when a team lead signs in
        self.signed_in = False
        ctx.tasks.set_unhandled_handler(self._on_unhandled)
        self.window.sign_out_requested.connect(self.sign_out)
        self.window.login_required.connect(lambda: self.ask_login(quit_on_cancel=False))
        self.window.visit_requested.connect(self.start_visit)
        self.window.settings_requested.connect(lambda: self.open_settings())

    # ------------------------------------------------------------------ start
    def start(self, *, credentials: Credentials | None = None, resume: bool = True) -> None:
        """Show the window; open the store if need be; sign in with `credentials`, else
        resume the stored session (the stored cases first, then a sync that may well find
        the agent offline), else ask."""
        self.window.show()
        if self.ctx.service is None:
            self.window.sync_status.show_message(lambda: self.ctx.language.tr("Opening your case data…"))
            # Opening the store loads the database layer on a worker thread; started before
            # the window has painted, it would hold the interpreter lock while Qt paints.
            after_first_paint(self.window, lambda: self._open(None, lambda: self._begin(credentials, resume)))
        else:
            self._begin(credentials, resume)

    def _begin(self, credentials: Credentials | None, resume: bool) -> None:
        if credentials is not None:
            self.login(credentials)
        elif resume:
            (self.ctx.tasks.db(self.ctx.service.resume, label="resume")
             .with_parent(self.window)
             .success(lambda result: self._on_signed_in(result, sync=True) if result
                      else self.ask_login(quit_on_cancel=True))
             .failure(lambda _exc: self.ask_login(quit_on_cancel=True))
             .start())
        else:
            self.ask_login(quit_on_cancel=True)

    def _open(self, passphrase: str | None, then: Callable[[], Any], *, wrong: bool = False) -> None:
        if self._open_service is None:
            raise RuntimeError("FieldApp needs a service or a way to open one")

        def opened(service: AgentServiceLike) -> None:
            self.ctx.service = service
            self.opened_service = service
            follow_language(self.ctx, self.ctx.language.code)
            self.window.sync_status.show_last_sync(None)
            then()

        def failed(exc: Exception) -> None:
            name = type(exc).__name__
            if name in ("PassphraseRequired", "PassphraseToChoose", "WrongPassphrase"):
                from fieldapp.ui.screens.passphrase import PassphraseDialog

                dialog = PassphraseDialog(self.ctx.language, creating=name == "PassphraseToChoose",
                                          wrong=name == "WrongPassphrase" or wrong, parent=self.window)

                def answered(result: int) -> None:
                    typed = dialog.value()
                    dialog.deleteLater()
                    if result != PassphraseDialog.DialogCode.Accepted or not typed:
                        self.window.close()
                        return
                    self._open(typed, then, wrong=name != "PassphraseToChoose")

                dialog.finished.connect(answered)
                dialog.open()
                return
            log.warning("the store could not be opened: %s", name)
            tr = self.ctx.language.tr
            # The store's own problems (emptied, missing, damaged, key lost) say themselves
            # in the agent's language and name the file and what to do.
            said = getattr(exc, "said", None)
            reason = said(tr) if callable(said) else (str(exc) or name)
            box = QMessageBox(QMessageBox.Icon.Critical, tr("Something went wrong"),
                              tr("Your case data could not be opened: {reason}", reason=reason),
                              QMessageBox.StandardButton.Ok, self.window)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.finished.connect(lambda _r: self.window.close())
            box.open()

        (self.ctx.tasks.db(self._open_service, passphrase, label="open_store")
         .with_parent(self.window).success(opened).failure(failed).start())

    def login(self, credentials: Credentials) -> Op[Any]:
        """Sign in without the dialog (the demo); on failure the dialog shows why."""
        self.ctx.settings.server_url = credentials.server_url
        self.ctx.settings.username = credentials.username
        op = (self.ctx.tasks.net(self.ctx.service.login, credentials.server_url, credentials.username,
                                 credentials.password, label="login")
              .with_parent(self.window)
              .success(lambda result: self._on_signed_in(result, sync=True))
              .failure(self._on_login_failed))
        op.start()
        return op

    def ask_login(self, *, quit_on_cancel: bool) -> LoginDialog:
        if self.login_dialog is not None:
            self.login_dialog.raise_()
            return self.login_dialog
        from fieldapp.ui.screens.login import LoginDialog

        if not self.signed_in:
            self.window.clear()  # nothing of an earlier session behind the sign-in
        dialog = LoginDialog(self.ctx.language, self.ctx.tasks, self.ctx.service, self.ctx.settings,
                             self.window)
        dialog.quits_app = quit_on_cancel and not self.signed_in
        self.login_dialog = dialog
        dialog.logged_in.connect(lambda result: self._on_signed_in(result, sync=True))

        def closed(_result: int) -> None:
            self.login_dialog = None
            dialog.deleteLater()
            if not self.signed_in and quit_on_cancel:
                self.window.close()

        dialog.finished.connect(closed)
        dialog.open()
        return dialog

    def sign_out(self) -> None:
        self.window.sync.stop()
        if self.lead_window is not None:
            self.lead_window.connection.monitor.stop()
        (self.ctx.tasks.net(self.ctx.service.logout, label="logout")
         .with_parent(self.window)
         .failure(lambda exc: log.info("sign-out could not reach the server: %s", type(exc).__name__))
         .finally_(self._after_sign_out)
         .start())

    def shutdown(self) -> None:
        self.window.sync.stop()
        if self.lead_window is not None:
            self.lead_window.connection.monitor.stop()
        self.ctx.tasks.shutdown(wait=True)

    # ------------------------------------------------------------------ visits and settings
    def start_visit(self, case_id: str) -> None:
        """Open the guided visit of `case_id` (resumed from its draft when there is one)."""
        window, settings = self.window, self.ctx.settings
        if window.visit.active and window.visit.case_id == case_id:
            window.show_visit()
            return
        from fieldapp.ui.case_data import prepare_visit

        user = self.ctx.user
        (self.ctx.tasks.db(prepare_visit, self.ctx.service, case_id, agent_name=user.display_name or user.username,
                           agent_id=user.username or user.id,
                           institution=(settings.institution_name, settings.institution_address,
                                        settings.institution_registration),
                           clock=self.ctx.clock, label="prepare_visit")
         .with_parent(window)
         .success(lambda start: (window.visit.open(start), window.show_visit()))
         .start())

    def open_settings(self, note: str = "") -> bool:
        """The settings dialog (modal); True when saved."""
        from fieldapp.ui.screens.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.ctx, self.window, note=note)
        try:
            return dialog.exec() == SettingsDialog.DialogCode.Accepted
        finally:
            dialog.deleteLater()

    # ------------------------------------------------------------------ internals
    def _on_signed_in(self, result: Any, *, sync: bool) -> None:
        self.signed_in = True
        self.ctx.user = SignedInUser.from_login(result, self.ctx.settings.username)
        try:
            self.ctx.save_settings()
        except OSError:
            pass
        role = result.get("role") if isinstance(result, dict) else getattr(result, "role", None)
        if role == "lead":
            self._show_lead_window(sync=sync)
            return
        self.window.set_user(self.ctx.user.display_name)
        self.window.sync.watch()
        clock = self.ctx.clock
        if isinstance(clock, ServerClock) and hasattr(self.ctx.service, "clock"):
            (self.ctx.tasks.db(self.ctx.service.clock, label="clock").with_parent(self.window)
             .success(lambda answer: setattr(clock, "offset_s", answer[0] or 0.0)).start())
        self.window.refresh_all()
        if sync:
            self.window.start_sync()

    def _show_lead_window(self, *, sync: bool) -> None:
        """Team leads work in their own window: the review queue, evidence and figures."""
        from fieldapp.sync.lead_service import LeadService
        from fieldapp.ui.lead.window import LeadWindow

        if self.lead_window is None:
            self.lead_window = LeadWindow(self.ctx, LeadService(self.ctx.service))
            self.lead_window.sign_out_requested.connect(self.sign_out)
            self.lead_window.login_required.connect(lambda: self.ask_login(quit_on_cancel=False))
        self.window.hide()
        self.lead_window.set_user(self.ctx.user.display_name)
        self.lead_window.connection.monitor.start()
        self.lead_window.show()
        self.lead_window.refresh()
        if sync:
            self.lead_window.start_sync()

    def _on_login_failed(self, exc: Exception) -> None:
        dialog = self.ask_login(quit_on_cancel=True)
        dialog.show_error(lambda: describe(exc, self.ctx.language).message)

    def _after_sign_out(self) -> None:
        if self.lead_window is not None:
            self.lead_window.connection.monitor.reset()
            self.lead_window.hide()
            self.window.show()
        self.signed_in = False
        self.ctx.user = SignedInUser()
        self.window.set_user("")
        self.window.clear()
        self.ask_login(quit_on_cancel=True)

    def _on_unhandled(self, op: Op[Any], exc: Exception) -> None:
        problem = describe(exc, self.ctx.language)
        log.warning("%s failed: %s", op.label, problem.kind)
        box = QMessageBox(QMessageBox.Icon.Warning, self.ctx.language.tr("Something went wrong"),
                          problem.message, QMessageBox.StandardButton.Ok, self.window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # not exec(): a failure must never block the event loop


def run(service: AgentServiceLike | None, *, credentials: Credentials | None = None,
        language: str | None = None, quit_after: float | None = None,
        settings_store: SettingsStore | None = None, app: QApplication | None = None,
        on_quit: Callable[[FieldApp], Any] | None = None, open_service: ServiceOpener | None = None,
        prepare: Callable[[AppContext], Any] | None = None) -> int:
    """Run the GUI until its window closes (or `quit_after` seconds); returns the exit code.

    Give `service`, or `open_service` to open it once the window shows (the service is
    then closed here at the end). `prepare(ctx)` may adjust the context first (the demo
    names its creditor)."""
    app = app or create_application()
    ctx = build_context(service, language=language, settings_store=settings_store)
    if prepare is not None:
        prepare(ctx)
    field_app = FieldApp(ctx, open_service=open_service)
    if quit_after is not None:
        QTimer.singleShot(int(quit_after * 1000), app.quit)
    field_app.start(credentials=credentials)
    app.setQuitOnLastWindowClosed(True)
    try:
        code = app.exec()
        if on_quit is not None:
            on_quit(field_app)
        return code
    finally:
        field_app.shutdown()
        opened = field_app.opened_service
        if opened is not None and hasattr(opened, "close"):
            opened.close()
