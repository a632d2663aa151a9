"""Build the repayment plan with the customer: kind, amount, payments, first due date, and
a live schedule that is exactly what the agreement will say.

The arithmetic and the limits are `fieldapp.core.plans` (the schedule always sums to the
total to the cent); a broken limit is said inline in plain words (`plan_words`) while
the schedule stays visible, greyed and titled as not allowed, so the agent sees what to
change and never reads a refused plan as a good one. `plan()` is the plan when
it is allowed, else None; `changed` fires on every edit.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import QDate, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QDateEdit, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QRadioButton, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from fieldapp.core import clock as app_clock
from fieldapp.core.money import minor_units
from fieldapp.core.plans import Frequency, Instalment, Plan, PlanKind, PlanLimits
from fieldapp.ui.i18n import Language
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.visit.plan_words import FREQUENCY_LABELS, KIND_HINTS, KIND_LABELS, money, plan_problem, preview_rows
from fieldapp.ui.visit.style import BLOCK, MUTED, PASS, banner, scaled_font, wrapped_label


def _qdate(day: _dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> _dt.date:
    return _dt.date(day.year(), day.month(), day.day())


class PlanBuilder(QWidget):
    changed = Signal()

    def __init__(self, language: Language, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("planBuilder")
        self._lang = language
        self._currency = "CNY"
        self._amount_due = Decimal("0")
        self._agreed_on = app_clock.today(app_clock.local_zone())  # set_terms gives the real day
        self._limits = PlanLimits()
        self._plan: Plan | None = None
        self._rows: list[Instalment] = []
        self._problem: str | None = None
        self._loading = False

        self.kind_group = QButtonGroup(self)
        self.kind_buttons: dict[PlanKind, QRadioButton] = {}
        kinds = QHBoxLayout()
        for kind in PlanKind:
            button = QRadioButton(self)
            button.setObjectName(f"kind_{kind.value}")
            button.setFont(scaled_font(button, 1.1, bold=True))
            button.setMinimumHeight(36)
            self.kind_group.addButton(button)
            self.kind_buttons[kind] = button
            kinds.addWidget(button)
        kinds.addStretch(1)
        self.kind_hint = wrapped_label(self, "kindHint", colour=MUTED)

        self.due_label = QLabel(self)
        self.due_value = QLabel(self)
        self.due_value.setObjectName("amountDue")
        self.due_value.setFont(scaled_font(self.due_value, 1.1, bold=True))
        self.total_label = QLabel(self)
        self.total_edit = QLineEdit(self)
        self.total_edit.setObjectName("planTotal")
        self.count_label = QLabel(self)
        self.count_spin = QSpinBox(self)
        self.count_spin.setObjectName("planCount")
        self.frequency_label = QLabel(self)
        self.frequency_combo = QComboBox(self)
        self.frequency_combo.setObjectName("planFrequency")
        for frequency in Frequency:
            self.frequency_combo.addItem("", frequency.value)
        self.first_label = QLabel(self)
        self.first_edit = QDateEdit(self)
        self.first_edit.setObjectName("planFirstDue")
        self.first_edit.setCalendarPopup(True)
        self.first_edit.setDisplayFormat("yyyy-MM-dd")
        for widget in (self.total_edit, self.count_spin, self.frequency_combo, self.first_edit):
            widget.setMinimumHeight(36)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.due_label, self.due_value)
        form.addRow(self.total_label, self.total_edit)
        form.addRow(self.count_label, self.count_spin)
        form.addRow(self.frequency_label, self.frequency_combo)
        form.addRow(self.first_label, self.first_edit)
        self.problem_label = wrapped_label(self, "planProblem", factor=1.05)
        self.table = QTableWidget(0, 4, self)
        self.table.setObjectName("scheduleTable")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumWidth(380)
        self.sum_label = wrapped_label(self, "scheduleSum", bold=True)

        left = QVBoxLayout()
        left.addLayout(kinds)
        left.addWidget(self.kind_hint)
        left.addLayout(form)
        left.addWidget(self.problem_label)
        left.addStretch(1)
        right = QVBoxLayout()
        self.table_title = QLabel(self)
        self.table_title.setFont(scaled_font(self.table_title, 1.1, bold=True))
        right.addWidget(self.table_title)
        right.addWidget(self.table, 1)
        right.addWidget(self.sum_label)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, 1)
        layout.addLayout(right, 1)

        self.kind_group.buttonToggled.connect(lambda _b, on: on and self._kind_changed())
        self.total_edit.textChanged.connect(self.recompute)
        self.count_spin.valueChanged.connect(self.recompute)
        self.frequency_combo.currentIndexChanged.connect(self.recompute)
        self.first_edit.dateChanged.connect(self.recompute)
        language.changed.connect(self.retranslate)
        self.kind_buttons[PlanKind.INSTALMENTS].setChecked(True)
        self.retranslate()

    # ------------------------------------------------------------------ set up
    def configure(self, *, currency: str, amount_due: Decimal, agreed_on: _dt.date,
                  limits: PlanLimits | None = None, request: dict[str, Any] | None = None,
                  plan: Plan | None = None) -> None:
        """Start from the script's plan request (or a plan agreed earlier, when resuming)."""
        self._loading = True
        self._currency, self._amount_due, self._agreed_on = currency, amount_due, agreed_on
        self._limits = limits or PlanLimits()
        places = minor_units(currency)
        pattern = r"^\d{0,13}" + (r"(\.\d{0,%d})?$" % places if places else "$")
        self.total_edit.setValidator(QRegularExpressionValidator(QRegularExpression(pattern), self.total_edit))
        self.count_spin.setRange(1, self._limits.max_instalments)
        self.first_edit.setDateRange(_qdate(agreed_on), _qdate(agreed_on + _dt.timedelta(days=self._limits.max_deferral_days)))
        self.first_edit.setDate(_qdate(agreed_on + _dt.timedelta(days=min(30, self._limits.max_first_due_days))))
        self.frequency_combo.setCurrentIndex(self.frequency_combo.findData(Frequency.MONTHLY.value))
        self.total_edit.setText(format(amount_due, "f"))
        kind, count, first, total = PlanKind.INSTALMENTS, 6, None, None
        if plan is not None:
            kind, count, first, total = plan.kind, plan.count, plan.first_due, plan.total
            if plan.frequency:
                self.frequency_combo.setCurrentIndex(self.frequency_combo.findData(plan.frequency.value))
        elif request:
            kind = PlanKind(request.get("kind", "instalments"))
            count = int(request.get("count", 1 if kind is not PlanKind.INSTALMENTS else 6))
            first = request.get("first_due") or request.get("until") or request.get("due")
            total = request.get("amount")
        self.count_spin.setValue(count)
        if first:
            self.first_edit.setDate(_qdate(first if isinstance(first, _dt.date) else _dt.date.fromisoformat(first)))
        if total is not None:
            self.total_edit.setText(format(Decimal(str(total)), "f"))
        self.kind_buttons[kind].setChecked(True)
        self._loading = False
        self._kind_changed()

    # ------------------------------------------------------------------ reading
    def plan(self) -> Plan | None:
        return self._plan if self._problem is None else None

    def candidate(self) -> Plan | None:
        """The plan as entered, allowed or not (None when a field cannot be read)."""
        return self._plan

    def schedule(self) -> list[Instalment]:
        return list(self._rows)

    def problem(self) -> str | None:
        return self._problem

    def kind(self) -> PlanKind:
        return next(k for k, b in self.kind_buttons.items() if b.isChecked())

    # ------------------------------------------------------------------ reacting
    def _kind_changed(self) -> None:
        if self._loading:
            return
        kind = self.kind()
        self._loading = True
        if kind is PlanKind.LUMP_SUM:
            self.count_spin.setValue(1)
        elif kind is PlanKind.INSTALMENTS and self.count_spin.value() < 2:
            self.count_spin.setValue(6)
        if kind is not PlanKind.SETTLEMENT:
            self.total_edit.setText(format(self._amount_due, "f"))
        self._loading = False
        self.recompute()

    def recompute(self, *_: object) -> None:
        if self._loading:
            return
        kind = self.kind()
        self.count_spin.setEnabled(kind is not PlanKind.LUMP_SUM)
        self.total_edit.setReadOnly(kind is not PlanKind.SETTLEMENT)
        self.frequency_combo.setEnabled(self.count_spin.value() > 1)
        self._plan, self._rows, self._problem = None, [], None
        try:
            total = Decimal(self.total_edit.text().strip() or "0")
        except InvalidOperation:
            total = Decimal("0")
        count = self.count_spin.value()
        frequency = Frequency(self.frequency_combo.currentData()) if count > 1 else None
        plan = Plan(kind=kind, currency=self._currency, amount_due=self._amount_due, total=total,
                    first_due=_pydate(self.first_edit.date()), count=count, frequency=frequency)
        self._plan = plan
        problem, rows = plan_problem(plan, self._agreed_on, self._limits, self._lang)
        self._problem = problem
        self._rows = rows or preview_rows(plan)
        self._show()
        emit(self.changed)

    def _show(self) -> None:
        tr, cur = self._lang.tr, self._currency
        self.kind_hint.setText(tr(KIND_HINTS[self.kind()]))
        self.due_value.setText(money(self._amount_due, cur))
        if self._problem:
            self.problem_label.setText(self._problem)
            banner(self.problem_label, BLOCK)
        else:
            self.problem_label.setText(tr("This plan is within the limits."))
            banner(self.problem_label, PASS)
        rows = self._rows
        self.table.setRowCount(len(rows))
        balance = self._plan.total if self._plan else Decimal(0)
        for r, row in enumerate(rows):
            balance -= row.amount
            cells = (str(row.number), row.due.isoformat(), money(row.amount, cur), money(balance, cur))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                align = Qt.AlignmentFlag.AlignRight if c >= 2 else Qt.AlignmentFlag.AlignLeft
                item.setTextAlignment(align | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        total = sum((r.amount for r in rows), Decimal(0))
        self.table.setEnabled(not self._problem)
        self.table_title.setText(tr("Payment schedule (not allowed as it stands)") if self._problem
                                 else tr("Payment schedule"))
        if self._problem:
            self.sum_label.setText(tr("This schedule cannot be agreed as it stands: see the problem on the left."))
            self.sum_label.setStyleSheet(f"color: {BLOCK};")
        elif rows and self._plan is not None and total == self._plan.total:
            self.sum_label.setText(tr("{count} payments, total {total}: exactly the agreed total.",
                                      count=len(rows), total=money(total, cur)))
            self.sum_label.setStyleSheet(f"color: {PASS};")
        else:
            self.sum_label.setText(tr("No schedule yet."))
            self.sum_label.setStyleSheet(f"color: {MUTED};")

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        for kind, button in self.kind_buttons.items():
            button.setText(tr(KIND_LABELS[kind]))
        for i in range(self.frequency_combo.count()):
            self.frequency_combo.setItemText(i, tr(FREQUENCY_LABELS[Frequency(self.frequency_combo.itemData(i))]))
        self.due_label.setText(tr("Amount due"))
        self.total_label.setText(tr("Agreed total"))
        self.total_edit.setToolTip(tr("Only a settlement may agree less than the amount due"))
        self.count_label.setText(tr("Number of payments"))
        self.frequency_label.setText(tr("How often"))
        self.first_label.setText(tr("First payment due"))
        self.table.setHorizontalHeaderLabels([tr("No."), tr("Due date"), tr("Amount"), tr("Balance after")])
        if self._plan is not None:  # the inline problem is worded in the new language too
            self._problem, _ = plan_problem(self._plan, self._agreed_on, self._limits, self._lang)
        self._show()
