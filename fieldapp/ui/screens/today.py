"""Today: the day's visits in driving order, each with its compliance light and why, the
total distance, and the visits the team lead returned (tasks) with the lead's comment.

The order is `fieldapp.geo.route` (appointment windows first, then geodesic distance), or
the agent's own order once dragged on the day's map (kept on this laptop per day);
the lights are the policy engine's planning check of each case, so an amber warning or a
red block is explained by the rule's own sentence. Gathered on the database worker
(`fieldapp.ui.case_data.load_day`); this module only draws.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.appointment_words import CUSTOMER_TASKS, customer_task_text, state_text
from fieldapp.ui.case_data import DayPlan
from fieldapp.ui.context import AppContext
from fieldapp.ui.formatting import distance_text, money_text, time_text, window_text
from fieldapp.ui.i18n import N_
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.widgets.compliance import COLOURS, ComplianceState, compliance_icon

CASE_ROLE = Qt.ItemDataRole.UserRole + 1
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
            N_("Saturday"), N_("Sunday"))
STATE_WORDS = {
    ComplianceState.ALLOWED: N_("Allowed"),
    ComplianceState.WARNING: N_("Warning"),
    ComplianceState.BLOCKED: N_("Blocked"),
    ComplianceState.UNKNOWN: N_("Not checked"),
}
HEADERS = (N_("Order"), N_("Time"), N_("Customer"), N_("Address"), N_("From previous"), N_("Check"), N_("Why"))


def day_text(day: dt.date, tr: Any) -> str:
    return tr("{weekday} {date}", weekday=tr(WEEKDAYS[day.weekday()]), date=day.isoformat())


class TodayScreen(QWidget):
    case_activated = Signal(str)
    loaded = Signal(object)  # the DayPlan, once drawn

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *,
                 rows: Callable[[], Sequence[Any]] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("todayScreen")
        self._ctx = ctx
        self._rows = rows  # the case list already read, when the window has it
        self._lang = ctx.language
        self._day: dt.date | None = None
        self.plan: DayPlan | None = None

        arrows = self.style()
        self.previous_button = QPushButton(arrows.standardIcon(QStyle.StandardPixmap.SP_ArrowBack), "", self)
        self.previous_button.setObjectName("previousDay")
        self.today_button = QPushButton(self)
        self.today_button.setObjectName("todayButton")
        self.next_button = QPushButton(arrows.standardIcon(QStyle.StandardPixmap.SP_ArrowForward), "", self)
        self.next_button.setObjectName("nextDay")
        for button in (self.previous_button, self.next_button):
            button.setFixedWidth(40)
        self.previous_button.clicked.connect(lambda: self.show_day(self.day - dt.timedelta(days=1)))
        self.next_button.clicked.connect(lambda: self.show_day(self.day + dt.timedelta(days=1)))
        self.today_button.clicked.connect(lambda: self.show_day(None))
        self.title = QLabel(self)
        self.title.setObjectName("dayTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.summary = QLabel(self)
        self.summary.setObjectName("daySummary")
        self.summary.setWordWrap(True)

        self.route = QTreeWidget(self)
        self.route.setObjectName("routeList")
        self.route.setColumnCount(len(HEADERS))
        self.route.setRootIsDecorated(False)
        self.route.setUniformRowHeights(False)
        self.route.setWordWrap(True)
        self.route.setAlternatingRowColors(True)
        self.route.setStyleSheet("QTreeWidget::item { padding: 4px 2px; }")
        self.route.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.route.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.route.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Interactive)
        self.route.itemActivated.connect(self._on_item)
        self.route.itemDoubleClicked.connect(self._on_item)

        self.empty = QLabel(self)
        self.empty.setObjectName("dayEmpty")
        self.empty.setWordWrap(True)
        self.jump_button = QPushButton(self)
        self.jump_button.setObjectName("jumpToNext")
        self.jump_button.clicked.connect(self._jump)
        self.map_button = QPushButton(self)
        self.map_button.setObjectName("dayMapButton")
        self.map_button.clicked.connect(self.open_map)
        self.map_dialog: Any = None

        self.tasks_title = QLabel(self)
        self.tasks_title.setObjectName("tasksTitle")
        bold = self.tasks_title.font()
        bold.setBold(True)
        bold.setPointSizeF(bold.pointSizeF() * 1.15)
        self.tasks_title.setFont(bold)
        self.tasks = QListWidget(self)
        self.tasks.setObjectName("taskList")
        self.tasks.setWordWrap(True)
        self.tasks.setMaximumHeight(160)
        self.tasks.itemActivated.connect(self._on_task)
        self.tasks.itemDoubleClicked.connect(self._on_task)

        nav = QHBoxLayout()
        nav.addWidget(self.previous_button)
        nav.addWidget(self.today_button)
        nav.addWidget(self.next_button)
        nav.addSpacing(12)
        nav.addWidget(self.title, 1)
        nav.addWidget(self.map_button)
        empty_row = QHBoxLayout()
        empty_row.addWidget(self.empty, 1)
        empty_row.addWidget(self.jump_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(nav)
        layout.addWidget(self.summary)
        layout.addLayout(empty_row)
        layout.addWidget(self.route, 1)
        layout.addWidget(self.tasks_title)
        layout.addWidget(self.tasks)
        # Takes the free space when there is no route to show, so the day's navigator stays
        # at the top instead of floating in the middle of an empty screen.
        layout.addStretch(0)
        self._layout = layout
        self._lang.changed.connect(self.retranslate)
        self.retranslate()

    # ------------------------------------------------------------------ public
    @property
    def day(self) -> dt.date:
        return self._day or self.today()

    def today(self) -> dt.date:
        """The agent's date now (this computer's zone), by the app's clock."""
        return self._ctx.today()

    def show_day(self, day: dt.date | None) -> None:
        """Show `day` (None: today) and load it."""
        self._day = day
        self.reload()

    def reload(self) -> None:
        if self._ctx.service is None:
            return
        from fieldapp.ui.case_data import load_day

        rows = list(self._rows()) if self._rows is not None else None
        (self._ctx.tasks.db(load_day, self._ctx.service, self.day, self._lang.code, rows=rows,
                            fallback_zone=self._ctx.local_zone, label="load_day")
         .with_parent(self)
         .success(self._on_loaded)
         .start())

    def clear(self) -> None:
        self.plan = None
        self.retranslate()

    def open_map(self) -> Any:
        """The day's route on a map, beside the stops in an order the agent can drag."""
        from fieldapp.ui.map.day_map import DayMapDialog

        if self.plan is None:
            return None
        dialog = DayMapDialog(self._ctx, self.plan, self)
        self.map_dialog = dialog
        dialog.map.order_saved.connect(self.reload)
        dialog.map.case_activated.connect(lambda case_id: (dialog.accept(), emit(self.case_activated, case_id)))
        dialog.finished.connect(lambda _r: (setattr(self, "map_dialog", None), dialog.deleteLater()))
        dialog.open()
        return dialog

    def case_ids(self) -> list[str]:
        """The cases in route order, as shown."""
        return [self.route.topLevelItem(i).data(0, CASE_ROLE) for i in range(self.route.topLevelItemCount())]

    # ------------------------------------------------------------------ internals
    def _on_loaded(self, plan: DayPlan) -> None:
        if plan.day != self.day:
            return  # the agent moved on to another day meanwhile
        self.plan = plan
        self.retranslate()
        emit(self.loaded, plan)

    def _on_item(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        case_id = item.data(0, CASE_ROLE)
        if case_id:
            emit(self.case_activated, case_id)

    def _on_task(self, item: QListWidgetItem) -> None:
        case_id = item.data(CASE_ROLE)
        if case_id:
            emit(self.case_activated, case_id)

    def _jump(self) -> None:
        if self.plan is not None and self.plan.next_day is not None:
            self.show_day(self.plan.next_day)

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.today_button.setText(tr("Today"))
        self.today_button.setToolTip(tr("Back to today"))
        self.previous_button.setToolTip(tr("Previous day"))
        self.next_button.setToolTip(tr("Next day"))
        self.map_button.setText(tr("Map of the day…"))
        self.map_button.setEnabled(bool(self.plan is not None and self.plan.stops))
        title = day_text(self.day, tr)
        self.title.setText(tr("Today, {day}", day=title) if self.day == self.today() else title)
        self.route.setHeaderLabels([tr(h) for h in HEADERS])
        self._fill_route()
        self._fill_tasks()

    def _fill_route(self) -> None:
        tr, plan = self._lang.tr, self.plan
        self.route.clear()
        stops = plan.stops if plan is not None else []
        for number, stop in enumerate(stops, 1):
            state = stop.verdict.state
            reasons = stop.verdict.reasons(self._lang.code, tr)
            record = stop.record
            if getattr(stop.row, "open_tasks", 0):
                reasons = [tr("Visit returned: see the lead's comment below.")] + reasons
            elif stop.visited:
                reasons = [tr("Visit recorded.")] + reasons
            answer = state_text(record.appointment, tr)
            item = QTreeWidgetItem([
                f"{number} ✓" if stop.visited else str(number),
                window_text(stop.start, stop.end, stop.timezone, with_date=False) + (f"\n{answer}" if answer else ""),
                f"{record.customer.name}\n{record.reference} · {money_text(record.amount_due, record.currency)}",
                record.customer.address,
                distance_text(stop.distance_m) if number > 1 or stop.distance_m is not None else "",
                tr(STATE_WORDS[state]), "\n".join(reasons)])
            item.setData(0, CASE_ROLE, record.id)
            item.setIcon(5, compliance_icon(state))
            item.setForeground(5, _brush(COLOURS[state]))
            item.setToolTip(6, "\n".join(reasons))
            item.setToolTip(3, record.customer.address)
            item.setTextAlignment(4, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.route.addTopLevelItem(item)
        self.route.setColumnWidth(3, 260)
        self.route.setVisible(bool(stops))
        self._layout.setStretch(self._layout.count() - 1, 0 if stops else 1)

        if plan is None:
            self.summary.setText(tr("Loading the day…") if self._ctx.service is not None else "")
            self.summary.setVisible(bool(self.summary.text()))
            self.empty.hide()
            self.jump_button.hide()
            return
        if stops:
            blocked = sum(s.verdict.state is ComplianceState.BLOCKED for s in stops)
            text = tr("{count} visits · route {distance}", count=len(stops), distance=distance_text(plan.total_m))
            if not plan.complete:
                text += " " + tr("(some addresses have no map position; their legs are not counted)")
            if blocked:
                text += " · " + tr("{count} blocked: see why before you go", count=blocked)
            overlapping = {case_id for pair in plan.overlaps for case_id in pair}
            if overlapping:
                text += " · " + tr("{count} visits are booked at overlapping times", count=len(overlapping))
            self.summary.setText(text)
            self.empty.hide()
            self.jump_button.hide()
        else:
            self.summary.setText("")
            self.empty.show()
            self.empty.setText(tr("No visits booked for this day."))
            self.jump_button.setVisible(plan.next_day is not None)
            if plan.next_day is not None:
                self.jump_button.setText(tr("Next visits: {day} ({count})", day=day_text(plan.next_day, tr),
                                            count=plan.next_count))

        self.summary.setVisible(bool(self.summary.text()))

    def _fill_tasks(self) -> None:
        tr, plan = self._lang.tr, self.plan
        self.tasks.clear()
        tasks = plan.tasks if plan is not None else []
        for task, row in tasks:
            who = row.customer_name if row is not None else task.case_id
            reference = row.reference if row is not None else ""
            if task.kind in CUSTOMER_TASKS:
                text = customer_task_text(task, who, reference, getattr(row, "timezone", None), tr)
                tip = tr("Open the case to answer the customer")
            else:
                text = tr("Visit returned by {lead} on {date}: {reference} {customer}\n“{comment}”",
                          lead=task.created_by or tr("the team lead"), date=time_text(task.created_at, self._ctx.zone()),
                          reference=reference, customer=who, comment=task.comment)
                tip = tr("Open the case to correct the visit")
            item = QListWidgetItem(compliance_icon(ComplianceState.WARNING), text)
            item.setData(CASE_ROLE, task.case_id)
            item.setToolTip(tip)
            self.tasks.addItem(item)
        if all(task.kind not in CUSTOMER_TASKS for task, _row in tasks):
            self.tasks_title.setText(tr("Returned visits to correct ({count})", count=len(tasks)))
        else:
            self.tasks_title.setText(tr("Tasks ({count})", count=len(tasks)))
        self.tasks_title.setVisible(bool(tasks))
        self.tasks.setVisible(bool(tasks))


def _brush(colour: str) -> Any:
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(colour).darker(115))
