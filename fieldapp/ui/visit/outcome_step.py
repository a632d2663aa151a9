"""Outcome and notes: what the conversation ended with, and the agent's own notes.

The outcome is said as it stands: an agreement is "to be signed" until its own steps are
done, and a visit ended by a stop is not framed as a success. The notes start with what
the agent noted during the conversation.

Notes are checked against the conduct rules as they are typed. A hit is a warning, not a
block: the agent changes the words or ticks "keep", and a kept warning goes into the visit
record (`note_warnings`) for the team lead. Personal numbers in the notes (an ID, a mobile
or a card number) are named to the agent and stored masked.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from fieldapp.core.money import Money
from fieldapp.script.model import STOP_LABELS
from fieldapp.ui.i18n import Language
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.visit.flow_state import FlowState
from fieldapp.ui.visit.script_player import outcome_label
from fieldapp.ui.visit.style import MUTED, WARN, WARN_FILL, banner, outcome_colours, scaled_font, wrapped_label


class OutcomePage(QWidget):
    changed = Signal()

    def __init__(self, language: Language, state: FlowState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outcomePage")
        self._lang = language
        self._state = state
        self.outcome_title = QLabel(self)
        self.outcome = wrapped_label(self, "outcomeValue", factor=1.4, bold=True)
        self.details = wrapped_label(self, "outcomeDetails", factor=1.1)
        self.next_hint = wrapped_label(self, "outcomeNext", colour=MUTED)
        self.notes_title = QLabel(self)
        self.notes_title.setFont(scaled_font(self, 1.1, bold=True))
        self.notes = QPlainTextEdit(self)
        self.notes.setObjectName("visitNotes")
        self.notes.setMinimumHeight(140)
        self.warning = wrapped_label(self, "notesWarning")
        self.keep = QCheckBox(self)
        self.keep.setObjectName("keepNotes")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.outcome_title, self.outcome, self.details, self.next_hint, self.notes_title,
                       self.notes, self.warning, self.keep):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.notes.textChanged.connect(self._edited)
        self.keep.toggled.connect(self._kept)
        language.changed.connect(self.retranslate)
        self.retranslate()

    def load(self) -> None:
        """Show the state as it is (on entering the step, or after a resume)."""
        self.notes.blockSignals(True)
        self.notes.setPlainText(self._state.notes)
        self.notes.blockSignals(False)
        self.keep.blockSignals(True)
        self.keep.setChecked(self._state.notes_confirmed)
        self.keep.blockSignals(False)
        self.retranslate()

    def _edited(self) -> None:
        self._state.set_notes(self.notes.toPlainText())
        self.keep.blockSignals(True)
        self.keep.setChecked(self._state.notes_confirmed)
        self.keep.blockSignals(False)
        self.retranslate()
        emit(self.changed)

    def _kept(self, on: bool) -> None:
        self._state.confirm_notes(on)
        emit(self.changed)

    def retranslate(self, *_: object) -> None:
        tr, state = self._lang.tr, self._state
        rt = state.runtime
        self.outcome_title.setText(tr("Outcome"))
        self.notes_title.setText(tr("Notes for the visit record"))
        self.notes.setPlaceholderText(tr("What happened, in plain and respectful words"))
        self.keep.setText(tr("Keep this wording (it is recorded and shown to the team lead)"))
        outcome = rt.outcome.value if rt is not None and rt.outcome else None
        self.outcome.setText(outcome_label(outcome, tr, pending=True) if outcome else tr("Not finished"))
        banner(self.outcome, *outcome_colours(outcome))
        lines = []
        if rt is not None and rt.finished:
            part = rt.record()
            lines.append(tr("Contact with the customer: {answer}",
                            answer=tr("yes") if part["contact_made"] else tr("no")))
            if rt.stopped:
                lines.append(tr("The conversation was stopped: {reason}", reason=tr(STOP_LABELS[rt.stopped])))
            promise = part["promise"]
            if promise:
                amount = str(Money(Decimal(promise["amount"]), promise["currency"]))
                lines.append(tr("Promise to pay {amount} by {date}", amount=amount, date=promise["due_date"]))
        self.details.setText("\n".join(lines))
        self.details.setVisible(bool(lines))
        self.next_hint.setText(tr("Next: the repayment plan, both signatures and the agreement.")
                               if state.needs_agreement else tr("Next: finish and save the visit."))
        hits, numbers = state.note_hits, state.note_numbers
        lines = [w.message(tr) for w in hits]
        if hits:
            lines.append(tr("Change the wording, or tick the box below to keep it."))
        if numbers:
            lines.append(tr("Personal numbers are not kept in notes: {numbers}.",
                            numbers=("；" if self._lang.code == "zh_CN" else "; ").join(n.message(tr) for n in numbers)))
        if lines:
            self.warning.setText("\n".join(lines))
            banner(self.warning, WARN_FILL, WARN)
        self.warning.setVisible(bool(lines))
        self.keep.setVisible(bool(hits))
