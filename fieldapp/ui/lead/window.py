"""The team lead's window: the review queue, a visit's evidence with the decision, the team
figures; sync (decisions out through the outbox, the queue in) and the language.

It wires the screens to the `LeadService` through the task runner only; a decision is
recorded on the laptop first (it works offline) and sent with the next sync, which it
starts at once.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.context import AppContext
from fieldapp.ui.errors import describe
from fieldapp.ui.formatting import time_text
from fieldapp.ui.i18n import N_
from fieldapp.ui.lead.complaints import ComplaintsScreen
from fieldapp.ui.lead.decision_dialog import DecisionDialog
from fieldapp.ui.lead.evidence import EvidenceScreen
from fieldapp.ui.lead.figures import FiguresScreen, SavePath, ask_save_path
from fieldapp.ui.lead.practice import PracticeTable
from fieldapp.ui.lead.queue import QueueScreen
from fieldapp.ui.lead.service import LeadServiceLike
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.sync_controller import PROBE_INTERVAL_MS, ConnectionMonitor, count_unsent
from fieldapp.ui.widgets.connection import ConnectionStatus
from fieldapp.ui.widgets.language import LanguageCombo
from fieldapp.ui.widgets.sidebar import Sidebar

SCREENS = {"queue": N_("Review queue"), "complaints": N_("Complaints"), "figures": N_("Team figures"),
           "practice": N_("Practice")}
TIPS = {"queue": N_("The team's visits, to approve, return or escalate"),
        "complaints": N_("Customers' complaints to answer, and notices that need a person"),
        "figures": N_("Visits, contacts, promises and agreements per agent"),
        "practice": N_("Who has practised the current conversation scripts")}


class LeadWindow(QMainWindow):
    sign_out_requested = Signal()
    login_required = Signal()
    synced = Signal(object)

    def __init__(self, ctx: AppContext, service: LeadServiceLike, parent: QWidget | None = None, *,
                 save_path: SavePath = ask_save_path, probe_interval_ms: int = PROBE_INTERVAL_MS) -> None:
        super().__init__(parent)
        self.setObjectName("leadWindow")
        self._ctx, self._service, self._lang = ctx, service, ctx.language
        self._user = ctx.user.display_name or ctx.user.username
        self._status: tuple[str, dict[str, Any]] = (N_("Not synced yet."), {})
        self.syncing = False
        self.offline = False
        self.dialog: DecisionDialog | None = None

        self.sidebar = Sidebar(self)
        for key in SCREENS:
            self.sidebar.add(key)
        self.sidebar.chosen.connect(self.show_screen)
        self.sync_button = QPushButton(self)
        self.sync_button.setObjectName("leadSync")
        self.sync_button.setMinimumHeight(36)
        self.sync_button.clicked.connect(self.start_sync)
        self.language_combo = LanguageCombo(ctx.language, self)
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.sidebar, 1)
        side.addWidget(self.sync_button)
        side.addWidget(self.language_combo)
        side_panel = QWidget(self)
        side_panel.setObjectName("sidePanel")
        side_panel.setLayout(side)
        side_panel.setFixedWidth(200)

        self.queue = QueueScreen(ctx, service, self)
        self.evidence = EvidenceScreen(ctx, service, self)
        self.figures = FiguresScreen(ctx, service, self, save_path=save_path)
        self.practice = PracticeTable(ctx, service, self)
        self.complaints = ComplaintsScreen(ctx, service, self)
        self.stack = QStackedWidget(self)
        self.screens: dict[str, QWidget] = {"queue": self.queue, "evidence": self.evidence,
                                            "figures": self.figures, "complaints": self.complaints,
                                            "practice": self.practice}
        for screen in self.screens.values():
            self.stack.addWidget(screen)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(side_panel)
        body.addWidget(self.stack, 1)
        central = QWidget(self)
        central.setLayout(body)
        self.setCentralWidget(central)

        self.status_text = QLabel(self)
        self.status_text.setObjectName("leadSyncStatus")
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(140)
        self.progress.hide()
        self.user_label = QLabel(self)
        self.sign_out_button = QPushButton(self)
        self.sign_out_button.setObjectName("leadSignOut")
        self.sign_out_button.setFlat(True)
        self.sign_out_button.clicked.connect(self.sign_out_requested)
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        bar.addWidget(self.status_text, 1)
        bar.addWidget(self.progress)
        monitor = ConnectionMonitor(ctx, self, interval_ms=probe_interval_ms, pending=lambda: count_unsent(service))
        self.connection = ConnectionStatus(ctx, monitor, self)   # probed while signed in (the app starts it)
        bar.addPermanentWidget(self.connection)
        bar.addPermanentWidget(self.user_label)
        bar.addPermanentWidget(self.sign_out_button)

        self.queue.visit_activated.connect(self.open_visit)
        self.queue.loaded.connect(lambda _n: self._update_badge())
        self.evidence.back_requested.connect(lambda: self.show_screen("queue"))
        self.evidence.decision_requested.connect(self.ask_decision)
        QShortcut(QKeySequence.StandardKey.Refresh, self, activated=self.start_sync)
        ctx.language.changed.connect(self.retranslate)
        self.resize(1280, 800)
        if ctx.settings.window_geometry:
            try:
                self.restoreGeometry(QByteArray.fromHex(ctx.settings.window_geometry.encode("ascii")))
            except (UnicodeEncodeError, ValueError):
                pass
        self.show_screen("queue")
        self.retranslate()

    # ------------------------------------------------------------------ navigation
    def current_screen(self) -> str:
        return next((k for k, w in self.screens.items() if w is self.stack.currentWidget()), "queue")

    def show_screen(self, key: str) -> None:
        self.stack.setCurrentWidget(self.screens[key])
        self.sidebar.select(key if key in SCREENS else "queue")
        if key == "figures" and not self.figures.loaded_once:
            self.figures.show_cached()
        if key == "practice":
            self.practice.load()
        if key == "complaints":
            self.complaints.load()

    def open_visit(self, visit_id: str) -> None:
        from fieldapp.conduct import warm_up  # the comment check's segmenter, before a decision

        self._ctx.tasks.net(warm_up, label="conduct_warm_up").with_parent(self).start()
        self.evidence.open_visit(visit_id)
        self.show_screen("evidence")

    def set_user(self, name: str) -> None:
        self._user = name
        self.retranslate()

    def refresh(self) -> None:
        self.queue.reload(select=self.evidence.visit_id)
        if self.current_screen() == "evidence" and self.evidence.visit_id:
            self.evidence.open_visit(self.evidence.visit_id)

    # ------------------------------------------------------------------ decisions
    def ask_decision(self, visit_id: str, decision: str) -> DecisionDialog:
        ev = self.evidence.evidence

        def summary(tr: Any) -> str:
            if ev is None:
                return ""
            return tr("{customer} · case {reference} · {agent}", customer=ev.item.case.customer_name,
                      reference=ev.item.case.reference, agent=ev.item.agent.display_name)

        dialog = DecisionDialog(self._lang, decision, summary, self)
        self.dialog = dialog

        def done(result: int) -> None:
            self.dialog = None
            dialog.deleteLater()
            if result == DecisionDialog.DialogCode.Accepted:
                self.decide(visit_id, decision, dialog.stored_text())

        dialog.finished.connect(done)
        dialog.open()
        return dialog

    def decide(self, visit_id: str, decision: str, comment: str) -> None:
        (self._ctx.tasks.db(self._service.decide, visit_id, decision, comment, label="lead_decide")
         .with_parent(self)
         .success(lambda _item: self._decided())
         .failure(lambda exc: self._set_status("{problem}", problem=describe(exc, self._lang).message))
         .start())

    def _decided(self) -> None:
        self._set_status(N_("Decision recorded; it is sent with the next sync."))
        self.refresh()
        if not self.offline:
            self.start_sync()

    # ------------------------------------------------------------------ sync
    def start_sync(self) -> None:
        if self.syncing:
            return
        self.syncing = True
        self.sync_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self._set_status(N_("Syncing…"))
        (self._ctx.tasks.net(self._service.sync, label="lead_sync")
         .with_parent(self)
         .with_progress(lambda phase, done, total: None)
         .success(self._on_synced)
         .failure(self._on_sync_failed)
         .finally_(self._sync_over)
         .start())

    def _on_synced(self, summary: Any) -> None:
        self.offline = False
        refused = len(getattr(summary, "rejected", []) or [])
        queue = getattr(summary, "queue", None)
        self.connection.monitor.contact()
        values = {"time": time_text(self._ctx.clock(), self._ctx.zone()), "items": getattr(queue, "items", 0)}
        if refused:
            self._set_status(N_("Synced at {time}: {items} visits updated; {refused} decisions refused "
                                "(see the visits)."), refused=refused, **values)
        else:
            self._set_status(N_("Synced at {time}: {items} visits updated."), **values)
        offset = getattr(summary, "clock_offset_s", None)
        if offset is not None and hasattr(self._ctx.clock, "offset_s"):
            self._ctx.clock.offset_s = offset  # type: ignore[attr-defined]
        self.refresh()
        emit(self.synced, summary)

    def _on_sync_failed(self, exc: Exception) -> None:
        problem = describe(exc, self._lang)
        self.offline = problem.offline
        self.connection.monitor.failed(exc)
        self._set_status("{problem}", problem=problem.message)
        self.refresh()  # a decision may have changed state before the failure
        if problem.needs_login:
            emit(self.login_required)

    def _sync_over(self) -> None:
        self.syncing = False
        self.sync_button.setEnabled(True)
        self.progress.hide()

    def _set_status(self, message: str, **values: Any) -> None:
        self._status = (message, values)
        self.status_text.setText(self._lang.tr(message, **values) if values else self._lang.tr(message))

    def _update_badge(self) -> None:
        pending = sum(r.state == "pending" for r in self.queue.model.rows)
        self.sidebar.set_badge("queue", pending, "#1a73e8")
        self.sidebar.viewport().update()

    # ------------------------------------------------------------------ text
    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.setWindowTitle(tr("Team review — {user}", user=self._user) if self._user else tr("Team review"))
        for key, label in SCREENS.items():
            self.sidebar.set_text(key, tr(label), tr(TIPS[key]))
        self.sync_button.setText(tr("Sync"))
        self.sync_button.setToolTip(tr("Send your decisions and receive the team's visits (F5)"))
        self.user_label.setText(tr("Signed in as {user}", user=self._user) if self._user else "")
        self.sign_out_button.setText(tr("Sign out"))
        message, values = self._status
        self._set_status(message, **values)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._ctx.settings.window_geometry = bytes(self.saveGeometry().toHex()).decode("ascii")
        try:
            self._ctx.save_settings()
        except OSError:
            pass
        super().closeEvent(event)
