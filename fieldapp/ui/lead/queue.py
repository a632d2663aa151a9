"""The review queue: the team's visits, newest first, filtered by agent, date, outcome,
compliance exception and review state. Opening a row shows its evidence.

Filtering runs in the store (database worker); the dates are the lead's own calendar days.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from PySide6.QtCore import QDate, QModelIndex, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.core.outcomes import Outcome
from fieldapp.ui.context import AppContext
from fieldapp.ui.i18n import N_
from fieldapp.ui.lead.labels import EXCEPTIONS, STATES, outcome_label
from fieldapp.ui.lead.queue_model import VISIT_ID_ROLE, Column, ReviewQueueModel
from fieldapp.ui.lead.service import LeadServiceLike
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.widgets.tables import EmptyState, row_table

ANY = N_("Any")
ANY_EXCEPTION = N_("Any exception")


def title_font(label: QLabel, factor: float = 1.4) -> None:
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * factor)
    font.setBold(True)
    label.setFont(font)


class QueueScreen(QWidget):
    visit_activated = Signal(str)
    loaded = Signal(int)  # rows shown

    def __init__(self, ctx: AppContext, service: LeadServiceLike, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("leadQueue")
        self._ctx, self._service, self._lang = ctx, service, ctx.language
        self._agents: list[str] = []
        self.model = ReviewQueueModel(ctx.language, self)

        self.title = QLabel(self)
        self.title.setObjectName("queueTitle")
        title_font(self.title)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("queueCount")
        self.agent = QComboBox(self)
        self.agent.setObjectName("filterAgent")
        self.outcome = QComboBox(self)
        self.outcome.setObjectName("filterOutcome")
        self.exception = QComboBox(self)
        self.exception.setObjectName("filterException")
        self.state = QComboBox(self)
        self.state.setObjectName("filterState")
        self.use_dates = QCheckBox(self)
        self.use_dates.setObjectName("filterUseDates")
        day = ctx.today()
        today = QDate(day.year, day.month, day.day)
        self.date_from = QDateEdit(today.addDays(-30), self)
        self.date_from.setObjectName("filterFrom")
        self.date_to = QDateEdit(today, self)
        self.date_to.setObjectName("filterTo")
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
        self.include_superseded = QCheckBox(self)
        self.include_superseded.setObjectName("filterSuperseded")
        self.clear_button = QPushButton(self)
        self.clear_button.setObjectName("clearFilters")
        self.clear_button.clicked.connect(self.clear_filters)
        self.open_button = QPushButton(self)
        self.open_button.setObjectName("openVisit")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open_selected)
        self._labels = {name: QLabel(self) for name in ("agent", "outcome", "exception", "state", "from", "to")}

        self.table = row_table(self, self.model, "queueTable", stretch_column=Column.EXCEPTIONS)
        self.empty_state = EmptyState(self.table, self._lang, lambda: self._lang.tr(
            "No visit to show: press Sync for the team's latest visits, or clear the filters."))
        self.table.setAlternatingRowColors(True)
        self.table.doubleClicked.connect(self._activated)
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self.open_button.setEnabled(self.table.selectionModel().hasSelection()))

        filters = QGridLayout()
        filters.setHorizontalSpacing(8)
        pairs = [("agent", self.agent), ("outcome", self.outcome), ("exception", self.exception),
                 ("state", self.state)]
        for column, (name, widget) in enumerate(pairs):
            filters.addWidget(self._labels[name], 0, column)
            filters.addWidget(widget, 1, column)
        dates = QHBoxLayout()
        dates.addWidget(self.use_dates)
        dates.addWidget(self._labels["from"])
        dates.addWidget(self.date_from)
        dates.addWidget(self._labels["to"])
        dates.addWidget(self.date_to)
        dates.addSpacing(12)
        dates.addWidget(self.include_superseded)
        dates.addStretch(1)
        dates.addWidget(self.clear_button)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.count_label)
        foot = QHBoxLayout()
        foot.addStretch(1)
        foot.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(filters)
        layout.addLayout(dates)
        layout.addWidget(self.table, 1)
        layout.addLayout(foot)

        self._fill_combos()
        for combo in (self.agent, self.outcome, self.exception, self.state):
            combo.currentIndexChanged.connect(lambda *_: self.reload())
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(lambda *_: self.reload())
        self.use_dates.toggled.connect(self._dates_toggled)
        self.include_superseded.toggled.connect(lambda *_: self.reload())
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()

    # ------------------------------------------------------------------ filters
    def _fill_combos(self) -> None:
        tr = self._lang.tr
        self._refill(self.agent, [(tr(ANY), None)] + [(a, a) for a in self._agents])
        self._refill(self.outcome, [(tr(ANY), None)] + [(outcome_label(o.value, tr), o.value) for o in Outcome])
        self._refill(self.exception, [(tr(ANY), None), (tr(ANY_EXCEPTION), "any")]
                     + [(tr(label), key) for key, label in EXCEPTIONS.items()])
        self._refill(self.state, [(tr(ANY), None)] + [(tr(label), key) for key, label in STATES.items()])

    @staticmethod
    def _refill(combo: QComboBox, items: list[tuple[str, Any]]) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for text, data in items:
            combo.addItem(text, data)
        index = combo.findData(current)
        combo.setCurrentIndex(index if index >= 0 else 0)
        combo.blockSignals(False)

    def _dates_toggled(self, on: bool) -> None:
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        self.reload()

    def criteria(self) -> dict[str, Any]:
        """The filter as `LeadService.queue` takes it; dates are this computer's days."""
        found: dict[str, Any] = {"agent": self.agent.currentData(), "outcome": self.outcome.currentData(),
                                 "exception": self.exception.currentData(), "state": self.state.currentData(),
                                 "include_superseded": self.include_superseded.isChecked()}
        if self.use_dates.isChecked():
            zone = self._ctx.zone()
            first, last = self.date_from.date().toPython(), self.date_to.date().toPython()
            found["since"] = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
            found["until"] = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        return {k: v for k, v in found.items() if v not in (None, False)}

    def clear_filters(self) -> None:
        for combo in (self.agent, self.outcome, self.exception, self.state):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.use_dates.blockSignals(True)
        self.use_dates.setChecked(False)
        self.use_dates.blockSignals(False)
        self.date_from.setEnabled(False)
        self.date_to.setEnabled(False)
        self.include_superseded.setChecked(False)
        self.reload()

    # ------------------------------------------------------------------ data
    def reload(self, select: str | None = None) -> None:
        tasks = self._ctx.tasks
        (tasks.db(self._service.queue, label="lead_queue", **self.criteria())
         .with_parent(self).success(lambda rows: self.set_rows(rows, select)).start())
        (tasks.db(self._service.agents, label="lead_agents").with_parent(self)
         .success(self._set_agents).start())

    def set_rows(self, rows: Sequence[Any], select: str | None = None) -> None:
        self.model.set_rows(rows)
        self._update_count()
        if select:
            row = self.model.find(select)
            if row >= 0:
                self.table.selectRow(row)
        emit(self.loaded, len(rows))

    def _set_agents(self, agents: list[str]) -> None:
        if agents != self._agents:
            self._agents = list(agents)
            self._fill_combos()

    def _update_count(self) -> None:
        rows = self.model.rows
        pending = sum(r.state == "pending" for r in rows)
        self.count_label.setText(self._lang.tr("{count} visits · {pending} to review",
                                               count=len(rows), pending=pending))

    def _activated(self, index: QModelIndex) -> None:
        visit_id = index.data(VISIT_ID_ROLE)
        if visit_id:
            emit(self.visit_activated, visit_id)

    def _open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._activated(rows[0])

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.title.setText(tr("Review queue"))
        for name, text in (("agent", N_("Agent")), ("outcome", N_("Outcome")), ("exception", N_("Exceptions")),
                           ("state", N_("Review")), ("from", N_("From")), ("to", N_("to"))):
            self._labels[name].setText(tr(text))
        self.use_dates.setText(tr("Only visits between"))
        self.include_superseded.setText(tr("Show corrected visits"))
        self.clear_button.setText(tr("Clear filters"))
        self.open_button.setText(tr("Open evidence"))
        self._fill_combos()
        self._update_count()
