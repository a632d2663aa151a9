"""Call or message the customer through the laptop's phone handler (`tel:` / `sms:`, a
softphone or a paired phone), then log the attempt with the result the agent chose.

Every attempt goes through the outbox to the server, and the policy's limit on contact
attempts (visits, calls and messages together) counts it at once: the sentence above the
buttons is that rule's, so the agent sees how many contacts are left before calling.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QSizePolicy,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.context import AppContext
from fieldapp.ui.errors import describe
from fieldapp.ui.formatting import time_text
from fieldapp.ui.i18n import N_
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.visit.style import BLOCK, MUTED, PASS

CHANNEL_LABELS = {"call": N_("Call"), "sms": N_("Message")}
RESULT_LABELS = {
    "answered": N_("Call answered"), "no_answer": N_("No answer"), "busy": N_("Busy"),
    "voicemail": N_("Voicemail"), "wrong_number": N_("Wrong number"),
    "sent": N_("Sent"), "not_sent": N_("Not sent"),
}
RESULTS = {"call": ("answered", "no_answer", "busy", "voicemail", "wrong_number"), "sms": ("sent", "not_sent")}


def dial_string(phone: str | None) -> str:
    """The number as a tel:/sms: URL takes it: digits and a leading +."""
    if not phone:
        return ""
    kept = "".join(ch for ch in phone if ch.isdigit())
    return ("+" + kept) if phone.strip().startswith("+") else kept


class ContactDialog(QDialog):
    logged = Signal(str)  # attempt id

    def __init__(self, ctx: AppContext, view: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contactDialog")
        self._ctx, self._lang, self.view = ctx, ctx.language, view
        self.channel: str | None = None
        self.handled: bool | None = None  # whether the system took the last tel:/sms: link
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.limit = QLabel(self)
        self.limit.setObjectName("contactLimit")
        self.limit.setWordWrap(True)
        # wrapped sentences keep their height; the empty space goes to the history list
        for label in (self.intro, self.limit):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.call_button = QPushButton(self)
        self.call_button.setObjectName("callButton")
        self.call_button.setMinimumHeight(40)
        self.call_button.clicked.connect(lambda: self.start("call"))
        self.sms_button = QPushButton(self)
        self.sms_button.setObjectName("smsButton")
        self.sms_button.setMinimumHeight(40)
        self.sms_button.clicked.connect(lambda: self.start("sms"))
        self.status = QLabel(self)
        self.status.setObjectName("contactStatus")
        self.status.setWordWrap(True)
        self.result_box = QGroupBox(self)
        self.result_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.result_layout = QVBoxLayout(self.result_box)
        self.results = QButtonGroup(self)
        self.radios: dict[str, QRadioButton] = {}
        for key in RESULT_LABELS:
            radio = QRadioButton(self.result_box)
            radio.setObjectName(f"result_{key}")
            self.radios[key] = radio
            self.results.addButton(radio)
            self.result_layout.addWidget(radio)
        self.note = QLineEdit(self.result_box)
        self.note.setObjectName("contactNote")
        self.note.setMaxLength(1000)
        self.result_layout.addWidget(self.note)
        self.log_button = QPushButton(self.result_box)
        self.log_button.setObjectName("logAttempt")
        self.log_button.clicked.connect(self.log)
        self.result_layout.addWidget(self.log_button)
        self.results.buttonToggled.connect(lambda *_: self._enable())
        self.history_title = QLabel(self)
        self.history = QListWidget(self)
        self.history.setObjectName("contactHistory")
        self.history.setMinimumHeight(110)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.buttons.rejected.connect(self.reject)

        row = QHBoxLayout()
        row.addWidget(self.call_button)
        row.addWidget(self.sms_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.limit)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.result_box)
        layout.addWidget(self.history_title)
        layout.addWidget(self.history, 1)
        layout.addWidget(self.buttons)
        self.resize(560, 620)
        self._lang.changed.connect(self.retranslate)
        self.retranslate()

    # ------------------------------------------------------------------ actions
    def start(self, channel: str) -> bool:
        """Hand the number to the system's phone handler; the result is logged afterwards."""
        number = dial_string(self.view.record.customer.phone)
        self.channel = channel
        self.handled = bool(number) and QDesktopServices.openUrl(QUrl(f"{'tel' if channel == 'call' else 'sms'}:{number}"))
        for key, radio in self.radios.items():
            radio.setVisible(key in RESULTS[channel])
        self.results.setExclusive(False)
        for radio in self.radios.values():
            radio.setChecked(False)
        self.results.setExclusive(True)
        self.retranslate()
        return self.handled

    def choose(self, result: str) -> None:
        self.radios[result].setChecked(True)

    def chosen(self) -> str | None:
        for key, radio in self.radios.items():
            if radio.isChecked() and self.channel is not None and key in RESULTS[self.channel]:
                return key
        return None

    def log(self) -> None:
        result, service = self.chosen(), self._ctx.service
        if self.channel is None or result is None or service is None:
            return
        case_id = self.view.record.id
        self.log_button.setEnabled(False)
        (self._ctx.tasks.db(service.log_contact, case_id, self.channel, result, self.note.text(),
                            label="log_contact")
         .with_parent(self).success(self._logged).failure(self._failed).start())

    def _logged(self, attempt_id: str) -> None:
        from fieldapp.ui.case_data import load_case_view

        self.channel, self.handled = None, None
        self.note.clear()
        self._say(self._lang.tr("Logged. It is sent with the next sync."), PASS)
        emit(self.logged, attempt_id)
        (self._ctx.tasks.db(load_case_view, self._ctx.service, self.view.record.id, self._lang.code,
                            label="load_case")
         .with_parent(self).success(self._reloaded).start())

    def _reloaded(self, view: Any) -> None:
        self.view = view
        self.retranslate(keep_status=True)

    def _failed(self, exc: Exception) -> None:
        self._say(describe(exc, self._lang).message, BLOCK)
        self._enable()

    # ------------------------------------------------------------------ text
    def _say(self, text: str, colour: str) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {colour};")

    def _enable(self) -> None:
        self.log_button.setEnabled(self.chosen() is not None)

    def limit_text(self) -> tuple[str, str]:
        """The policy's sentence on contact attempts, and its colour."""
        from fieldapp.policy.messages import render

        decision = getattr(self.view.verdict, "decision", None)
        tr = self._lang.tr
        if decision is None:
            return tr("The policy could not be checked for this case."), MUTED
        for r in decision.results:
            if r.rule == "frequency.attempts":
                text = render(r.code, r.facts, self._lang.code)
                if r.passed:
                    return text, MUTED
                return tr("The next visit is blocked: {reason}", reason=text), BLOCK
        return tr("This policy sets no limit on calls and messages; each one is still logged."), MUTED

    def retranslate(self, *_: object, keep_status: bool = False) -> None:
        tr = self._lang.tr
        cust = self.view.record.customer
        phone = cust.phone or tr("no number")
        self.setWindowTitle(tr("Call or message the customer"))
        self.intro.setText(tr("{customer} ({reference}), {phone}. Each call or message is logged as a contact "
                              "attempt; the policy limits how many the customer may receive.",
                              customer=cust.name, reference=self.view.record.reference, phone=phone))
        text, colour = self.limit_text()
        self.limit.setText(text)
        self.limit.setStyleSheet(f"color: {colour};")
        self.call_button.setText(tr("Call {phone}", phone=phone))
        self.sms_button.setText(tr("Send a message"))
        self.call_button.setEnabled(bool(cust.phone))
        self.sms_button.setEnabled(bool(cust.phone))
        for key, radio in self.radios.items():
            radio.setText(tr(RESULT_LABELS[key]))
            radio.setVisible(self.channel is not None and key in RESULTS[self.channel])
        self.note.setPlaceholderText(tr("A note for the record (optional, no personal numbers)"))
        self.log_button.setText(tr("Log this attempt"))
        self.result_box.setEnabled(self.channel is not None)
        self.result_box.setTitle(tr("Result of the call") if self.channel == "call" else
                                 tr("Result of the message") if self.channel == "sms" else tr("Result"))
        if not keep_status:
            if self.channel is None:
                self._say(tr("Choose Call or Send a message; then log what happened."), MUTED)
            elif self.handled:
                self._say(tr("Handed to the laptop's phone app. When you are done, choose the result and "
                             "log it."), MUTED)
            else:
                self._say(tr("No phone app on this laptop opens {kind} links. Use your phone to reach "
                             "{phone}, then choose the result and log it here.",
                             kind="tel:" if self.channel == "call" else "sms:", phone=phone), BLOCK)
        self._enable()
        self.history_title.setText(tr("Calls and messages"))
        self.history.clear()
        zone = cust.timezone
        for a in sorted(self.view.record.contact_attempts, key=lambda a: a.at, reverse=True):
            self.history.addItem(f"{time_text(a.at, zone)} · {tr(CHANNEL_LABELS[a.channel])} · "
                                 f"{tr(RESULT_LABELS[a.result])}")
        if not self.view.record.contact_attempts:
            self.history.addItem(tr("None yet"))
