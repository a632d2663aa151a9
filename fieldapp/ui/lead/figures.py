"""Team figures for a chosen period: per agent visits, contact rate, promises to pay and
kept, agreements and amounts, exceptions; a bar chart; CSV export through a save dialog.

Figures come from the server (it holds every visit of the period); the last ones fetched
are kept on the laptop and shown when the server cannot be reached, with their date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from PySide6.QtCore import QDate, Qt, QTimeZone
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.protocol.lead import CSV_COLUMNS, EXCEPTION_KINDS, TOTAL_LABEL, customer_cells, ratio_text
from fieldapp.ui.context import AppContext
from fieldapp.ui.errors import describe
from fieldapp.ui.formatting import NONE, money_text, time_text
from fieldapp.ui.i18n import N_, zone_label
from fieldapp.ui.lead.chart import BarChart, Group
from fieldapp.ui.lead.frozen import FrozenFirstColumnTable
from fieldapp.ui.lead.queue import title_font
from fieldapp.ui.lead.service import LeadServiceLike
from fieldapp.ui.visit.style import BLOCK, MUTED

PERIODS = {"this_month": N_("This month"), "last_month": N_("Last month"), "last_30": N_("Last 30 days"),
           "custom": N_("Chosen dates")}
SERIES = (N_("Visits"), N_("Contacts"), N_("Promises kept"), N_("Agreements signed"),
          N_("Visits with exceptions"))
SavePath = Callable[[QWidget, str, str], "str | None"]


def ask_save_path(parent: QWidget, title: str, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, "CSV (*.csv)")
    return path or None


def period_dates(key: str, today: dt.date) -> tuple[dt.date, dt.date]:
    if key == "last_month":
        end = today.replace(day=1) - dt.timedelta(days=1)
        return end.replace(day=1), end
    if key == "last_30":
        return today - dt.timedelta(days=29), today
    return today.replace(day=1), today


def system_zone_name() -> str:
    name = bytes(QTimeZone.systemTimeZoneId().data()).decode("ascii", "replace")
    return name or "UTC"


class FiguresScreen(QWidget):
    def __init__(self, ctx: AppContext, service: LeadServiceLike, parent: QWidget | None = None, *,
                 save_path: SavePath = ask_save_path) -> None:
        super().__init__(parent)
        self.setObjectName("leadFigures")
        self._ctx, self._service, self._lang = ctx, service, ctx.language
        self._save_path = save_path
        zone = ctx.zone()
        self.zone_name = getattr(zone, "key", None) or system_zone_name()
        self.figures: Any = None
        self._status: tuple[str, dict[str, Any], str] | None = None  # message, values, colour
        self.loaded_once = False

        self.title = QLabel(self)
        self.title.setObjectName("figuresTitle")
        title_font(self.title)
        self.period = QComboBox(self)
        self.period.setObjectName("figuresPeriod")
        day = ctx.today()
        today = QDate(day.year, day.month, day.day)
        self.date_from = date_edit(today.addDays(1 - today.day()), self, "figuresFrom")
        self.date_to = date_edit(today, self, "figuresTo")
        self.to_label = QLabel(self)
        self.show_button = QPushButton(self)
        self.show_button.setObjectName("figuresShow")
        self.show_button.clicked.connect(self.load)
        self.export_button = QPushButton(self)
        self.export_button.setObjectName("figuresExport")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export_csv)
        self.status = QLabel(self)
        self.status.setObjectName("figuresStatus")
        self.status.setWordWrap(True)

        self.table = FrozenFirstColumnTable(0, len(CSV_COLUMNS) - 1, self)  # the name stays in view
        self.table.setObjectName("figuresTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.chart = BarChart(self)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(self.chart)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)

        bar = QHBoxLayout()
        bar.addWidget(self.period)
        bar.addWidget(self.date_from)
        bar.addWidget(self.to_label)
        bar.addWidget(self.date_to)
        bar.addWidget(self.show_button)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)

        for key in PERIODS:
            self.period.addItem("", key)
        self.period.currentIndexChanged.connect(self._period_chosen)
        self.date_from.dateChanged.connect(self._dates_edited)
        self.date_to.dateChanged.connect(self._dates_edited)
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()

    # ------------------------------------------------------------------ period
    def _period_chosen(self, _index: int) -> None:
        key = self.period.currentData()
        if key == "custom":
            return
        start, end = period_dates(key, self._ctx.today())
        for edit, day in ((self.date_from, start), (self.date_to, end)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    def _dates_edited(self, *_: object) -> None:
        self.period.blockSignals(True)
        self.period.setCurrentIndex(self.period.findData("custom"))
        self.period.blockSignals(False)

    def set_period(self, start: dt.date, end: dt.date) -> None:
        self.date_from.setDate(QDate(start.year, start.month, start.day))
        self.date_to.setDate(QDate(end.year, end.month, end.day))

    def chosen_period(self) -> tuple[dt.date, dt.date]:
        return self.date_from.date().toPython(), self.date_to.date().toPython()

    # ------------------------------------------------------------------ data
    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        """The first time the screen shows, the figures of the default period are fetched
        (the last ones kept on the laptop show meanwhile, and when offline)."""
        super().showEvent(event)
        if not self.loaded_once:
            self.show_cached()
            self.load()

    def show_cached(self) -> None:
        (self._ctx.tasks.db(self._service.cached_figures, label="cached_figures").with_parent(self)
         .success(lambda figures: figures is not None and self.figures is None and self.set_figures(
             figures, cached=True)).start())

    def load(self) -> None:
        start, end = self.chosen_period()
        if end < start:
            self._set_status(N_("The period ends before it starts."), {}, BLOCK)
            return
        self.loaded_once = True
        self.show_button.setEnabled(False)
        self._set_status(N_("Asking the server…"), {}, MUTED)
        (self._ctx.tasks.net(self._service.figures, start, end, self.zone_name, label="lead_figures")
         .with_parent(self).success(self.set_figures).failure(self._failed)
         .finally_(lambda: self.show_button.setEnabled(True)).start())

    def _failed(self, exc: Exception) -> None:
        problem = describe(exc, self._lang)
        if self.figures is not None:
            self._set_status(N_("{problem} Showing the figures fetched at {when}."),
                             {"problem": problem.message,
                              "when": time_text(self.figures.server_time, self._ctx.zone())}, BLOCK)
        else:
            self._set_status("{problem}", {"problem": problem.message}, BLOCK)

    def set_figures(self, figures: Any, *, cached: bool = False) -> None:
        self.figures = figures
        self.export_button.setEnabled(True)
        if cached:
            self._set_status(N_("Figures fetched at {when}; press Show for the latest."),
                             {"when": time_text(figures.server_time, self._ctx.zone())}, MUTED)
        else:
            self._set_status(N_("Team {team}, {start} to {end} ({zone})."),
                             {"team": figures.team or "—", "start": figures.date_from.isoformat(),
                              "end": figures.date_to.isoformat(),
                              "zone": zone_label(figures.timezone, self._lang.code, self._lang.tr)}, MUTED)
        self.retranslate()

    def export_csv(self) -> None:
        if self.figures is None:
            return
        f = self.figures
        suggested = f"team-figures-{f.date_from.isoformat()}-{f.date_to.isoformat()}.csv"
        path = self._save_path(self, self._lang.tr("Export the figures as CSV"), suggested)
        if not path:
            return
        (self._ctx.tasks.db(self._service.export_figures_csv, f, path, label="export_figures").with_parent(self)
         .success(lambda written: self._set_status(N_("Saved to {path}."), {"path": str(written)}, MUTED))
         .failure(lambda exc: self._set_status("{problem}", {"problem": describe(exc, self._lang).message},
                                               BLOCK))
         .start())

    def _set_status(self, message: str, values: dict[str, Any], colour: str) -> None:
        self._status = (message, values, colour)
        self.status.setText(self._lang.tr(message, **values) if values else self._lang.tr(message))
        self.status.setStyleSheet(f"color: {colour};")

    # ------------------------------------------------------------------ text
    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.title.setText(tr("Team figures"))
        for i in range(self.period.count()):
            self.period.setItemText(i, tr(PERIODS[self.period.itemData(i)]))
        self.to_label.setText(tr("to"))
        self.show_button.setText(tr("Show"))
        self.export_button.setText(tr("Export CSV…"))
        if self._status is not None:
            message, values, colour = self._status
            self._set_status(message, values, colour)
        self.table.set_header_labels([tr(c) for c in CSV_COLUMNS[1:]])
        self._fill()

    def _fill(self) -> None:
        tr = self._lang.tr
        f = self.figures
        rows = [] if f is None else [*f.agents, f.total]
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            who = row.agent
            cells = [f"{who.display_name} ({who.username})" if who else tr(TOTAL_LABEL), row.visits, row.contacts,
                     ratio_text(row.contacts, row.visits), row.promises, row.promises_due, row.promises_kept,
                     ratio_text(row.promises_kept, row.promises_due), amount_cell(row.promised_amounts),
                     row.agreements, amount_cell(row.agreement_amounts), row.visits_with_exceptions,
                     *(row.exceptions.get(k, 0) for k in EXCEPTION_KINDS), *customer_cells(row)]
            for c, value in enumerate(cells):
                item = QTableWidgetItem(str(value))
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if who is None:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        self.table.fit_rows()
        groups = [] if f is None else [
            Group(a.agent.display_name if a.agent else "", (a.visits, a.contacts, a.promises_kept, a.agreements,
                                                            a.visits_with_exceptions)) for a in f.agents]
        self.chart.set_data([tr(s) for s in SERIES], groups,
                            tr("No figures yet: choose a period and press Show.") if f is None
                            else tr("No agents in this team."))


def amount_cell(amounts: dict[str, str]) -> str:
    """Sums per currency as money ("12,345.60 CNY"), one per line; a dash for none."""
    return "\n".join(money_text(value, currency) for currency, value in sorted(amounts.items())) or NONE


def date_edit(date: QDate, parent: QWidget, name: str) -> QDateEdit:
    edit = QDateEdit(date, parent)
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit
