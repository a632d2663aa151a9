"""One signer's page: who signs and what, the pad, and clear / undo.

Each stroke ends with the signature handed to the flow, which checks it as the
agreement will (a real PNG with visible ink); an empty pad leaves the step unfinished.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from fieldapp.core.errors import BadInput
from fieldapp.core.money import Money
from fieldapp.ui.formatting import time_text
from fieldapp.ui.i18n import Language
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.visit.flow_state import FlowState
from fieldapp.ui.visit.signature_pad import SignaturePad
from fieldapp.ui.visit.style import BLOCK, MUTED, PASS, scaled_font, wrapped_label


class SignPage(QWidget):
    changed = Signal()

    def __init__(self, language: Language, state: FlowState, role: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"signPage_{role}")
        self._lang = language
        self._state = state
        self.role = role
        self._error: str | None = None
        self.who = wrapped_label(self, "signer", factor=1.4, bold=True)
        self.what = wrapped_label(self, "signWhat", factor=1.1)
        self.pad = SignaturePad(language, self, clock=state.setup.clock)
        self.pad.setObjectName(f"pad_{role}")
        self.status = wrapped_label(self, "signStatus")
        self.undo_button = QPushButton(self)
        self.undo_button.setObjectName("undoStroke")
        self.clear_button = QPushButton(self)
        self.clear_button.setObjectName("clearPad")
        for button in (self.undo_button, self.clear_button):
            button.setMinimumHeight(40)
        self.undo_button.clicked.connect(self.pad.undo)
        self.clear_button.clicked.connect(self.pad.clear)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.who)
        layout.addWidget(self.what)
        layout.addWidget(self.pad, 1)
        layout.addLayout(buttons)
        self.pad.changed.connect(self._signed)
        language.changed.connect(self.retranslate)
        self.retranslate()

    def load(self) -> None:
        """Show the signature the state holds (a resumed visit), or an empty pad."""
        sig = self._state.signatures.get(self.role)
        self.pad.blockSignals(True)
        if sig is None:
            self.pad.clear()
        else:
            self.pad.restore(sig.png, sig.captured_at)
        self.pad.blockSignals(False)
        self.retranslate()

    def _signed(self) -> None:
        state, pad = self._state, self.pad
        self._error = None
        if pad.is_empty():
            state.clear_signature(self.role)
        else:
            try:
                state.set_signature(self.role, pad.to_png(), pad.captured_at(), pad.handwriting())
            except BadInput as exc:
                state.clear_signature(self.role)
                self._error = exc.reason
        self.retranslate()
        emit(self.changed)

    def retranslate(self, *_: object) -> None:
        tr, state = self._lang.tr, self._state
        case = state.setup.case
        if self.role == "customer":
            self.who.setText(tr("Customer: {name}", name=case.customer.name))
        else:
            self.who.setText(tr("Agent: {name} ({id})", name=state.setup.agent_name, id=state.setup.agent_id))
        plan = state.plan
        if plan is not None:
            total = str(Money(Decimal(plan.total), plan.currency))
            self.what.setText(tr("By signing you agree to the repayment plan: {count} payment(s), "
                                 "{total} in total, the first on {date}.",
                                 count=plan.count, total=total, date=plan.first_due.isoformat()))
        self.undo_button.setText(tr("Undo last stroke"))
        self.clear_button.setText(tr("Clear"))
        sig = state.signatures.get(self.role)
        if self._error:
            self.status.setText(self._error)
            self.status.setStyleSheet(f"color: {BLOCK};")
        elif sig is not None:
            self.status.setText(tr("Signed at {time}", time=time_text(sig.captured_at, case.customer.timezone,
                                                                       seconds=True)))
            self.status.setStyleSheet(f"color: {PASS};")
        else:
            self.status.setText(tr("Not signed yet"))
            self.status.setStyleSheet(f"color: {MUTED};")
        self.status.setFont(scaled_font(self, 1.05, bold=sig is not None))
