"""Every case of the agent: a table that sorts, a quick view (blocked, returned...) and a
search box, smooth with 50,000 rows because the model does the work (see
`fieldapp.ui.models.case_table`). Double click or Enter opens the case."""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.i18n import Language
from fieldapp.ui.models.case_table import ROW_ID_ROLE, VIEW_LABELS, CaseTableModel, Column
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.widgets.tables import EmptyState

SEARCH_DELAY_MS = 150  # wait for a pause in typing before searching


class CasesScreen(QWidget):
    case_activated = Signal(str)

    def __init__(self, language: Language, parent: QWidget | None = None, *,
                 model: CaseTableModel | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("casesScreen")
        self._lang = language
        self._sized_columns = False

        self.model = model or CaseTableModel(language, self)
        self.table = QTableView(self)
        self.table.setObjectName("caseTable")
        self.table.setModel(self.model)
        self._setup_table()

        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(320)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self.apply_search)

        self.view_combo = QComboBox(self)
        self.view_combo.setObjectName("caseView")
        for key in VIEW_LABELS:
            self.view_combo.addItem("", key)
        self.view_combo.currentIndexChanged.connect(
            lambda i: self.model.set_view(self.view_combo.itemData(i) or "all"))

        self.count_label = QLabel(self)
        self.count_label.setObjectName("caseCount")

        top = QHBoxLayout()
        top.addWidget(self.search)
        top.addWidget(self.view_combo)
        top.addWidget(self.count_label)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

        self.empty_state = EmptyState(self.table, language, self._empty_text)
        self.model.counts_changed.connect(self._update_count)
        language.changed.connect(self.retranslate)
        self.retranslate()
        if self.model.total:  # rows read before this screen was first shown
            self._sized_columns = True
            self._size_columns()

    def _setup_table(self) -> None:
        table = self.table
        table.setSortingEnabled(True)
        table.sortByColumn(Column.APPOINTMENT, Qt.SortOrder.AscendingOrder)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = table.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(table.fontMetrics().height() + 10)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setResizeContentsPrecision(200)  # size columns from a sample, not 50,000 rows
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Column.ADDRESS, QHeaderView.ResizeMode.Stretch)
        table.doubleClicked.connect(self._on_activated)
        table.activated.connect(self._on_activated)

    # ------------------------------------------------------------------ public
    def set_rows(self, rows: Sequence) -> None:
        current = self.table.currentIndex().data(ROW_ID_ROLE)
        self.model.set_rows(rows)
        position = self.model.row_for_id(current) if current else None
        if position is not None:  # a sync must not lose the case the agent was looking at
            self.table.selectRow(position)
        if rows and not self._sized_columns:
            self._sized_columns = True
            self._size_columns()

    def apply_search(self) -> None:
        self._search_timer.stop()
        self.model.set_filter(self.search.text())

    def select_case(self, case_id: str) -> None:
        position = self.model.row_for_id(case_id)
        if position is not None:
            self.table.selectRow(position)

    # ------------------------------------------------------------------ internals
    def _on_activated(self, index: QModelIndex) -> None:
        case_id = index.data(ROW_ID_ROLE)
        if case_id:
            emit(self.case_activated, case_id)

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.search.setPlaceholderText(tr("Search name, address or reference"))
        self.search.setToolTip(tr("Shows the cases whose name, address or reference contain every word"))
        for i in range(self.view_combo.count()):
            self.view_combo.setItemText(i, tr(VIEW_LABELS[self.view_combo.itemData(i)]))
        self.view_combo.setToolTip(tr("Which cases to list"))
        self.table.setToolTip("")
        self._update_count(self.model.rowCount(), self.model.total)
        if self._sized_columns:
            self._size_columns()

    def _empty_text(self) -> str:
        tr = self._lang.tr
        if self.model.total == 0:
            return tr("No cases on this laptop yet: press Sync.")
        words = self.search.text().strip()
        if self.model.searching and words:
            return tr("No case matches “{words}”.", words=words)
        return tr("No case in this view.")

    def _update_count(self, shown: int, total: int) -> None:
        tr = self._lang.tr
        if total == 0:
            text = tr("No cases yet: press Sync.")
        elif shown == total:
            text = tr("{total} cases", total=total)
        else:
            text = tr("{shown} of {total} cases", shown=shown, total=total)
        self.count_label.setText(text)

    def _size_columns(self) -> None:
        header = self.table.horizontalHeader()
        for column in Column:
            if column != Column.ADDRESS:
                self.table.resizeColumnToContents(column)
                header.resizeSection(column, min(header.sectionSize(column) + 12, 320))
