"""The guided visit: one page per step over `FlowState`, which decides everything.

This widget only shows the current step's page, passes the agent's input to the state,
and enables "Continue" when the state says the step is complete (its reason is shown
next to the button otherwise). The step counter gives the total only once it is known
(after the conversation: an agreement adds its steps), so it never changes under the
agent; while the visit waits at step 1 (too early) the page looks at the clock again by
itself. There is no other way between pages, so no step can be
skipped. After every step change (and every answer in the conversation) the serialised
state is emitted as `draft_changed`, for the app to keep as the case's draft; at the end
the `VisitRecord` and its attachments go to `on_done` (the app puts them in the outbox).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from fieldapp.core.errors import BadInput
from fieldapp.policy import Decision
from fieldapp.protocol.v1 import Location, VisitRecord
from fieldapp.ui.i18n import Language
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.visit.checkin import DEFAULT_TIMEOUT_MS, CheckInStep, SourceFactory, default_position_source
from fieldapp.ui.visit.flow_state import FlowState, Step
from fieldapp.ui.visit.outcome_step import OutcomePage
from fieldapp.ui.visit.pdf_preview import PdfPreview
from fieldapp.ui.visit.plan_builder import PlanBuilder
from fieldapp.ui.visit.precheck import PrecheckPage
from fieldapp.ui.visit.read_step import ReadDraftPage
from fieldapp.ui.visit.script_player import ScriptPlayer, outcome_label
from fieldapp.ui.visit.setup import VisitSetup
from fieldapp.ui.visit.sign_step import SignPage
from fieldapp.ui.visit.style import BLOCK, MUTED, PASS, banner, big_button, outcome_colours, scaled_font, wrapped_label

TIME_CHECK_MS = 15_000  # how often step 1 looks at the clock again (too early, then in time)
OnDone = Callable[[VisitRecord, dict[str, bytes]], Any]


class VisitFlow(QWidget):
    draft_changed = Signal(dict)   # FlowState.to_dict(), after every change worth resuming from
    completed = Signal(object)     # the VisitRecord, when the visit is done

    def __init__(self, setup: VisitSetup, language: Language, parent: QWidget | None = None, *,
                 on_done: OnDone | None = None, state: FlowState | None = None,
                 source_factory: SourceFactory = default_position_source,
                 position_timeout_ms: int = DEFAULT_TIMEOUT_MS, time_check_ms: int = TIME_CHECK_MS) -> None:
        super().__init__(parent)
        self.setObjectName("visitFlow")
        self._lang = language
        self._on_done = on_done
        self.state = state or FlowState(setup, language.code)
        self.state.set_language(language.code)
        language.changed.connect(self._language_changed)  # first, so pages redraw in the new language

        self.progress = QLabel(self)
        self.progress.setObjectName("stepProgress")
        self.progress.setStyleSheet(f"color: {MUTED};")
        self.step_title = QLabel(self)
        self.step_title.setObjectName("stepTitle")
        self.step_title.setFont(scaled_font(self, 1.6, bold=True))

        st = self.state
        self.pages: dict[Step, QWidget] = {
            Step.PRECHECK: PrecheckPage(language, st, self),
            Step.CHECKIN: CheckInStep(language, self._check_in, setup.case.customer.address, self,
                                      source_factory=source_factory, timeout_ms=position_timeout_ms),
            Step.SCRIPT: ScriptPlayer(language, self),
            Step.OUTCOME: OutcomePage(language, st, self),
            Step.PLAN: PlanBuilder(language, self),
            Step.READ_DRAFT: ReadDraftPage(language, st, self),
            Step.SIGN_CUSTOMER: SignPage(language, st, "customer", self),
            Step.SIGN_AGENT: SignPage(language, st, "agent", self),
            Step.PREVIEW: PdfPreview(language, self),
            Step.DONE: QWidget(self),
        }
        self.done_label = wrapped_label(self.pages[Step.DONE], "doneText", factor=1.3, bold=True)
        done_layout = QVBoxLayout(self.pages[Step.DONE])
        done_layout.addWidget(self.done_label)
        done_layout.addStretch(1)
        self.stack = QStackedWidget(self)
        for page in self.pages.values():
            self.stack.addWidget(page)
        self.preview_error = wrapped_label(self, "agreementError", colour=BLOCK)
        self.blocker = wrapped_label(self, "stepBlocker", colour=MUTED)
        self.back_button = QPushButton(self)
        self.back_button.setObjectName("flowBack")
        self.back_button.setMinimumHeight(48)
        self.next_button = big_button(self, "flowNext", primary=True)
        self.next_button.setMinimumWidth(240)
        self.next_button.setSizePolicy(self.back_button.sizePolicy())
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)

        footer = QHBoxLayout()
        footer.addWidget(self.back_button)
        footer.addWidget(self.blocker, 1)
        footer.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.progress)
        layout.addWidget(self.step_title)
        layout.addWidget(self.preview_error)
        layout.addWidget(self.stack, 1)
        layout.addLayout(footer)

        self.player.changed.connect(self._script_changed)
        self.player.finished.connect(lambda _outcome: self._refresh())
        self.pages[Step.OUTCOME].changed.connect(self._refresh)
        self.plan_builder.changed.connect(self._plan_changed)
        for step in (Step.SIGN_CUSTOMER, Step.SIGN_AGENT):
            self.pages[step].changed.connect(self._refresh)
        self.read_page.changed.connect(self._script_changed)
        self.checkin.checked_in.connect(self._save)
        self.player.set_identity_tail(setup.case.customer.id_tail)
        self._time_check = QTimer(self)
        self._time_check.setInterval(time_check_ms)
        self._time_check.timeout.connect(self._check_time)
        self.setMinimumSize(900, 640)
        self._enter()

    @classmethod
    def resume(cls, setup: VisitSetup, language: Language, saved: str | dict[str, Any],
               parent: QWidget | None = None, **kwargs: Any) -> "VisitFlow":
        """The flow at the step a saved draft was at (BadInput for a damaged or foreign draft)."""
        return cls(setup, language, parent, state=FlowState.from_json(setup, saved, language.code), **kwargs)

    # ------------------------------------------------------------------ pages by name
    @property
    def player(self) -> ScriptPlayer:
        return self.pages[Step.SCRIPT]  # type: ignore[return-value]

    @property
    def checkin(self) -> CheckInStep:
        return self.pages[Step.CHECKIN]  # type: ignore[return-value]

    @property
    def plan_builder(self) -> PlanBuilder:
        return self.pages[Step.PLAN]  # type: ignore[return-value]

    @property
    def read_page(self) -> ReadDraftPage:
        return self.pages[Step.READ_DRAFT]  # type: ignore[return-value]

    @property
    def preview(self) -> PdfPreview:
        return self.pages[Step.PREVIEW]  # type: ignore[return-value]

    def sign_page(self, role: str) -> SignPage:
        return self.pages[Step.SIGN_CUSTOMER if role == "customer" else Step.SIGN_AGENT]  # type: ignore[return-value]

    # ------------------------------------------------------------------ navigation
    def go_next(self) -> None:
        state = self.state
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            step = state.advance()
        except BadInput as exc:
            self.blocker.setText(exc.reason)
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self._enter()
        self._save()
        if step is Step.DONE and state.result is not None:
            record, files = state.result
            if self._on_done is not None:
                self._on_done(record, files)
            emit(self.completed, record)

    def go_back(self) -> None:
        try:
            self.state.back()
        except BadInput as exc:
            self.blocker.setText(exc.reason)
            return
        self._enter()
        self._save()

    def _enter(self) -> None:
        """Show the current step's page, filled from the state."""
        state, step = self.state, self.state.step
        setup = state.setup
        if step is Step.CHECKIN:
            if state.checkin is None and self.checkin.decision is None:
                self.checkin.start()
            else:
                self.checkin.show_decision(state.checkin, located=state.location is not None)
        elif step is Step.SCRIPT and self.player.runtime is not state.runtime:
            self.player.set_runtime(state.runtime)
        elif step is Step.SCRIPT:
            self.player.refresh()
        elif step is Step.OUTCOME:
            self.pages[Step.OUTCOME].load()  # type: ignore[attr-defined]
        elif step is Step.PLAN:
            rt = state.runtime
            self.plan_builder.configure(currency=setup.case.currency, amount_due=Decimal(setup.case.amount_due),
                                        agreed_on=setup.customer_today(), limits=setup.limits,
                                        request=rt.plan_request if rt else None, plan=state.plan)
        elif step in (Step.READ_DRAFT, Step.SIGN_CUSTOMER, Step.SIGN_AGENT):
            self.pages[step].load()  # type: ignore[attr-defined]
        elif step is Step.PREVIEW:
            if state.agreement is not None:
                self.preview.set_pdf(state.agreement.pdf)
            else:
                self.preview.clear()
        self.stack.setCurrentWidget(self.pages[step])
        if step is Step.PRECHECK:
            self._time_check.start()
        else:
            self._time_check.stop()
        self._refresh()

    # ------------------------------------------------------------------ reactions
    def _check_in(self, location: Location | None, exception: str | None) -> Decision:
        decision = self.state.check_in(location, exception)
        self._refresh()
        return decision

    def _script_changed(self) -> None:
        self._refresh()
        self._save()

    def _plan_changed(self) -> None:
        plan = self.plan_builder.plan()
        if plan is None:
            self.state.clear_plan()
        else:
            try:
                self.state.set_plan(plan)
            except BadInput:
                self.state.clear_plan()
        self._refresh()

    def _check_time(self) -> None:
        """Step 1 again, by the clock: a visit that was too early may start now."""
        if self.state.step is Step.PRECHECK:
            self.pages[Step.PRECHECK].retranslate()  # type: ignore[attr-defined]
            self._refresh()

    def _save(self) -> None:
        emit(self.draft_changed, self.state.to_dict())

    def _language_changed(self, code: str) -> None:
        self.state.set_language(code)
        self._refresh()

    def _refresh(self) -> None:
        tr, state, step = self._lang.tr, self.state, self.state.step
        steps = [s for s in state.steps if s is not Step.DONE]
        if step is Step.DONE:
            self.progress.setText(tr("All steps done"))
        elif state.steps_known:
            self.progress.setText(tr("Step {number} of {total}", number=steps.index(step) + 1, total=len(steps)))
        else:  # an agreement may add steps: no total that would change later
            self.progress.setText(tr("Step {number}", number=steps.index(step) + 1))
        self.step_title.setText(state.title())
        reason = state.blocker()
        shown = reason
        if reason and step is Step.PRECHECK:
            timing = state.time_problem()
            shown = timing if timing and len(state.start_problems()) == 1 else \
                tr("This visit cannot start; the reasons are shown above.")
        self.blocker.setText("" if step is Step.DONE else (shown or tr("Ready to continue.")))
        self.blocker.setStyleSheet(f"color: {MUTED if reason else PASS};")
        self.next_button.setEnabled(reason is None)
        self.next_button.setVisible(step is not Step.DONE)
        self.next_button.setText(tr("Start the visit") if step is Step.PRECHECK else
                                 tr("Confirm and finish") if step is Step.PREVIEW else
                                 tr("Finish the visit") if step is Step.OUTCOME and not state.needs_agreement
                                 else tr("Continue"))
        self.back_button.setText(tr("Back"))
        self.back_button.setVisible(state.can_go_back())
        self.preview_error.setVisible(step is Step.PREVIEW and state.agreement is None)
        self.preview_error.setText(reason or "")
        done = self.done_label
        if step is Step.DONE and state.result is not None:
            record = state.result[0]
            done.setText(tr("The visit is complete. Outcome: {outcome}.", outcome=outcome_label(record.outcome, tr))
                         + "\n" + tr("It is kept on this laptop and sent at the next sync."))
            banner(done, *outcome_colours(record.outcome))
