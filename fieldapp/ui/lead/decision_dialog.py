"""Confirming a decision: approve, return to the agent (a comment is required: it reaches
the agent's app as a task) or escalate (a comment says why). Modal, small, no I/O."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from fieldapp.ui.i18n import N_, Language
from fieldapp.ui.lead.labels import DECISIONS
from fieldapp.ui.visit.style import MUTED, wrapped_label

PROMPTS = {"approve": N_("Approve this visit? A comment is optional."),
           "return": N_("Return this visit to the agent. Say what to correct: the agent sees this comment "
                        "as a task after the next sync."),
           "escalate": N_("Escalate this visit. Say why, for whoever takes it up.")}
MAX_COMMENT = 5000


class DecisionDialog(QDialog):
    def __init__(self, language: Language, decision: str, visit_summary: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("decisionDialog")
        self.decision = decision
        self._lang = language
        self.summary = wrapped_label(self, "decisionVisit", colour=MUTED)
        self.summary.setText(visit_summary)
        self.prompt = wrapped_label(self, "decisionPrompt")
        self.comment_label = QLabel(self)
        self.comment = QPlainTextEdit(self)
        self.comment.setObjectName("decisionComment")
        self.comment.setMinimumHeight(110)
        self.problem = wrapped_label(self, "decisionProblem", colour="#c62828")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.comment.textChanged.connect(self._check)
        layout = QVBoxLayout(self)
        for widget in (self.summary, self.prompt, self.comment_label, self.comment, self.problem, self.buttons):
            layout.addWidget(widget)
        self.resize(520, 320)
        language.changed.connect(self.retranslate)
        self.retranslate()

    def text(self) -> str:
        return self.comment.toPlainText().strip()

    def _problem(self) -> str:
        if self.decision == "return" and not self.text():
            return self._lang.tr("A returned visit needs a comment for the agent.")
        if len(self.text()) > MAX_COMMENT:
            return self._lang.tr("The comment is too long (at most {n} characters).", n=MAX_COMMENT)
        return ""

    def _check(self) -> None:
        problem = self._problem()
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem) and bool(self.text() or self.decision != "return"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.setWindowTitle(tr(DECISIONS[self.decision]))
        self.prompt.setText(tr(PROMPTS[self.decision]))
        self.comment_label.setText(tr("Comment for the agent") if self.decision == "return" else tr("Comment"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr(DECISIONS[self.decision]))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))
        self._check()
