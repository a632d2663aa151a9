"""The agent's main window: a sidebar (Today / Cases / Outbox), the screen chosen, the case
detail and the visit opened from them, an offline banner, and the sync status.

It wires the screens together and to the sync controller; every store and network call
goes through the task runner. The screens' own modules say what they show. Today is built
with the window; the other screens when first shown (their data models live here from
the start), so the window is on screen without waiting for screens nobody looks at yet.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.context import AppContext, SignedInUser
from fieldapp.ui.i18n import N_
from fieldapp.ui.models.case_table import CaseTableModel
from fieldapp.ui.models.outbox_table import OutboxModel
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.screens.today import TodayScreen
from fieldapp.ui.sync_controller import PROBE_INTERVAL_MS, SyncController
from fieldapp.ui.widgets.connection import ConnectionStatus
from fieldapp.ui.widgets.language import LanguageCombo
from fieldapp.ui.widgets.sidebar import Sidebar
from fieldapp.ui.widgets.sync_status import SyncStatus

if TYPE_CHECKING:
    from fieldapp.ui.screens.case_detail import CaseDetailScreen
    from fieldapp.ui.screens.cases import CasesScreen
    from fieldapp.ui.screens.outbox import OutboxScreen
    from fieldapp.ui.screens.visit_screen import VisitScreen

SCREENS = {"today": N_("Today"), "cases": N_("Cases"), "outbox": N_("Outbox"), "practice": N_("Practice")}
SCREEN_TIPS = {"today": N_("The day's visits in route order, and returned visits"),
               "cases": N_("All your cases"), "outbox": N_("What this laptop recorded, and whether it was sent"),
               "practice": N_("Rehearse a conversation script with a simulated customer")}


def user_display_name(login_result: Any, fallback: str = "") -> str:
    """The name to greet, from what the service's login/resume returned."""
    return SignedInUser.from_login(login_result, fallback).display_name


class MainWindow(QMainWindow):
    case_activated = Signal(str)       # a case was opened
    sign_out_requested = Signal()
    login_required = Signal()          # the server refused our session
    settings_requested = Signal()
    visit_requested = Signal(str)      # start (or resume) the visit of a case

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *,
                 probe_interval_ms: int = PROBE_INTERVAL_MS) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self._ctx = ctx
        self._lang = ctx.language
        self._user = ""
        self._return_to = "today"
        self.sync_after_visit = True       # send a finished visit at once when online
        self.sync = SyncController(ctx, self, probe_interval_ms=probe_interval_ms)

        self.sidebar = Sidebar(self)
        for key in SCREENS:
            self.sidebar.add(key)
        self.sidebar.setFixedWidth(200)
        self.sidebar.chosen.connect(self.show_screen)
        self.sync_button = QPushButton(self)
        self.sync_button.setObjectName("syncButton")
        self.sync_button.setMinimumHeight(36)
        self.sync_button.clicked.connect(self.start_sync)
        self.language_combo = LanguageCombo(ctx.language, self)
        self.settings_button = QPushButton(self)
        self.settings_button.setObjectName("settingsButton")
        self.settings_button.setFlat(True)
        self.settings_button.clicked.connect(self.settings_requested)
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.sidebar, 1)
        side.addWidget(self.sync_button)
        side.addWidget(self.language_combo)
        side.addWidget(self.settings_button)
        side_panel = QWidget(self)
        side_panel.setObjectName("sidePanel")
        side_panel.setLayout(side)
        side_panel.setFixedWidth(200)

        self.model = CaseTableModel(ctx.language, self, display_zone=ctx.zone())
        self.outbox_model = OutboxModel(ctx.language, self, zone=ctx.zone)
        self.today = TodayScreen(ctx, self, rows=self.model.rows)
        self.stack = QStackedWidget(self)
        self.screens: dict[str, QWidget] = {"today": self.today}
        self.stack.addWidget(self.today)
        # Shown instead of every screen while nobody is signed in (after a sign-out): the
        # previous user's day, cases and counts must not stay behind the sign-in.
        self.signed_out_page = QLabel(self)
        self.signed_out_page.setObjectName("signedOutPage")
        self.signed_out_page.setWordWrap(True)
        self.signed_out_page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.signed_out_page.setStyleSheet("QLabel { color: #5f6368; font-size: 15pt; }")
        self.stack.addWidget(self.signed_out_page)

        self.offline_banner = QFrame(self)
        self.offline_banner.setObjectName("offlineBanner")
        self.offline_banner.setStyleSheet("QFrame#offlineBanner { background: #c62828; }"
                                          "QFrame#offlineBanner QLabel { color: white; font-weight: bold; }")
        self.offline_text = QLabel(self.offline_banner)
        self.offline_text.setObjectName("offlineText")
        self.offline_text.setWordWrap(True)
        self.retry_button = QPushButton(self.offline_banner)
        self.retry_button.setObjectName("tryNow")
        self.retry_button.clicked.connect(self.start_sync)
        banner = QHBoxLayout(self.offline_banner)
        banner.setContentsMargins(12, 6, 12, 6)
        banner.addWidget(self.offline_text, 1)
        banner.addWidget(self.retry_button)
        self.offline_banner.hide()

        right = QVBoxLayout()
        right.setContentsMargins(10, 8, 10, 4)
        right.addWidget(self.stack, 1)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(side_panel)
        body.addLayout(right, 1)
        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.offline_banner)
        outer.addLayout(body, 1)
        self.setCentralWidget(central)

        self.sync_status = SyncStatus(ctx.language, self, zone=ctx.zone)
        self.connection = ConnectionStatus(ctx, self.sync.monitor, self)
        self.user_label = QLabel(self)
        self.user_label.setObjectName("userLabel")
        self.sign_out_button = QPushButton(self)
        self.sign_out_button.setObjectName("signOutButton")
        self.sign_out_button.setFlat(True)
        self.sign_out_button.clicked.connect(self.sign_out_requested)
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        bar.addWidget(self.sync_status, 1)
        bar.addPermanentWidget(self.connection)
        bar.addPermanentWidget(self.user_label)
        bar.addPermanentWidget(self.sign_out_button)

        self._connect()
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self._find)
        QShortcut(QKeySequence.StandardKey.Refresh, self, activated=self.start_sync)
        ctx.language.changed.connect(self.retranslate)
        if ctx.settings.last_sync:
            try:
                self.sync_status.show_last_sync(dt.datetime.fromisoformat(ctx.settings.last_sync))
            except ValueError:
                pass
        self.resize(1280, 780)
        if ctx.settings.window_geometry:
            try:
                self.restoreGeometry(QByteArray.fromHex(ctx.settings.window_geometry.encode("ascii")))
            except (UnicodeEncodeError, ValueError):
                pass
        self.show_screen("today")
        self.retranslate()

    def _connect(self) -> None:
        self.today.case_activated.connect(self.open_case)
        self.today.loaded.connect(lambda _plan: self._update_badges())
        sync = self.sync
        sync.started.connect(self._on_sync_started)
        sync.progress.connect(self.sync_status.report)
        sync.synced.connect(self._on_synced)
        sync.failed.connect(self._on_sync_failed)
        sync.finished.connect(self._on_sync_over)
        sync.offline_changed.connect(self._on_offline_changed)

    # ------------------------------------------------------------------ screens, built when first needed
    def _screen(self, key: str) -> Any:
        screen = self.screens.get(key)
        if screen is not None:
            return screen
        ctx = self._ctx
        if key == "cases":
            from fieldapp.ui.screens.cases import CasesScreen

            screen = CasesScreen(ctx.language, self, model=self.model)
            screen.case_activated.connect(self.open_case)
        elif key == "outbox":
            from fieldapp.ui.screens.outbox import OutboxScreen

            screen = OutboxScreen(ctx, self, model=self.outbox_model)
            screen.case_activated.connect(self.open_case)
            screen.sync_requested.connect(self.start_sync)
            screen.changed.connect(self._update_badges)
            screen.set_syncing(self.sync.running)
        elif key == "detail":
            from fieldapp.ui.screens.case_detail import CaseDetailScreen

            screen = CaseDetailScreen(ctx, self)
            screen.back_requested.connect(lambda: self.show_screen(self._return_to))
            screen.start_visit.connect(self.visit_requested)
            screen.sync_requested.connect(self.start_sync)
        elif key == "practice":
            from fieldapp.ui.screens.practice import PracticeScreen

            screen = PracticeScreen(ctx, self)
            screen.recorded.connect(lambda _item: (self.reload_cases(), self.reload_outbox(), self.sync.again_after()))
        elif key == "visit":
            from fieldapp.ui.screens.visit_screen import VisitScreen

            screen = VisitScreen(ctx, self)
            screen.leave_requested.connect(self.open_case)
            screen.recorded.connect(self._on_visit_recorded)
            screen.draft_saved.connect(self.model.mark_draft)
        else:
            raise KeyError(key)
        self.screens[key] = screen
        self.stack.addWidget(screen)
        return screen

    @property
    def cases(self) -> "CasesScreen":
        return self._screen("cases")

    @property
    def outbox(self) -> "OutboxScreen":
        return self._screen("outbox")

    @property
    def detail(self) -> "CaseDetailScreen":
        return self._screen("detail")

    @property
    def visit(self) -> "VisitScreen":
        return self._screen("visit")

    def built(self, key: str) -> bool:
        return key in self.screens

    # ------------------------------------------------------------------ the cases screen's parts
    @property
    def table(self):  # noqa: ANN201 - QTableView
        return self.cases.table

    @property
    def search(self):  # noqa: ANN201 - QLineEdit
        return self.cases.search

    @property
    def count_label(self) -> QLabel:
        return self.cases.count_label

    def apply_search(self) -> None:
        self.cases.apply_search()

    # ------------------------------------------------------------------ navigation
    def current_screen(self) -> str:
        if self.stack.currentWidget() is self.signed_out_page:
            return "signed_out"
        for key, screen in list(self.screens.items()):
            if screen is self.stack.currentWidget():
                return key
        return "today"

    def show_screen(self, key: str) -> None:
        if key == "visit" and (not self.built("visit") or self.visit.flow is None):
            key = "today"
        if key in SCREENS:
            self._return_to = key
        self.stack.setCurrentWidget(self._screen(key))
        self.sidebar.select(key if key in SCREENS else self._return_to)
        if key == "cases":
            self.cases.search.setFocus()
        elif key == "practice":
            self._screen("practice").reload()

    def open_case(self, case_id: str) -> None:
        """The case detail of `case_id`; Back returns to the screen it was opened from."""
        visit = self.screens.get("visit")
        # "Resume" only for a visit that has started (and so is kept as a draft, which the case
        # list's Drafts view shows too); one still at its first step simply opens again.
        self.detail.visit_in_progress = (visit is not None and visit.active and visit.case_id == case_id
                                         and visit.flow.state.started_at is not None)
        self.detail.open_case(case_id, self.model.find(case_id))
        self.show_screen("detail")
        if self.built("cases"):
            self.cases.select_case(case_id)
        emit(self.case_activated, case_id)

    def show_visit(self) -> None:
        self.show_screen("visit")

    def _find(self) -> None:
        self.show_screen("cases")
        self.cases.search.setFocus()
        self.cases.search.selectAll()

    # ------------------------------------------------------------------ data
    def set_user(self, name: str) -> None:
        self._user = name
        if name and self.stack.currentWidget() is self.signed_out_page:
            self._set_signed_out(False)
            self.show_screen("today")
        self.retranslate()

    def reload_cases(self) -> None:
        """Read the case list (database worker), then the day built on it."""
        if self._ctx.service is None:
            return
        (self._ctx.tasks.db(self._ctx.service.list_cases, label="list_cases")
         .with_parent(self)
         .success(self._on_cases)
         .failure(self.sync_status.failed)
         .start())

    def reload_outbox(self, *, select: str | None = None) -> None:
        """Read the outbox (database worker) for its screen and the sidebar's badge."""
        if self.built("outbox"):
            self.outbox.reload(select=select)
        elif self._ctx.service is not None:
            (self._ctx.tasks.db(self._ctx.service.outbox, label="outbox")
             .with_parent(self)
             .success(lambda rows: (self.outbox_model.set_rows(rows), self._update_badges()))
             .start())

    def refresh_all(self) -> None:
        self.reload_cases()
        self.reload_outbox()
        if self.current_screen() == "detail":
            self.detail.reload()

    def clear(self) -> None:
        """Forget what is shown and show no screen (signed out): nothing of the previous
        user stays on screen behind the sign-in."""
        self.model.set_rows([])
        self.outbox_model.set_rows([])
        self.today.clear()
        if self.built("visit"):
            self.visit.close_flow()
        if self.built("detail"):
            self.detail.clear()
        if self.built("outbox"):
            self.outbox.set_rows([])
        self.sync.monitor.reset()
        self._update_badges()
        self.show_screen("today")
        self._set_signed_out(True)
        self.sync_status.show_message(lambda: self._lang.tr("Signed out."))

    def _set_signed_out(self, signed_out: bool) -> None:
        if signed_out:
            self.stack.setCurrentWidget(self.signed_out_page)
            self.sidebar.select(None)
        for widget in (self.sidebar, self.sync_button):
            widget.setEnabled(not signed_out)
        self.retranslate()

    def _on_cases(self, rows: Any) -> None:
        if self.built("cases"):
            self.cases.set_rows(rows)  # keeps the selected case selected
        else:
            self.model.set_rows(rows)
        self.today.reload()

    def _update_badges(self) -> None:
        tasks = len(self.today.plan.tasks) if self.today.plan is not None else 0
        self.sidebar.set_badge("today", tasks, "#f9a825")
        counts = self.outbox_model.counts()
        rejected, unsent = counts["rejected"] + counts["quarantined"], counts["waiting"] + counts["sending"]
        self.sidebar.set_badge("outbox", rejected or unsent, "#c62828" if rejected else "#5f6368")
        self.sidebar.viewport().update()
        self._retranslate_sidebar()
        self.sync.monitor.set_pending(unsent)

    def _on_visit_recorded(self, case_id: str, item_id: str) -> None:
        self.reload_cases()
        self.show_screen("outbox")
        self.outbox.reload(select=item_id)
        if self.sync_after_visit or self.sync.running:
            self.sync.again_after()

    # ------------------------------------------------------------------ sync
    @property
    def syncing(self) -> bool:
        return self.sync.running

    def start_sync(self) -> None:
        self.sync.start()

    def _on_sync_started(self, _automatic: bool) -> None:
        self.sync_button.setEnabled(False)
        if self.built("outbox"):
            self.outbox.set_syncing(True)
        self.sync_status.started()

    def _on_synced(self, summary: Any) -> None:
        when = self._ctx.clock()
        self._ctx.settings.last_sync = when.isoformat()
        try:
            self._ctx.save_settings()
        except OSError:
            pass
        self.sync_status.finished(summary, when)
        offset = getattr(summary, "clock_offset_s", None)
        if offset is not None and hasattr(self._ctx.clock, "offset_s"):
            self._ctx.clock.offset_s = offset  # type: ignore[attr-defined]
        self.refresh_all()

    def _on_sync_failed(self, exc: Exception) -> None:
        problem = self.sync_status.failed(exc)
        if problem.kind == "revoked":
            self.refresh_all()  # the service has wiped the store: show that it is empty
        else:
            self.reload_outbox()  # items may have changed state before the failure
        if problem.needs_login:
            emit(self.login_required)

    def _on_sync_over(self) -> None:
        self.sync_button.setEnabled(True)
        if self.built("outbox"):
            self.outbox.set_syncing(False)

    def _on_offline_changed(self, offline: bool) -> None:
        self.offline_banner.setVisible(offline)

    # ------------------------------------------------------------------ text
    def _retranslate_sidebar(self) -> None:
        tr = self._lang.tr
        for key, label in SCREENS.items():
            self.sidebar.set_text(key, tr(label), tr(SCREEN_TIPS[key]))

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.setWindowTitle(tr("Field visits — {user}", user=self._user) if self._user else tr("Field visits"))
        self._retranslate_sidebar()
        self.sync_button.setText(tr("Sync"))
        self.sync_button.setToolTip(tr("Send your visits and receive your cases (F5)"))
        self.settings_button.setText(tr("Settings"))
        self.user_label.setText(tr("Signed in as {user}", user=self._user) if self._user else "")
        self.sign_out_button.setText(tr("Sign out"))
        self.sign_out_button.setVisible(bool(self._user))
        self.offline_text.setText(tr("Offline: the server cannot be reached. Your work is kept on this laptop "
                                     "and sent by itself when the server is back."))
        self.retry_button.setText(tr("Try now"))
        self.signed_out_page.setText(tr("Signed out. Sign in to see your visits."))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.sync.stop()
        self._ctx.settings.window_geometry = bytes(self.saveGeometry().toHex()).decode("ascii")
        try:
            self._ctx.save_settings()
        except OSError:
            pass  # a read-only config folder must not keep the window open
        super().closeEvent(event)
