"""Confirming a decision: approve, return to the agent (a comment is required: it reaches
the agent's app as a task) or escalate (a comment, required, says why). Modal, small, no I/O.

The comment is checked as it is typed by the conduct rules (the same checker as scripts and
notes): wording that threatens, shames, insults or points at third parties is named, and
the lead must change it or tick "keep" (the server audits what was kept). Personal numbers
are named too: they are stored masked."""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from fieldapp.conduct import check_text, mask_personal_data
from fieldapp.ui.i18n import N_, Language
from fieldapp.ui.lead.labels import DECISIONS
from fieldapp.ui.visit.style import MUTED, WARN, WARN_FILL, banner, wrapped_label

PROMPTS = {"approve": N_("Approve this visit? A comment is optional."),
           "return": N_("Return this visit to the agent. Say what to correct: the agent sees this comment "
                        "as a task after the next sync."),
           "escalate": N_("Escalate this visit. Say why, for whoever takes it up: a comment is required.")}
MAX_COMMENT = 5000


class DecisionDialog(QDialog):
    def __init__(self, language: Language, decision: str, visit_summary: str | Callable[[Callable[..., str]], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("decisionDialog")
        self.decision = decision
        self._lang = language
        self.summary = wrapped_label(self, "decisionVisit", colour=MUTED)
        self._summary = visit_summary  # a text, or made in the language of the moment
        self.prompt = wrapped_label(self, "decisionPrompt")
        self.comment_label = QLabel(self)
        self.comment = QPlainTextEdit(self)
        self.comment.setObjectName("decisionComment")
        self.comment.setMinimumHeight(110)
        self.problem = wrapped_label(self, "decisionProblem", colour="#c62828")
        self.conduct = wrapped_label(self, "decisionConduct")
        self.keep = QCheckBox(self)
        self.keep.setObjectName("decisionKeep")
        self.keep.toggled.connect(lambda _on: self._check())
        self.findings: list = []
        self.numbers: list = []
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.comment.textChanged.connect(self._check)
        layout = QVBoxLayout(self)
        for widget in (self.summary, self.prompt, self.comment_label, self.comment, self.problem, self.conduct,
                       self.keep, self.buttons):
            layout.addWidget(widget)
        self.resize(520, 320)
        language.changed.connect(self.retranslate)
        self.retranslate()

    def text(self) -> str:
        return self.comment.toPlainText().strip()

    def stored_text(self) -> str:
        """The comment as it is stored and sent: personal numbers masked."""
        return mask_personal_data(self.text()).text

    def _problem(self) -> str:
        if self.decision == "return" and not self.text():
            return self._lang.tr("A returned visit needs a comment for the agent.")
        if self.decision == "escalate" and not self.text():
            return self._lang.tr("An escalated visit needs a comment saying why.")
        if len(self.text()) > MAX_COMMENT:
            return self._lang.tr("The comment is too long (at most {n} characters).", n=MAX_COMMENT)
        return ""

    def _check(self) -> None:
        tr = self._lang.tr
        text = self.text()
        masked = mask_personal_data(text)
        self.numbers = list(masked.found)
        findings = check_text(masked.text) if text else []
        if [f.to_record() for f in findings] != [f.to_record() for f in self.findings]:
            self.keep.blockSignals(True)
            self.keep.setChecked(False)
            self.keep.blockSignals(False)
        self.findings = findings
        problem = self._problem()
        self.problem.setText(problem)
        # A missing comment is said once something was typed (blanks only), not on opening.
        typed = bool(self.comment.toPlainText())
        self.problem.setVisible(bool(problem) and (typed or self.decision == "approve"))
        lines = [f.message(tr) for f in findings]
        if findings:
            lines.append(tr("The agent reads this comment. Change the wording, or tick the box to keep it."))
        if self.numbers:
            lines.append(tr("Personal numbers are not kept in comments: {numbers}.",
                            numbers=("；" if self._lang.code == "zh_CN" else "; ").join(n.message(tr) for n in self.numbers)))
        self.conduct.setText("\n".join(lines))
        banner(self.conduct, WARN_FILL, WARN) if lines else banner(self.conduct, None)
        self.conduct.setVisible(bool(lines))
        self.keep.setVisible(bool(findings))
        blocked = bool(problem) or (bool(findings) and not self.keep.isChecked())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not blocked)

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.summary.setText(self._summary(tr) if callable(self._summary) else self._summary)
        self.setWindowTitle(tr(DECISIONS[self.decision]))
        self.prompt.setText(tr(PROMPTS[self.decision]))
        self.comment_label.setText(tr("Comment for the agent") if self.decision == "return" else tr("Comment"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr(DECISIONS[self.decision]))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))
        self.keep.setText(tr("Keep this wording (the server records that it was kept)"))
        self._check()
