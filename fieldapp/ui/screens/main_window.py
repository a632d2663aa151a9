"""The agent's main window: a sidebar (Today / Cases / Outbox), the screen chosen, the case
detail and the visit opened from them, an offline banner, and the sync status.

It wires the screens together and to the sync controller; every store and network call
goes through the task runner. The screens' own modules say what they show.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

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

from fieldapp.core.timeutil import utcnow
from fieldapp.ui.context import AppContext, SignedInUser
from fieldapp.ui.i18n import N_
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.screens.case_detail import CaseDetailScreen
from fieldapp.ui.screens.cases import CasesScreen
from fieldapp.ui.screens.outbox import OutboxScreen
from fieldapp.ui.screens.today import TodayScreen
from fieldapp.ui.screens.visit_screen import VisitScreen
from fieldapp.ui.sync_controller import PROBE_INTERVAL_MS, SyncController
from fieldapp.ui.widgets.language import LanguageCombo
from fieldapp.ui.widgets.sidebar import Sidebar
from fieldapp.ui.widgets.sync_status import SyncStatus

SCREENS = {"today": N_("Today"), "cases": N_("Cases"), "outbox": N_("Outbox")}
SCREEN_TIPS = {"today": N_("The day's visits in route order, and returned visits"),
               "cases": N_("All your cases"), "outbox": N_("What this laptop recorded, and whether it was sent")}


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

        self.cases = CasesScreen(ctx.language, self)
        self.today = TodayScreen(ctx, self, rows=self.cases.model.rows)
        self.outbox = OutboxScreen(ctx, self)
        self.detail = CaseDetailScreen(ctx, self)
        self.visit = VisitScreen(ctx, self)
        self.stack = QStackedWidget(self)
        self.screens: dict[str, QWidget] = {"today": self.today, "cases": self.cases, "outbox": self.outbox,
                                            "detail": self.detail, "visit": self.visit}
        for screen in self.screens.values():
            self.stack.addWidget(screen)

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

        self.sync_status = SyncStatus(ctx.language, self)
        self.user_label = QLabel(self)
        self.user_label.setObjectName("userLabel")
        self.sign_out_button = QPushButton(self)
        self.sign_out_button.setObjectName("signOutButton")
        self.sign_out_button.setFlat(True)
        self.sign_out_button.clicked.connect(self.sign_out_requested)
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        bar.addWidget(self.sync_status, 1)
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
        for screen in (self.today, self.cases, self.outbox):
            screen.case_activated.connect(self.open_case)
        self.detail.back_requested.connect(lambda: self.show_screen(self._return_to))
        self.detail.start_visit.connect(self.visit_requested)
        self.visit.leave_requested.connect(self.open_case)
        self.visit.recorded.connect(self._on_visit_recorded)
        self.outbox.sync_requested.connect(self.start_sync)
        self.outbox.changed.connect(self._update_badges)
        self.today.loaded.connect(lambda _plan: self._update_badges())
        sync = self.sync
        sync.started.connect(self._on_sync_started)
        sync.progress.connect(self.sync_status.report)
        sync.synced.connect(self._on_synced)
        sync.failed.connect(self._on_sync_failed)
        sync.finished.connect(self._on_sync_over)
        sync.offline_changed.connect(self._on_offline_changed)

    # ------------------------------------------------------------------ the cases screen's parts
    @property
    def model(self):  # noqa: ANN201 - CaseTableModel
        return self.cases.model

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
        for key, screen in self.screens.items():
            if screen is self.stack.currentWidget():
                return key
        return "today"

    def show_screen(self, key: str) -> None:
        if key == "visit" and self.visit.flow is None:
            key = "today"
        if key in SCREENS:
            self._return_to = key
        self.stack.setCurrentWidget(self.screens[key])
        self.sidebar.select(key if key in SCREENS else self._return_to)
        if key == "cases":
            self.cases.search.setFocus()

    def open_case(self, case_id: str) -> None:
        """The case detail of `case_id`; Back returns to the screen it was opened from."""
        self.detail.visit_in_progress = self.visit.active and self.visit.case_id == case_id
        self.detail.open_case(case_id, self.cases.model.find(case_id))
        self.show_screen("detail")
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

    def refresh_all(self) -> None:
        self.reload_cases()
        self.outbox.reload()
        if self.current_screen() == "detail":
            self.detail.reload()

    def clear(self) -> None:
        """Forget what is shown (signed out)."""
        self.cases.set_rows([])
        self.outbox.set_rows([])
        self.today.clear()
        self.visit.close_flow()
        self.show_screen("today")

    def _on_cases(self, rows: Any) -> None:
        self.cases.set_rows(rows)
        self.today.reload()

    def _update_badges(self) -> None:
        tasks = len(self.today.plan.tasks) if self.today.plan is not None else 0
        self.sidebar.set_badge("today", tasks, "#f9a825")
        rejected, unsent = self.outbox.rejected_count(), self.outbox.unsent_count()
        self.sidebar.set_badge("outbox", rejected or unsent, "#c62828" if rejected else "#5f6368")
        self.sidebar.viewport().update()
        self._retranslate_sidebar()

    def _on_visit_recorded(self, case_id: str, item_id: str) -> None:
        self.reload_cases()
        self.outbox.reload(select=item_id)
        self.show_screen("outbox")
        if self.sync.offline is False and self.sync_after_visit:
            self.start_sync()

    # ------------------------------------------------------------------ sync
    @property
    def syncing(self) -> bool:
        return self.sync.running

    def start_sync(self) -> None:
        self.sync.start()

    def _on_sync_started(self, _automatic: bool) -> None:
        self.sync_button.setEnabled(False)
        self.outbox.set_syncing(True)
        self.sync_status.started()

    def _on_synced(self, summary: Any) -> None:
        when = utcnow()
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
            self.outbox.reload()  # items may have changed state before the failure
        if problem.needs_login:
            emit(self.login_required)

    def _on_sync_over(self) -> None:
        self.sync_button.setEnabled(True)
        self.outbox.set_syncing(False)

    def _on_offline_changed(self, offline: bool) -> None:
        self.offline_banner.setVisible(offline)
        self.sync_status.set_offline(offline)

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
        self.offline_text.setText(tr("Offline: the server cannot be reached. Your work is kept on this laptop "
                                     "and sent by itself when the server is back."))
        self.retry_button.setText(tr("Try now"))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.sync.stop()
        self._ctx.settings.window_geometry = bytes(self.saveGeometry().toHex()).decode("ascii")
        try:
            self._ctx.save_settings()
        except OSError:
            pass  # a read-only config folder must not keep the window open
        super().closeEvent(event)
