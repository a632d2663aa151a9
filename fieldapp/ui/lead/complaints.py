"""Complaints and notices: what customers complained about (answer before the due date; the
customer's page shows the answer), and the notices that need a person (cut off by a crash,
refused by the mail server or the SMS gateway).

Online only: the list comes from the server each time (Refresh); an answer or a decision is
sent at once.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.core.timeutil import utcnow
from fieldapp.ui.context import AppContext
from fieldapp.ui.errors import describe
from fieldapp.ui.formatting import time_text
from fieldapp.ui.i18n import N_
from fieldapp.ui.lead.queue import title_font
from fieldapp.ui.lead.service import LeadServiceLike
from fieldapp.ui.visit.style import BLOCK, MUTED

COMPLAINT_HEADERS = (N_("Complaint number"), N_("Agent"), N_("Case"), N_("Received"), N_("Answer due"), N_("State"))
NOTICE_HEADERS = (N_("Case"), N_("Channel"), N_("State"), N_("Attempts"), N_("Problem"))
STATES = {"open": N_("Open"), "answered": N_("Answered"), "queued": N_("Retrying"), "failed": N_("Failed"),
          "needs_decision": N_("Needs a decision"), "sending": N_("Sending"), "sent": N_("Sent"),
          "delivered": N_("Delivered"), "cancelled": N_("Dropped")}
CHANNELS = {"email": N_("Email"), "sms": N_("SMS")}
CUT_OFF = N_("Cut off by a crash while sending: it may or may not have reached the customer.")
ROLE = Qt.ItemDataRole.UserRole + 1


class ComplaintsScreen(QWidget):
    def __init__(self, ctx: AppContext, service: LeadServiceLike, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("leadComplaints")
        self._ctx, self._service, self._lang = ctx, service, ctx.language
        self.items: list[Any] = []
        self.notice_items: list[Any] = []
        self._status: tuple[str, dict[str, Any], str] | None = None

        self.title = QLabel(self)
        title_font(self.title)
        self.refresh_button = QPushButton(self)
        self.refresh_button.setObjectName("complaintsRefresh")
        self.refresh_button.clicked.connect(self.load)
        self.status = QLabel(self)
        self.status.setObjectName("complaintsStatus")
        self.status.setWordWrap(True)

        self.table = _tree(self, "complaintsTable", len(COMPLAINT_HEADERS))
        self.table.currentItemChanged.connect(lambda *_: self._show_current())
        self.text = QLabel(self)
        self.text.setObjectName("complaintText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.answer = QPlainTextEdit(self)
        self.answer.setObjectName("complaintAnswer")
        self.answer.setMaximumHeight(110)
        self.send_button = QPushButton(self)
        self.send_button.setObjectName("complaintSend")
        self.send_button.clicked.connect(self.send_answer)

        self.notices_title = QLabel(self)
        bold = self.notices_title.font()
        bold.setBold(True)
        self.notices_title.setFont(bold)
        self.notices = _tree(self, "noticesTable", len(NOTICE_HEADERS))
        self.notices.setMaximumHeight(170)
        self.sent_button = QPushButton(self)
        self.sent_button.setObjectName("noticeMarkSent")
        self.resend_button = QPushButton(self)
        self.resend_button.setObjectName("noticeResend")
        self.drop_button = QPushButton(self)
        self.drop_button.setObjectName("noticeDrop")
        for button, decision in ((self.sent_button, "mark_sent"), (self.resend_button, "resend"),
                                 (self.drop_button, "drop")):
            button.clicked.connect(lambda _=False, d=decision: self.decide(d))

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.refresh_button)
        detail = QWidget(self)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.text)
        detail_layout.addWidget(self.answer)
        detail_layout.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignRight)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(detail)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.sent_button, self.resend_button, self.drop_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        layout.addWidget(self.notices_title)
        layout.addWidget(self.notices)
        layout.addLayout(buttons)
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()

    # ------------------------------------------------------------------ data
    def load(self) -> None:
        self.refresh_button.setEnabled(False)
        self._set_status(N_("Asking the server…"), {}, MUTED)
        (self._ctx.tasks.net(lambda: (self._service.complaints(), self._service.notices()), label="lead_complaints")
         .with_parent(self).success(self._loaded).failure(self._failed)
         .finally_(lambda: self.refresh_button.setEnabled(True)).start())

    def _loaded(self, result: tuple[list[Any], list[Any]]) -> None:
        self.items, self.notice_items = result
        open_count = sum(c.state == "open" for c in self.items)
        self._set_status(N_("{open} open complaints; {notices} notices need a person. Fetched at {time}."),
                         {"open": open_count, "notices": len(self.notice_items), "time": time_text(utcnow())}, MUTED)
        self._fill()

    def _failed(self, exc: Exception) -> None:
        self._set_status("{problem}", {"problem": describe(exc, self._lang).message}, BLOCK)

    def current(self) -> Any | None:
        item = self.table.currentItem()
        return None if item is None else item.data(0, ROLE)

    def send_answer(self) -> None:
        complaint = self.current()
        if complaint is None:
            return
        (self._ctx.tasks.net(self._service.answer_complaint, complaint.id, self.answer.toPlainText(),
                             label="lead_answer")
         .with_parent(self).success(lambda _item: self._done(N_("Answer sent; the customer sees it on the page.")))
         .failure(self._failed).start())

    def decide(self, decision: str) -> None:
        item = self.notices.currentItem()
        if item is None:
            return
        (self._ctx.tasks.net(self._service.decide_notice, item.data(0, ROLE).id, decision, label="lead_notice")
         .with_parent(self).success(lambda _n: self._done(N_("Decision recorded.")))
         .failure(self._failed).start())

    def _done(self, message: str) -> None:
        self.answer.clear()
        self.load()
        self._set_status(message, {}, MUTED)

    # ------------------------------------------------------------------ drawing
    def _fill(self) -> None:
        tr = self._lang.tr
        now = utcnow()
        self.table.clear()
        for c in self.items:
            overdue = c.state == "open" and c.due_at < now
            row = QTreeWidgetItem([c.reference, c.agent_name or c.agent or "—", c.case_reference,
                                   time_text(c.created_at), time_text(c.due_at) + (" ⚠" if overdue else ""),
                                   tr(STATES.get(c.state, c.state))])
            row.setData(0, ROLE, c)
            if overdue:
                row.setForeground(4, QBrush(QColor(BLOCK)))
            self.table.addTopLevelItem(row)
        if self.items:
            self.table.setCurrentItem(self.table.topLevelItem(0))
        self.notices.clear()
        for n in self.notice_items:
            problem = tr(CUT_OFF) if n.state == "needs_decision" else (n.last_error or "")
            row = QTreeWidgetItem([n.case_reference, tr(CHANNELS.get(n.channel, n.channel)),
                                   tr(STATES.get(n.state, n.state)), str(n.attempts), problem])
            row.setData(0, ROLE, n)
            row.setToolTip(4, n.last_error or "")
            self.notices.addTopLevelItem(row)
        self._show_current()

    def _show_current(self) -> None:
        tr, c = self._lang.tr, self.current()
        if c is None:
            self.text.setText(tr("No complaint chosen."))
        elif c.state == "answered":
            self.text.setText(tr("“{text}”\nAnswered by {who} at {when}: {answer}", text=c.text,
                                 who=c.answered_by or "", when=time_text(c.answered_at) if c.answered_at else "",
                                 answer=c.answer))
        else:
            rated = tr(" The customer rated the visit {rating} of 5.", rating=c.rating) if c.rating else ""
            self.text.setText(tr("“{text}”", text=c.text) + rated)
        answerable = c is not None and c.state == "open"
        self.answer.setEnabled(answerable)
        self.send_button.setEnabled(answerable)

    def _set_status(self, message: str, values: dict[str, Any], colour: str) -> None:
        self._status = (message, values, colour)
        self.status.setText(self._lang.tr(message, **values) if values else self._lang.tr(message))
        self.status.setStyleSheet(f"color: {colour};")

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.title.setText(tr("Complaints and notices"))
        self.refresh_button.setText(tr("Refresh"))
        self.table.setHeaderLabels([tr(h) for h in COMPLAINT_HEADERS])
        self.notices.setHeaderLabels([tr(h) for h in NOTICE_HEADERS])
        self.answer.setPlaceholderText(tr("Your answer to the customer (shown on the customer's page)"))
        self.send_button.setText(tr("Send the answer"))
        self.notices_title.setText(tr("Notices that need a person"))
        self.sent_button.setText(tr("It was sent"))
        self.sent_button.setToolTip(tr("The message reached the customer (e.g. the mail server's log shows it)"))
        self.resend_button.setText(tr("Send again"))
        self.resend_button.setToolTip(tr("The customer may receive it twice if it was sent before"))
        self.drop_button.setText(tr("Drop"))
        if self._status is not None:
            message, values, colour = self._status
            self._set_status(message, values, colour)
        if self.items or self.notice_items:
            self._fill()
        else:
            self._show_current()


def _tree(parent: QWidget, name: str, columns: int) -> QTreeWidget:
    tree = QTreeWidget(parent)
    tree.setObjectName(name)
    tree.setColumnCount(columns)
    tree.setRootIsDecorated(False)
    tree.setAlternatingRowColors(True)
    tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    tree.header().setStretchLastSection(True)
    return tree
