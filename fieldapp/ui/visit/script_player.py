"""The conversation, one step at a time, over a `fieldapp.script.Runtime`.

The runtime decides everything (text, options, bounds, whether back is possible, where a
stop leads); this widget only maps the current node's type to controls: text to read out
with a "said it" button, one big button per option, an entry for an amount, a date, a
whole number or yes/no. Required disclosures and the identity check are marked above the
text; at the identity check the last characters of the ID number on file are shown, so
the agent has something to compare the card with. Notes, where the script allows them,
are checked for threatening or abusive wording before they are saved: the agent sees the
warning and must tick "keep" to save such words (the runtime records the warning for the
team lead). The three stops
(distressed, asked to leave, not the customer) stay visible until the end; taking one
is final, so it asks once to be sure.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QDate, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox, QDateEdit, QFrame, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QScrollArea,
    QSpinBox, QVBoxLayout, QWidget,
)

from fieldapp.core.errors import BadInput
from fieldapp.core.money import Money, minor_units
from fieldapp.core.outcomes import Outcome
from fieldapp.documents.visit_report import OUTCOME_LABELS
from fieldapp.script import Runtime, View
from fieldapp.ui.i18n import N_, Language
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.visit.style import BLOCK, MUTED, WARN, WARN_FILL, banner, big_button, outcome_colours, wrapped_label

# What an outcome is called while it is not yet true (the agreement is signed later, on its own steps).
PENDING_LABELS = {Outcome.AGREEMENT_SIGNED: N_("Repayment agreement (to be signed)")}


def outcome_label(code: str | None, tr, *, pending: bool = False) -> str:  # noqa: ANN001 - Language.tr or Translator
    """The outcome in words; `pending`: as it stands before its own steps are done."""
    try:
        outcome = Outcome(code)
    except ValueError:
        return code or ""
    if pending and outcome in PENDING_LABELS:
        return tr(PENDING_LABELS[outcome])
    return tr(OUTCOME_LABELS[outcome]) if outcome in OUTCOME_LABELS else outcome.value


class ScriptPlayer(QWidget):
    finished = Signal(str)   # the outcome code, once the conversation reaches an end
    changed = Signal()       # after every answer, back or stop (the flow saves a draft)

    def __init__(self, language: Language, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scriptPlayer")
        self._lang = language
        self._rt: Runtime | None = None
        self._shown: str | None = None
        self._pending_stop: str | None = None
        self._option_buttons: list[QPushButton] = []
        self._hits: list = []  # note warnings awaiting the agent's "keep"
        self._id_tail: str | None = None

        self.badge = wrapped_label(self, "badge", bold=True)
        self.identity_hint = wrapped_label(self, "identityHint", factor=1.3, bold=True)
        self.text = wrapped_label(self, "nodeText", factor=1.55)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = wrapped_label(self, "answerError", colour=BLOCK)
        self.say_button = big_button(self, "sayDone", primary=True)
        self.say_button.clicked.connect(lambda: self.answer(None))
        self.options_box = QWidget(self)
        self.options_layout = QVBoxLayout(self.options_box)
        self.options_layout.setContentsMargins(0, 0, 0, 0)
        self._build_inputs()
        self._build_notes()
        self.end_label = wrapped_label(self, "endLabel", factor=1.2, bold=True)

        content = QWidget(self)
        body = QVBoxLayout(content)
        body.setContentsMargins(4, 4, 4, 4)
        body.setSpacing(10)
        for widget in (self.badge, self.identity_hint, self.text, self.error, self.options_box, self.input_box,
                       self.say_button, self.notes_box, self.end_label):
            body.addWidget(widget)
        body.addStretch(1)
        self.scroll = scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)

        self.back_button = QPushButton(self)
        self.back_button.setObjectName("scriptBack")
        self.back_button.setMinimumHeight(40)
        self.back_button.clicked.connect(self.back)
        self._build_stops()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.stop_bar)
        layout.addWidget(self.confirm_bar)
        language.changed.connect(self.retranslate)
        self.retranslate()

    # ------------------------------------------------------------------ construction
    def _build_inputs(self) -> None:
        self.input_box = QWidget(self)
        row = QHBoxLayout(self.input_box)
        row.setContentsMargins(0, 0, 0, 0)
        self.money_edit = QLineEdit(self.input_box)
        self.money_edit.setObjectName("moneyInput")
        self.money_edit.setMinimumHeight(44)
        self.money_edit.returnPressed.connect(self.submit_input)
        self.currency_label = QLabel(self.input_box)
        self.date_edit = QDateEdit(self.input_box)
        self.date_edit.setObjectName("dateInput")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setMinimumHeight(44)
        self.int_spin = QSpinBox(self.input_box)
        self.int_spin.setObjectName("integerInput")
        self.int_spin.setMinimumHeight(44)
        self.yes_button = big_button(self.input_box, "answerYes")
        self.no_button = big_button(self.input_box, "answerNo")
        self.yes_button.clicked.connect(lambda: self.answer(True))
        self.no_button.clicked.connect(lambda: self.answer(False))
        self.submit_button = big_button(self.input_box, "submitInput", primary=True)
        self.submit_button.clicked.connect(self.submit_input)
        self.hint = wrapped_label(self.input_box, "inputHint", colour=MUTED)
        column = QVBoxLayout()
        line = QHBoxLayout()
        for widget in (self.money_edit, self.currency_label, self.date_edit, self.int_spin, self.yes_button,
                       self.no_button, self.submit_button):
            line.addWidget(widget)
        column.addLayout(line)
        column.addWidget(self.hint)
        row.addLayout(column)

    def _build_notes(self) -> None:
        self.notes_box = QWidget(self)
        column = QVBoxLayout(self.notes_box)
        column.setContentsMargins(0, 0, 0, 0)
        self.notes_title = QLabel(self.notes_box)
        self.notes = QPlainTextEdit(self.notes_box)
        self.notes.setObjectName("stepNotes")
        self.notes.setMaximumHeight(90)
        self.notes.textChanged.connect(self._notes_edited)
        self.note_warning = wrapped_label(self.notes_box, "noteWarning")
        self.keep_wording = QCheckBox(self.notes_box)
        self.keep_wording.setObjectName("keepWording")
        for widget in (self.notes_title, self.notes, self.note_warning, self.keep_wording):
            column.addWidget(widget)

    def _build_stops(self) -> None:
        self.stop_bar = QFrame(self)
        self.stop_bar.setObjectName("stopBar")
        self.stop_bar.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(self.stop_bar)
        row.setContentsMargins(6, 6, 6, 6)
        row.addWidget(self.back_button)
        row.addStretch(1)
        self.stop_title = QLabel(self.stop_bar)
        row.addWidget(self.stop_title)
        self.stop_buttons: dict[str, QPushButton] = {}
        for kind in ("distress", "asked_to_leave", "not_customer"):
            button = QPushButton(self.stop_bar)
            button.setObjectName(f"stop_{kind}")
            button.setMinimumHeight(40)
            button.setStyleSheet(f"QPushButton {{ color: {BLOCK}; font-weight: bold; padding: 4px 10px; }}")
            button.clicked.connect(lambda _=False, k=kind: self.ask_stop(k))
            row.addWidget(button)
            self.stop_buttons[kind] = button
        self.confirm_bar = QFrame(self)
        self.confirm_bar.setObjectName("stopConfirmBar")
        line = QHBoxLayout(self.confirm_bar)
        self.confirm_text = wrapped_label(self.confirm_bar, "stopQuestion", bold=True, colour=BLOCK)
        self.confirm_stop_button = QPushButton(self.confirm_bar)
        self.confirm_stop_button.setObjectName("confirmStop")
        self.confirm_stop_button.setMinimumHeight(40)
        self.cancel_stop_button = QPushButton(self.confirm_bar)
        self.cancel_stop_button.setObjectName("cancelStop")
        self.cancel_stop_button.setMinimumHeight(40)
        self.confirm_stop_button.clicked.connect(self.confirm_stop)
        self.cancel_stop_button.clicked.connect(self.cancel_stop)
        line.addWidget(self.confirm_text, 1)
        line.addWidget(self.confirm_stop_button)
        line.addWidget(self.cancel_stop_button)
        self.confirm_bar.hide()

    # ------------------------------------------------------------------ public
    @property
    def runtime(self) -> Runtime | None:
        return self._rt

    def set_runtime(self, runtime: Runtime | None) -> None:
        self._rt, self._shown, self._pending_stop = runtime, None, None
        if runtime is not None and self._lang.code in runtime.script.languages:
            runtime.lang = self._lang.code
        self.refresh()

    def view(self) -> View | None:
        return None if self._rt is None else self._rt.current

    def set_identity_tail(self, tail: str | None) -> None:
        """The last characters of the customer's ID number on file (shown at the identity check)."""
        self._id_tail = (tail or "").strip() or None
        self.refresh()

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        if self._rt is not None and self._lang.code in self._rt.script.languages:
            self._rt.lang = self._lang.code
        self.say_button.setText(tr("Said it — continue"))
        self.yes_button.setText(tr("Yes"))
        self.no_button.setText(tr("No"))
        self.submit_button.setText(tr("Continue"))
        self.notes_title.setText(tr("Notes (optional, in the customer's own words)"))
        self.notes.setPlaceholderText(tr("What the customer said"))
        self.keep_wording.setText(tr("Keep this wording (it is recorded and shown to the team lead)"))
        self.back_button.setText(tr("Back"))
        self.back_button.setToolTip(tr("Undo the last answer"))
        self.stop_title.setText(tr("Stop at any time:"))
        self.cancel_stop_button.setText(tr("No, go on"))
        self.confirm_stop_button.setText(tr("Yes, end the conversation"))
        self.refresh()

    def refresh(self) -> None:
        rt, tr = self._rt, self._lang.tr
        view = None if rt is None else rt.current
        changed_node = view is None or view.node != self._shown
        self._shown = None if view is None else view.node
        if changed_node:
            self.error.clear()
            self.notes.blockSignals(True)
            self.notes.clear()
            self.notes.blockSignals(False)
            self._reset_warning()
        finished = view is None or view.finished
        self.text.setText("" if view is None else view.text)
        self.text.setVisible(bool(view and view.text))
        self.error.setVisible(bool(self.error.text()))
        self._set_badge(view)
        self.say_button.setVisible(bool(view) and view.type == "say" and not finished)
        self._set_options(view if view and view.type == "ask" and not finished else None)
        self._set_input(view if view and view.type == "input" and not finished else None, changed_node)
        self.notes_box.setVisible(bool(view) and view.notes_allowed and not finished)
        self.end_label.setVisible(bool(view) and finished)
        if view is not None and finished:
            self.end_label.setText(tr("The conversation has ended. Outcome: {outcome}",
                                      outcome=outcome_label(view.outcome, tr, pending=True)))
            banner(self.end_label, *outcome_colours(view.outcome))
        self.back_button.setEnabled(bool(view) and view.can_go_back)
        stops = dict(view.stops) if view else {}
        self.stop_bar.setVisible(bool(view) and not finished)
        for kind, button in self.stop_buttons.items():
            button.setText(stops.get(kind, kind))
            button.setEnabled(kind in stops)
        if self._pending_stop is not None and self._pending_stop in stops:
            self.confirm_text.setText(tr("End the conversation now: “{reason}”? This cannot be undone.",
                                         reason=stops[self._pending_stop]))
        else:
            self._pending_stop = None
        self.confirm_bar.setVisible(self._pending_stop is not None)
        if self._hits:
            self._show_warning()

    def _set_badge(self, view: View | None) -> None:
        tr = self._lang.tr
        checking = view is not None and not view.finished and view.identity_check
        if checking:
            self.identity_hint.setText(tr("ID on file ends in: {tail}", tail=self._id_tail) if self._id_tail
                                       else tr("No ID number on file: compare the name on the card."))
        self.identity_hint.setVisible(checking)
        if view is None or view.finished:
            self.badge.hide()
            return
        if view.disclosure:
            self.badge.setText(tr("Required disclosure — read it out in full"))
            banner(self.badge, WARN_FILL, WARN)
        elif view.identity_check:
            self.badge.setText(tr("Identity check — nothing about the debt until the customer is confirmed"))
            banner(self.badge, BLOCK)
        else:
            self.badge.hide()
            return
        self.badge.show()

    def _set_options(self, view: View | None) -> None:
        wanted = [] if view is None else list(view.options)
        for button in self._option_buttons:
            self.options_layout.removeWidget(button)
            button.setParent(None)
            button.deleteLater()
        self._option_buttons = []
        for option in wanted:
            button = big_button(self.options_box, f"option_{option.id}")
            button.setText(option.text)
            button.setStyleSheet("text-align: left; padding-left: 14px;")
            button.clicked.connect(lambda _=False, value=option.id: self.answer(value))
            self.options_layout.addWidget(button)
            button.show()
            self._option_buttons.append(button)
        self.options_box.setVisible(bool(wanted))

    def _set_input(self, view: View | None, reset: bool) -> None:
        tr = self._lang.tr
        spec = None if view is None else view.input
        self.input_box.setVisible(spec is not None)
        if spec is None:
            return
        kind = spec.kind
        for widget, kinds in ((self.money_edit, ("money",)), (self.currency_label, ("money",)),
                              (self.date_edit, ("date",)), (self.int_spin, ("integer",)),
                              (self.yes_button, ("yes_no",)), (self.no_button, ("yes_no",)),
                              (self.submit_button, ("money", "date", "integer"))):
            widget.setVisible(kind in kinds)
        low, high = spec.min, spec.max
        if kind == "money":
            currency = spec.currency or ""
            self.currency_label.setText(currency)
            places = minor_units(currency) if currency else 2
            pattern = r"^\d{0,13}" + (r"(\.\d{0,%d})?$" % places if places else "$")
            self.money_edit.setValidator(QRegularExpressionValidator(QRegularExpression(pattern), self.money_edit))
            self.money_edit.setPlaceholderText(tr("Amount"))
            shown = (lambda v: str(Money(Decimal(v), currency))) if currency else str  # noqa: E731
            self.hint.setText(tr("From {min} to {max}", min=shown(low), max=shown(high)) if low and high
                              else tr("At least {min}", min=shown(low)) if low else "")
            if reset:
                self.money_edit.clear()
                self.money_edit.setFocus()
        elif kind == "date":
            lo = QDate.fromString(low, Qt.DateFormat.ISODate) if low else QDate(2000, 1, 1)
            hi = QDate.fromString(high, Qt.DateFormat.ISODate) if high else QDate(2100, 12, 31)
            self.date_edit.setDateRange(lo, hi)
            if reset:
                today = self._rt.today() if self._rt is not None else None
                self.date_edit.setDate(lo if low or today is None else QDate(today.year, today.month, today.day))
            self.hint.setText(tr("From {min} to {max}", min=low, max=high) if low and high else "")
        elif kind == "integer":
            self.int_spin.setRange(int(low) if low else 0, int(high) if high else 1_000_000)
            if reset:
                self.int_spin.setValue(self.int_spin.minimum())
            self.hint.setText(tr("From {min} to {max}", min=low, max=high) if low and high else "")
        else:
            self.hint.setText("")
        self.hint.setVisible(bool(self.hint.text()))

    # ------------------------------------------------------------------ actions
    def submit_input(self) -> None:
        view = self.view()
        if view is None or view.input is None:
            return
        kind = view.input.kind
        if kind == "money":
            value: object = self.money_edit.text().strip()
        elif kind == "date":
            value = self.date_edit.date().toString(Qt.DateFormat.ISODate)
        else:
            value = self.int_spin.value()
        self.answer(value)

    def answer(self, value: object) -> None:
        rt = self._rt
        if rt is None or rt.finished:
            return
        note = self._note()
        if note is None:
            return
        try:
            rt.answer(value, note=note or None)
        except BadInput as exc:
            self.error.setText(exc.reason)
            self.error.show()
            return
        self._after_change()

    def back(self) -> None:
        if self._rt is not None and self._rt.can_go_back:
            self._rt.back()
            self._after_change()

    def ask_stop(self, kind: str) -> None:
        self._pending_stop = kind
        self.refresh()

    def cancel_stop(self) -> None:
        self._pending_stop = None
        self.refresh()

    def confirm_stop(self) -> None:
        rt, kind = self._rt, self._pending_stop
        if rt is None or kind is None or rt.finished:
            return
        note = self._note()
        if note is None:
            return
        self._pending_stop = None
        rt.stop(kind, note=note or None)
        self._after_change()

    def _note(self) -> str | None:
        """The note to save with the answer ('' for none); None while wording awaits the agent's ok."""
        if self._rt is None or not self.notes_box.isVisibleTo(self):
            return ""
        text = self.notes.toPlainText().strip()
        if not text:
            return ""
        hits = self._rt.check_notes(text)
        if hits and not self.keep_wording.isChecked():
            self._hits = hits
            self._show_warning()
            self.keep_wording.show()
            self.notes_box.adjustSize()
            self.scroll.widget().adjustSize()
            self.scroll.ensureWidgetVisible(self.keep_wording)
            return None
        return text

    def _show_warning(self) -> None:
        tr = self._lang.tr
        lines = [w.message(tr) for w in self._hits]
        self.note_warning.setText("\n".join(lines + [tr("Change the wording, or tick the box below to keep it.")]))
        banner(self.note_warning, WARN_FILL, WARN)
        self.note_warning.setVisible(bool(self._hits))

    def _notes_edited(self) -> None:
        self._reset_warning()

    def _reset_warning(self) -> None:
        self._hits = []
        self.note_warning.clear()
        self.note_warning.hide()
        self.keep_wording.setChecked(False)
        self.keep_wording.hide()

    def _after_change(self) -> None:
        self.refresh()
        emit(self.changed)
        rt = self._rt
        if rt is not None and rt.finished and rt.outcome is not None:
            emit(self.finished, rt.outcome.value)
