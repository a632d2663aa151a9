"""The outbox: what this laptop recorded and whether the server has it.

Rejected items stay, with the server's reason; one can be queued again ("Send again")
when the reason was passing (a lost attachment, say). Items set aside on this laptop
(quarantined: their data here is damaged) stay too, with why; they cannot be sent again.
The Sync button here is the same as the window's.
"""

from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.context import AppContext
from fieldapp.ui.models.outbox_table import ITEM_ID_ROLE, OutboxColumn, OutboxModel, details
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.widgets.tables import row_table


class OutboxScreen(QWidget):
    sync_requested = Signal()
    case_activated = Signal(str)
    changed = Signal()  # the outbox was read again (counts for the sidebar badge)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *,
                 model: OutboxModel | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outboxScreen")
        self._ctx = ctx
        self._lang = ctx.language
        self.model = model or OutboxModel(ctx.language, self, zone=ctx.zone)

        self.title = QLabel(self)
        self.title.setObjectName("outboxTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.summary = QLabel(self)
        self.summary.setObjectName("outboxSummary")
        self.sync_button = QPushButton(self)
        self.sync_button.setObjectName("outboxSync")
        self.sync_button.clicked.connect(self.sync_requested)
        self.requeue_button = QPushButton(self)
        self.requeue_button.setObjectName("requeueButton")
        self.requeue_button.setEnabled(False)
        self.requeue_button.clicked.connect(self.requeue_selected)

        self.table = row_table(self, self.model, "outboxTable", stretch_column=OutboxColumn.DETAILS)
        self.table.setWordWrap(False)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.table.doubleClicked.connect(self._on_double_click)

        self.detail = QLabel(self)
        self.detail.setObjectName("outboxDetail")
        self.detail.setWordWrap(True)
        self.empty = QLabel(self)
        self.empty.setObjectName("outboxEmpty")

        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.summary, 1)
        top.addWidget(self.requeue_button)
        top.addWidget(self.sync_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        self._lang.changed.connect(self.retranslate)
        self.retranslate()

    # ------------------------------------------------------------------ public
    def reload(self, *, select: str | None = None) -> None:
        """Read the outbox again (database worker); then select item `select` if given."""
        if self._ctx.service is None:
            return
        (self._ctx.tasks.db(self._ctx.service.outbox, label="outbox")
         .with_parent(self)
         .success(lambda rows: self.set_rows(rows, select=select))
         .start())

    def set_rows(self, rows: Sequence[Any], *, select: str | None = None) -> None:
        current = select or self.table.currentIndex().data(ITEM_ID_ROLE)
        self.model.set_rows(rows)
        position = self.model.row_for_id(current) if current else None
        if position is not None:
            self.table.selectRow(position)
        self.retranslate()
        emit(self.changed)

    def select_item(self, item_id: str) -> None:
        position = self.model.row_for_id(item_id)
        if position is not None:
            self.table.selectRow(position)

    def set_syncing(self, syncing: bool) -> None:
        self.sync_button.setEnabled(not syncing)

    def unsent_count(self) -> int:
        counts = self.model.counts()
        return counts["waiting"] + counts["sending"]

    def rejected_count(self) -> int:
        return self.model.counts()["rejected"]

    def requeue_selected(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid():
            return
        row = self.model.row_at(index.row())
        if row.state != "rejected":
            return
        (self._ctx.tasks.db(self._ctx.service.requeue, row.id, label="requeue")
         .with_parent(self)
         .success(lambda _ok: (self.reload(), emit(self.sync_requested)))
         .start())

    # ------------------------------------------------------------------ internals
    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_detail(current)

    def _on_double_click(self, index: QModelIndex) -> None:
        if index.isValid() and self.model.row_at(index.row()).case_id:  # a practice has no case
            emit(self.case_activated, self.model.row_at(index.row()).case_id)

    def _show_detail(self, index: QModelIndex) -> None:
        tr = self._lang.tr
        if not index.isValid():
            self.detail.setText("")
            self.requeue_button.setEnabled(False)
            return
        row = self.model.row_at(index.row())
        self.detail.setText(tr("{case}: {details}", case=row.case_reference or row.case_id or "—",
                               details=details(row, tr)))
        self.requeue_button.setEnabled(row.state == "rejected")

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.title.setText(tr("Outbox"))
        self.sync_button.setText(tr("Sync now"))
        self.sync_button.setToolTip(tr("Send your visits and receive your cases (F5)"))
        self.requeue_button.setText(tr("Send again"))
        self.requeue_button.setToolTip(tr("Queue the selected rejected item to be sent at the next sync"))
        counts = self.model.counts()
        parts = []
        if counts["waiting"] or counts["sending"]:
            parts.append(tr("{count} waiting to be sent", count=counts["waiting"] + counts["sending"]))
        if counts["rejected"]:
            parts.append(tr("{count} rejected", count=counts["rejected"]))
        if counts["quarantined"]:
            parts.append(tr("{count} set aside", count=counts["quarantined"]))
        if counts["accepted"]:
            parts.append(tr("{count} accepted", count=counts["accepted"]))
        self.summary.setText(" · ".join(parts))
        self.empty.setText(tr("Nothing recorded on this laptop yet. Finished visits appear here until "
                              "the server has them."))
        self.empty.setVisible(self.model.rowCount() == 0)
        self.table.setVisible(self.model.rowCount() > 0)
        self._show_detail(self.table.currentIndex())
