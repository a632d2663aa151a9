"""The read-only, one-row-at-a-time table every list screen uses (cases, outbox, review queue),
and the sentence an empty one shows instead of a bare grid."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QAbstractItemModel, QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QWidget

from fieldapp.ui.i18n import Language


def row_table(parent: QWidget, model: QAbstractItemModel, name: str, *,
              stretch_column: int | None = None, fit_columns: bool = True) -> QTableView:
    """A QTableView showing `model`: whole rows selected one at a time, no editing, no row
    numbers; columns fitted to their contents (when `fit_columns`), one of them stretched."""
    table = QTableView(parent)
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    if fit_columns:
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch_column is not None:
        header.setSectionResizeMode(stretch_column, QHeaderView.ResizeMode.Stretch)
    return table


class EmptyState(QObject):
    """A sentence over an empty table, saying why it is empty and what to do (an empty grid
    says nothing). It follows the model (shown when it has no rows), the view's size and
    the language: `render()` returns the sentence in the current language."""

    def __init__(self, view: QAbstractItemView, language: Language, render: Callable[[], str]) -> None:
        super().__init__(view)
        self._view = view
        self._render = render
        self.label = QLabel(view.viewport())
        self.label.setObjectName("emptyState")
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.label.setStyleSheet("QLabel { color: #5f6368; font-size: 12pt; padding: 24px; }")
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        model = view.model()
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.layoutChanged):
            signal.connect(self.update)
        language.changed.connect(self.update)
        view.viewport().installEventFilter(self)
        self.update()

    def update(self, *_: object) -> None:
        empty = self._view.model().rowCount() == 0
        if empty:
            self.label.setText(self._render())
            self.label.setGeometry(self._view.viewport().rect())
        self.label.setVisible(empty)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Resize:
            self.label.setGeometry(self._view.viewport().rect())
        return False
