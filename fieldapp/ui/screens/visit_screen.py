"""The screen that hosts a visit: the guided flow (`fieldapp.ui.visit.flow.VisitFlow`) and
what the app does around it.

- Every step change is saved as the case's draft (database worker, in order), so a visit
  cut short by a crash, sleep or a closed lid resumes at the same step when the case is
  opened again.
- The finished visit goes to the outbox with its attachments in one transaction
  (`record_visit`, which also removes the draft); if that fails the draft stays and the
  agent can try again.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from fieldapp.core.errors import BadInput
from fieldapp.ui.case_data import VisitStart
from fieldapp.ui.context import AppContext
from fieldapp.ui.formatting import clock_text, in_zone, time_text
from fieldapp.ui.i18n import N_
from fieldapp.ui.qt_compat import emit

log = logging.getLogger(__name__)

MUTED, BLOCK, PASS = "#5f6368", "#c62828", "#2e7d32"


class VisitScreen(QWidget):
    recorded = Signal(str, str)      # case id, outbox item id
    draft_saved = Signal(str)        # case id: the visit is kept as a draft
    leave_requested = Signal(str)    # case id

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("visitScreen")
        self._ctx = ctx
        self._lang = ctx.language
        self.flow: Any = None           # the VisitFlow
        self.start_info: VisitStart | None = None
        self._saved_at: Any = None
        self._status: tuple[str, dict[str, Any], str] | None = None
        self._pending: tuple[Any, dict[str, bytes]] | None = None
        self.recorded_item: str | None = None

        self.leave_button = QPushButton(self)
        self.leave_button.setObjectName("leaveVisit")
        self.leave_button.clicked.connect(self._leave)
        self.heading = QLabel(self)
        self.heading.setObjectName("visitHeading")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.status = QLabel(self)
        self.status.setObjectName("visitSaveStatus")
        self.status.setWordWrap(True)
        self.retry_button = QPushButton(self)
        self.retry_button.setObjectName("retryRecord")
        self.retry_button.clicked.connect(self._record_pending)
        self.retry_button.hide()
        head = QHBoxLayout()
        head.addWidget(self.leave_button)
        head.addWidget(self.heading, 1)
        # The whole stretch, text aligned right: a wrapped label given only its size hint
        # would break even a short sentence over two clipped lines.
        self.status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(self.status, 1)
        head.addWidget(self.retry_button)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addLayout(head)
        self._lang.changed.connect(self.retranslate)
        self.retranslate()

    # ------------------------------------------------------------------ public
    @property
    def case_id(self) -> str | None:
        return None if self.start_info is None else self.start_info.setup.case.id

    @property
    def active(self) -> bool:
        """A visit is open and not yet in the outbox."""
        return self.flow is not None and self.recorded_item is None

    def open(self, start: VisitStart) -> None:
        """Show the flow for `start`: resumed from its draft when there is one."""
        from fieldapp.ui.visit.checkin import default_position_source
        from fieldapp.ui.visit.flow import VisitFlow

        self.close_flow()
        self.start_info = start
        self.recorded_item = None
        self._status = None
        kwargs = {"on_done": self._on_done,
                  "source_factory": self._ctx.position_source or default_position_source}
        flow = None
        if start.draft is not None:
            try:
                flow = VisitFlow.resume(start.setup, self._lang, start.draft, self, **kwargs)
                self._status = (N_("Resumed the visit saved {when}."),
                                {"when": time_text(start.draft_saved_at, self._visit_zone())}, MUTED)
            except BadInput as exc:
                # A damaged draft must not lock the agent out: start afresh, say so (the new
                # visit's first step overwrites it).
                log.warning("a saved visit could not be resumed: %s", type(exc).__name__)
                self._status = (N_("The saved visit could not be resumed ({reason}); a new one starts."),
                                {"reason": exc.reason}, BLOCK)
        if flow is None:
            flow = VisitFlow(start.setup, self._lang, self, **kwargs)
        self.flow = flow
        flow.draft_changed.connect(self._save_draft)
        self._layout.addWidget(flow, 1)
        flow.show()
        self.retranslate()
        self._finish_interrupted()
        # The Chinese segmenter the notes check needs takes a moment to load: load it now, in
        # the background, not at the agent's first keystroke.
        from fieldapp.conduct import warm_up

        self._ctx.tasks.net(warm_up, label="conduct_warm_up").with_parent(self).start()

    def close_flow(self) -> None:
        if self.flow is not None:
            self.flow.hide()
            self._layout.removeWidget(self.flow)
            self.flow.deleteLater()
            self.flow = None
        self.start_info = None

    # ------------------------------------------------------------------ drafts and the outbox
    def _save_draft(self, state: dict[str, Any]) -> None:
        if self.recorded_item is not None or self.case_id is None:
            return
        case_id = self.case_id
        (self._ctx.tasks.db(self._ctx.service.save_draft, case_id, state, label="save_draft")
         .with_parent(self)
         .success(lambda _r: (self._saved(), emit(self.draft_saved, case_id)))
         .failure(lambda exc: self._show_failure(N_("Not saved: {reason}"), exc))
         .start())

    def _saved(self) -> None:
        if self.recorded_item is None and self._pending is None:
            self._saved_at = self._ctx.clock()
            tz = self._visit_zone()
            today = in_zone(self._ctx.clock(), tz).date()
            when = clock_text(self._saved_at, tz, today=today)
            self._status = (N_("Saved on this laptop at {time}."), {"time": when}, MUTED)
            self.retranslate()

    def _on_done(self, record: Any, files: dict[str, bytes]) -> None:
        self._pending = (record, files)
        self._record_pending()

    def _record_pending(self) -> None:
        if self._pending is None:
            return
        record, files = self._pending
        self.retry_button.hide()
        self._status = (N_("Putting the visit in the outbox…"), {}, MUTED)
        self.retranslate()
        (self._ctx.tasks.db(self._ctx.service.record_visit, record, files, label="record_visit")
         .with_parent(self)
         .success(lambda item_id: self._on_recorded(record.case_id, item_id))
         .failure(self._on_record_failed)
         .start())

    def _on_recorded(self, case_id: str, item_id: str) -> None:
        self._pending = None
        self.recorded_item = item_id
        self._status = (N_("The visit is in the outbox."), {}, PASS)
        self.retranslate()
        emit(self.recorded, case_id, item_id)

    def _on_record_failed(self, exc: Exception) -> None:
        self._show_failure(N_("The visit could not be put in the outbox: {reason}. It is kept as a draft."), exc)
        self.retry_button.show()

    def _show_failure(self, template: str, exc: Exception) -> None:
        from fieldapp.ui.errors import describe

        self._status = (template, {"reason": describe(exc, self._lang).message}, BLOCK)
        self.retranslate()

    def _finish_interrupted(self) -> None:
        """A draft saved at the last step, before the visit reached the outbox (the app was
        closed in between): build the record again and put it there now."""
        from fieldapp.ui.visit.flow_state import Step

        state = self.flow.state
        if state.step is not Step.DONE or state.result is not None:
            return
        try:
            if state.needs_agreement and state.agreement is None:
                state.render_agreement()
            state.result = state.build_record()
        except BadInput as exc:
            self._show_failure(N_("The visit could not be put in the outbox: {reason}. It is kept as a draft."), exc)
            return
        self.flow._refresh()
        self._on_done(*state.result)

    def _visit_zone(self) -> Any:
        """The zone every time on this screen is shown in: the customer's, where the visit
        happens (the signatures and the agreement use it too)."""
        if self.start_info is not None:
            return self.start_info.setup.case.customer.timezone
        return self._ctx.zone()

    def _leave(self) -> None:
        case_id = self.case_id
        if case_id is not None:
            emit(self.leave_requested, case_id)

    # ------------------------------------------------------------------ text
    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        done = self.recorded_item is not None
        self.leave_button.setText(tr("← Back to the case") if done else tr("← Leave (the visit is saved)"))
        self.retry_button.setText(tr("Try again"))
        if self.start_info is not None:
            case = self.start_info.setup.case
            heading = tr("Visit: {customer} · {reference}", customer=case.customer.name, reference=case.reference)
            if self.start_info.task is not None:
                heading += " · " + tr("corrects a returned visit")
            self.heading.setText(heading)
        else:
            self.heading.setText("")
        if self._status is None:
            self.status.setText("")
        else:
            template, values, colour = self._status
            self.status.setText(tr(template, **values))
            self.status.setStyleSheet(f"color: {colour};")

