"""Propose a visit time from the laptop, online or not: the next allowed times under the case's
policy (hours, working days, holidays, notice lead time, frequency) and clear of the agent's
other visits with the travel between them, in the customer's own time. The proposal goes into
the outbox; the server checks it again when it arrives and sends the customer's notice.

When the customer asked for another time, that time is offered first (if it is allowed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.context import AppContext
from fieldapp.ui.errors import describe
from fieldapp.ui.formatting import window_text
from fieldapp.ui.visit.style import BLOCK, MUTED

SLOT_ROLE = Qt.ItemDataRole.UserRole + 1


class ProposeDialog(QDialog):
    def __init__(self, ctx: AppContext, record: Any, parent: QWidget | None = None, *,
                 requested: tuple[dt.datetime, dt.datetime] | None = None, replaces_id: str | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("proposeDialog")
        self._ctx, self._lang, self.record = ctx, ctx.language, record
        self.requested, self.replaces_id = requested, replaces_id
        self.proposed_id: str | None = None
        tr = self._lang.tr
        self.setWindowTitle(tr("Propose a visit time"))
        self.intro = QLabel(tr("Times allowed for {customer} ({reference}), in the customer's time ({zone}). "
                               "The customer gets a notice with a link to confirm or choose another time.",
                               customer=record.customer.name, reference=record.reference,
                               zone=record.customer.timezone), self)
        self.intro.setWordWrap(True)
        self.slots = QListWidget(self)
        self.slots.setObjectName("slotList")
        self.slots.setMinimumHeight(220)
        self.message = QLabel(self)
        self.message.setObjectName("proposeMessage")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(tr("Propose this time"))
        self.ok.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))
        self.buttons.accepted.connect(self.propose)
        self.buttons.rejected.connect(self.reject)
        self.slots.currentItemChanged.connect(lambda *_: self.ok.setEnabled(self.slots.currentItem() is not None))
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.slots, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(520, 420)
        self._say(tr("Finding the allowed times…"), MUTED)
        (ctx.tasks.db(ctx.service.appointment_slots, record.id, 8, self._lang.code, label="slots")
         .with_parent(self).success(self._fill).failure(self._failed).start())

    def _fill(self, search: Any) -> None:
        tr, tz = self._lang.tr, self.record.customer.timezone
        self.slots.clear()
        slots = [(s.start, s.end) for s in search.slots]
        if self.requested is not None:
            slots = [self.requested] + [s for s in slots if s[0] != self.requested[0]]
        for start, end in slots:
            text = window_text(start, end, tz)
            if self.requested is not None and start == self.requested[0]:
                text = tr("{window}: the time the customer asked for", window=text)
            item = QListWidgetItem(text)
            item.setData(SLOT_ROLE, (start, end))
            self.slots.addItem(item)
        if slots:
            self.slots.setCurrentRow(0)
            self._say("", MUTED)
        else:
            self._say("\n".join(search.why_none), BLOCK)

    def _failed(self, exc: Exception) -> None:
        self._say(describe(exc, self._lang).message, BLOCK)

    def propose(self) -> None:
        item = self.slots.currentItem()
        if item is None:
            return
        start, end = item.data(SLOT_ROLE)
        self.ok.setEnabled(False)
        (self._ctx.tasks.db(self._ctx.service.propose_appointment, self.record.id, start, end,
                            replaces_id=self.replaces_id, lang=self._lang.code, label="propose")
         .with_parent(self).success(self._proposed).failure(self._refused).start())

    def _proposed(self, item_id: str) -> None:
        self.proposed_id = item_id
        self.accept()

    def _refused(self, exc: Exception) -> None:
        reasons = getattr(exc, "reasons", None)
        self._say("\n".join(reasons) if reasons else describe(exc, self._lang).message, BLOCK)
        self.ok.setEnabled(True)

    def _say(self, text: str, colour: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {colour};")
        self.message.setVisible(bool(text))
