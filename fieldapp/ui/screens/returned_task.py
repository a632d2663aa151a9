"""A visit the team lead returned, on the case screen: the lead's comment (by the lead's
name), and the agent's answer to it — a comment for the lead and, when the notes were
wrong or incomplete, the corrected notes — sent through the outbox like a visit. The
visit can also be corrected by the agent's next visit to the customer."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.formatting import time_text
from fieldapp.ui.i18n import N_, Language
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.widgets.compliance import COLOURS, ComplianceState

MAX_COMMENT = 5000
RETURNED = N_("{lead} returned your visit on {date}: “{comment}” Answer the lead here (a comment, corrected "
              "notes), or correct the visit with your next visit to this customer.")
REVIEWS = {"approved": N_("Approved by {who} ({date})"), "returned": N_("Returned by {who} ({date})"),
           "escalated": N_("Escalated by {who} ({date})")}


def review_text(visit: Any, tr: Callable[..., str], timezone: str | None = None) -> str:
    """The lead's decision on one of the case's visits, as its agent reads it ("" before any)."""
    state = str(visit.review) if getattr(visit, "review", None) else ""
    if state not in REVIEWS:
        return ""
    return tr(REVIEWS[state], who=visit.reviewed_by or tr("the team lead"),
              date=time_text(visit.reviewed_at, timezone) if visit.reviewed_at else "—")


class ReturnedTaskBar(QWidget):
    """The lead's comment and the button to answer it."""

    answer_requested = Signal(str)  # visit id

    def __init__(self, language: Language, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("returnedTask")
        self._lang = language
        self.task: Any = None
        self.label = QLabel(self)
        self.label.setObjectName("taskBanner")
        self.label.setWordWrap(True)
        self.answer_button = QPushButton(self)
        self.answer_button.setObjectName("answerReturn")
        self.answer_button.setMinimumHeight(36)
        self.answer_button.clicked.connect(lambda: self.task is not None and emit(self.answer_requested,
                                                                                   self.task.visit_id))
        self.setStyleSheet(f"QWidget#returnedTask {{ border: 2px solid {COLOURS[ComplianceState.WARNING]};"
                           " border-radius: 6px; background: #fff8e1; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 6, 8, 6)
        row.addWidget(self.label, 1)
        row.addWidget(self.answer_button, 0, Qt.AlignmentFlag.AlignVCenter)
        language.changed.connect(self.retranslate)
        self.hide()

    def set_task(self, task: Any, *, zone: Any = None, customer: str = "", reference: str = "",
                 timezone: str | None = None) -> None:
        """A returned visit (with the button to answer the lead), or a customer's request
        from their page (to open the case and propose a time or call; no answer button)."""
        self.task = task
        self._zone, self._customer = zone, (customer, reference, timezone)
        self.retranslate()
        self.setVisible(task is not None)

    def retranslate(self, *_: object) -> None:
        from fieldapp.ui.appointment_words import CUSTOMER_TASKS, customer_task_text

        tr, task = self._lang.tr, self.task
        self.answer_button.setText(tr("Answer the lead…"))
        if task is None:
            return
        from_customer = getattr(task, "kind", None) in CUSTOMER_TASKS
        self.answer_button.setVisible(not from_customer)
        if from_customer:
            customer, reference, timezone = getattr(self, "_customer", ("", "", None))
            self.label.setText(customer_task_text(task, customer, reference, timezone, tr))
        else:
            self.label.setText(tr(RETURNED, lead=getattr(task, "created_by_name", None) or task.created_by
                                  or tr("The team lead"), date=time_text(task.created_at, getattr(self, "_zone", None)),
                                  comment=task.comment))


class ReplyDialog(QDialog):
    """The agent's answer: a comment (required) and the visit's notes, to correct."""

    def __init__(self, language: Language, task: Any, notes: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replyDialog")
        self._lang, self.task = language, task
        self.original_notes = notes
        self.lead_comment = QLabel(self)
        self.lead_comment.setWordWrap(True)
        self.lead_comment.setStyleSheet("color: #5f6368;")
        self.comment_label = QLabel(self)
        self.comment = QPlainTextEdit(self)
        self.comment.setObjectName("replyComment")
        self.comment.setMinimumHeight(90)
        self.notes_label = QLabel(self)
        self.notes_label.setWordWrap(True)
        self.notes = QPlainTextEdit(self)
        self.notes.setObjectName("replyNotes")
        self.notes.setPlainText(notes or "")
        self.notes.setMinimumHeight(90)
        self.problem = QLabel(self)
        self.problem.setStyleSheet("color: #c62828;")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.comment.textChanged.connect(self._check)
        layout = QVBoxLayout(self)
        for widget in (self.lead_comment, self.comment_label, self.comment, self.notes_label, self.notes,
                       self.problem, self.buttons):
            layout.addWidget(widget)
        self.resize(560, 420)
        language.changed.connect(self.retranslate)
        self.retranslate()

    def text(self) -> str:
        return self.comment.toPlainText().strip()

    def corrected_notes(self) -> str | None:
        """The notes when the agent changed them, else None (the visit's notes stand)."""
        notes = self.notes.toPlainText().strip()
        return notes if notes != (self.original_notes or "").strip() else None

    def _problem(self) -> str:
        if not self.text():
            return self._lang.tr("Say something to the lead: the answer cannot be empty.")
        if len(self.text()) > MAX_COMMENT:
            return self._lang.tr("The answer is too long (at most {n} characters).", n=MAX_COMMENT)
        return ""

    def _check(self) -> None:
        problem = self._problem()
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem) and bool(self.comment.toPlainText()))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.setWindowTitle(tr("Answer the lead"))
        self.lead_comment.setText(tr("The lead's comment: “{comment}”", comment=self.task.comment))
        self.comment_label.setText(tr("Your answer to the lead"))
        self.notes_label.setText(tr("The visit's notes: correct them here if they were wrong or incomplete "
                                    "(the lead sees both versions)") if self.original_notes is not None
                                 else tr("Corrected notes, if the visit's notes were wrong or incomplete "
                                         "(optional)"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("Send the answer"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))
        self._check()
