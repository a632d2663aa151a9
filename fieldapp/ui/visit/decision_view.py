"""A policy decision shown rule by rule: green passed, amber warning, red blocked.

Each row has a coloured mark, a word (colour is never the only signal) and the rule's
own sentence; the rule id is the tooltip. The decision is re-rendered in the new
language when the language changes (`Decision.localized`). Problems that are not policy
rules (no appointment, a script that cannot start) are listed first, in red.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from fieldapp.policy import Decision, Result
from fieldapp.ui.i18n import N_, Language
from fieldapp.ui.visit.style import BLOCK, PASS, WARN, WARN_FILL, banner, scaled_font, wrapped_label
from fieldapp.ui.widgets.compliance import ComplianceState, compliance_icon


def verdict(result: Result) -> tuple[ComplianceState, str, str]:
    """(light, word, text colour) of one rule's result."""
    if result.passed:
        return ComplianceState.ALLOWED, N_("Passed"), PASS
    if result.severity == "block":
        return ComplianceState.BLOCKED, N_("Blocked"), BLOCK
    return ComplianceState.WARNING, N_("Warning"), WARN


class DecisionView(QWidget):
    def __init__(self, language: Language, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("decisionView")
        self._lang = language
        self._decision: Decision | None = None
        self._problems: list[str] = []
        self._row_widgets: list[tuple[QLabel, QLabel, QLabel]] = []
        self.summary = wrapped_label(self, "decisionSummary", factor=1.1, bold=True)
        self.problem_label = wrapped_label(self, "decisionProblems", colour=BLOCK)
        self._rows = QFrame(self)
        self._grid = QGridLayout(self._rows)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(6)
        self._grid.setColumnStretch(2, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.problem_label)
        layout.addWidget(self._rows)
        layout.addStretch(1)
        language.changed.connect(self.retranslate)
        self.retranslate()

    def set_decision(self, decision: Decision | None, problems: list[str] | None = None) -> None:
        self._decision = decision
        self._problems = list(problems or [])
        self.retranslate()

    def row_texts(self) -> list[tuple[str, str, str]]:
        """(rule, word, sentence) as shown, for tests and the tour."""
        return [(mark.toolTip(), word.text(), text.text()) for mark, word, text in self._row_widgets]

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.problem_label.setText("\n".join(self._problems))
        self.problem_label.setVisible(bool(self._problems))
        decision = self._decision
        if decision is None:
            self._set_rows([])
            self.summary.setText(tr("Not checked yet.") if not self._problems else tr("This visit cannot start."))
            banner(self.summary, BLOCK if self._problems else None)
            return
        shown = decision.localized(self._lang.code)
        if self._problems or not shown.allowed:
            self.summary.setText(tr("Blocked: the visit may not go ahead."))
            banner(self.summary, BLOCK)
        elif shown.warnings:
            self.summary.setText(tr("Allowed, with warnings the team lead will see."))
            banner(self.summary, WARN_FILL, WARN)
        else:
            self.summary.setText(tr("Allowed: every rule is met."))
            banner(self.summary, PASS)
        self._set_rows(list(shown.results))

    def _set_rows(self, results: list[Result]) -> None:
        """One row per result, reusing the row widgets (so a language switch replaces no widget)."""
        while len(self._row_widgets) > len(results):
            for widget in self._row_widgets.pop():
                self._grid.removeWidget(widget)
                widget.setParent(None)
                widget.deleteLater()
        while len(self._row_widgets) < len(results):
            row = len(self._row_widgets)
            mark = QLabel(self._rows)
            mark.setAlignment(Qt.AlignmentFlag.AlignTop)
            word = QLabel(self._rows)
            word.setObjectName(f"verdict_{row}")
            word.setFont(scaled_font(word, 1.0, bold=True))
            word.setAlignment(Qt.AlignmentFlag.AlignTop)
            text = wrapped_label(self._rows, f"rule_{row}")
            for column, widget in enumerate((mark, word, text)):
                self._grid.addWidget(widget, row, column)
                widget.show()
            self._row_widgets.append((mark, word, text))
        for (mark, word, text), result in zip(self._row_widgets, results):
            state, verdict_word, colour = verdict(result)
            mark.setPixmap(compliance_icon(state, 16).pixmap(16, 16))
            mark.setToolTip(result.rule)
            word.setText(self._lang.tr(verdict_word))
            word.setStyleSheet(f"color: {colour};")
            text.setText(result.message)
            text.setToolTip(result.rule)
