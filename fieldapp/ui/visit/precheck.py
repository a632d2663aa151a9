"""The pre-visit check: who, where, when, and whether the policy lets the visit start.

A blocked visit cannot start; the reasons are shown, rule by rule, above everything.
Times are the appointment's in the customer's own zone, which is what the rules judge.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from fieldapp.core.money import Money
from fieldapp.ui.formatting import window_text
from fieldapp.ui.i18n import Language
from fieldapp.ui.visit.decision_view import DecisionView
from fieldapp.ui.visit.flow_state import FlowState
from fieldapp.ui.visit.style import fill_with_scrolled, scaled_font, wrapped_label


class PrecheckPage(QWidget):
    def __init__(self, language: Language, state: FlowState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("precheckPage")
        self._lang = language
        self._state = state
        self.titles: dict[str, QLabel] = {}
        self.values: dict[str, QLabel] = {}
        form = QFormLayout()
        for key in ("customer", "address", "case", "appointment", "policy"):
            self.titles[key] = QLabel(self)
            self.values[key] = wrapped_label(self, f"case_{key}")
            form.addRow(self.titles[key], self.values[key])
        self.values["customer"].setFont(scaled_font(self, 1.3, bold=True))
        self.rules_title = QLabel(self)
        self.rules_title.setFont(scaled_font(self, 1.1, bold=True))
        self.decision_view = DecisionView(language, self)
        content = QWidget(self)
        column = QVBoxLayout(content)
        column.addLayout(form)
        column.addWidget(self.rules_title)
        column.addWidget(self.decision_view, 1)
        fill_with_scrolled(self, content)
        language.changed.connect(self.retranslate)
        self.retranslate()

    def retranslate(self, *_: object) -> None:
        tr, state = self._lang.tr, self._state
        case = state.setup.case
        self.titles["customer"].setText(tr("Customer"))
        self.titles["address"].setText(tr("Address"))
        self.titles["case"].setText(tr("Case"))
        self.titles["appointment"].setText(tr("Appointment"))
        self.titles["policy"].setText(tr("Policy"))
        self.values["customer"].setText(case.customer.name)
        self.values["address"].setText(case.customer.address)
        amount = str(Money(Decimal(case.amount_due), case.currency))
        self.values["case"].setText(tr("{reference} · {amount} · {days} days past due",
                                       reference=case.reference, amount=amount, days=case.days_past_due))
        appt = case.appointment
        if appt is None:
            self.values["appointment"].setText(tr("No appointment"))
        else:
            self.values["appointment"].setText(tr("{window}, the customer's time", window=window_text(
                appt.start, appt.end, case.customer.timezone)))
        policy = state.setup.policy
        self.values["policy"].setText(f"{policy.id} {policy.version}")
        self.rules_title.setText(tr("Checks before the visit"))
        self.decision_view.set_decision(state.planning, state.case_problems())
