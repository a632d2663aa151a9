"""The review queue as a table model: one row per visit (newest first, as the service
returns them), the state as a coloured word, exceptions spelled out, the lead's own
decision still waiting to be sent shown in the state column."""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from fieldapp.ui.formatting import time_text
from fieldapp.ui.i18n import N_, Language
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.lead.labels import DECISIONS, STATE_COLOURS, exception_labels, outcome_label, state_label

VISIT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    WHEN = 0
    AGENT = 1
    CASE = 2
    CUSTOMER = 3
    OUTCOME = 4
    EXCEPTIONS = 5
    STATE = 6


HEADERS = {Column.WHEN: N_("Visit time"), Column.AGENT: N_("Agent"), Column.CASE: N_("Case"),
           Column.CUSTOMER: N_("Customer"), Column.OUTCOME: N_("Outcome"),
           Column.EXCEPTIONS: N_("Exceptions"), Column.STATE: N_("Review")}


class ReviewQueueModel(QAbstractTableModel):
    def __init__(self, language: Language, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lang = language
        self._rows: list[Any] = []
        language.changed.connect(self._retranslated)

    @property
    def rows(self) -> list[Any]:
        return list(self._rows)

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def find(self, visit_id: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.visit_id == visit_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._lang.tr(HEADERS[Column(section)])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self._rows[index.row()], Column(index.column())
        if role == VISIT_ID_ROLE:
            return row.visit_id
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == Column.STATE and row.comment:
                return row.comment
            if column == Column.CUSTOMER and row.corrects_visit_id:
                return self._lang.tr("Corrects an earlier visit that was returned")
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == Column.STATE:
                return QBrush(QColor(STATE_COLOURS.get(row.state, "#000000")))
            if column == Column.EXCEPTIONS and row.exceptions:
                return QBrush(QColor("#8a6100"))
        return None

    def _text(self, row: Any, column: Column) -> str:
        tr = self._lang.tr
        if column == Column.WHEN:
            return time_text(row.visit_at, row.timezone)
        if column == Column.AGENT:
            return row.agent_name or row.agent
        if column == Column.CASE:
            return row.reference + (" ↺" if row.corrects_visit_id else "")
        if column == Column.CUSTOMER:
            return row.customer_name
        if column == Column.OUTCOME:
            return outcome_label(row.outcome, tr)
        if column == Column.EXCEPTIONS:
            return exception_labels(row.exceptions, tr)
        text = state_label(row.state, tr)
        if row.pending_decision and row.pending_state in ("waiting", "sending"):
            text += " → " + tr(DECISIONS.get(row.pending_decision, row.pending_decision)) + " " + tr("(unsent)")
        elif row.pending_decision and row.pending_state == "rejected":
            text += " · " + tr("your decision was refused")
        return text

    def _retranslated(self, *_: object) -> None:
        if self._rows:
            emit(self.dataChanged, self.index(0, 0), self.index(len(self._rows) - 1, len(Column) - 1))
        emit(self.headerDataChanged, Qt.Orientation.Horizontal, 0, len(Column) - 1)
