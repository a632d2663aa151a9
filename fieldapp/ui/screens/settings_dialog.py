"""Settings: the language; and, shown but not edited here, the server, the account and the
creditor printed on repayment agreements.

The server address and the user name change by signing out and in again (which also
guards unsent work of another account). The creditor is the institution's, set once on
the server by an administrator and received by every laptop at sync; a name typed on this
laptop by an earlier version is shown while the server has sent none (it is used until then).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.context import AppContext
from fieldapp.ui.widgets.language import LanguageCombo


class SettingsDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, note: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self._ctx = ctx
        self._lang = ctx.language
        self.setMinimumWidth(520)
        settings = ctx.settings
        self.note = QLabel(self)
        self.note.setObjectName("settingsNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #8a6100;")
        self._note = note
        self.language_combo = LanguageCombo(ctx.language, self)
        self.server = QLabel(settings.server_url or "—", self)
        self.server.setObjectName("settingsServer")
        self.account = QLabel(settings.username or "—", self)
        self.account.setObjectName("settingsUser")
        self.creditor = QLabel(self)
        self.creditor.setObjectName("settingsCreditor")
        self.creditor.setWordWrap(True)
        self.creditor_note = QLabel(self)
        self.creditor_note.setObjectName("settingsCreditorNote")
        self.creditor_note.setWordWrap(True)
        self.creditor_note.setStyleSheet("color: #5f6368;")
        self.institution: Any = None  # InstitutionInfo, once read from the store
        self.titles = [QLabel(self) for _ in range(4)]
        form = QFormLayout()
        for title, field in zip(self.titles, (self.language_combo, self.server, self.account, self.creditor),
                                strict=True):
            form.addRow(title, field)
        form.addRow("", self.creditor_note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.buttons.rejected.connect(self.reject)
        self.buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._lang.changed.connect(self.retranslate)
        self.retranslate()
        service = ctx.service
        if service is not None and hasattr(service, "institution"):
            (ctx.tasks.db(service.institution, label="institution").with_parent(self)
             .success(self._set_institution).failure(lambda _exc: None).start())

    def _set_institution(self, info: Any) -> None:
        self.institution = info
        self.retranslate()
        self.adjustSize()  # the creditor's lines arrived after the dialog was laid out

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.setWindowTitle(tr("Settings"))
        self.note.setText(tr(self._note) if self._note else "")
        self.note.setVisible(bool(self._note))
        for title, text in zip(self.titles, (tr("Language"), tr("Server"), tr("User"), tr("Creditor")),
                               strict=True):
            title.setText(text)
        info, settings = self.institution, self._ctx.settings
        if info is not None:
            lines = [" · ".join(dict.fromkeys(info.name(lang) for lang in ("zh_CN", "en")))]
            address = info.address(self._lang.code)
            lines += [address] if address else []
            lines += [tr("Registration number: {number}", number=info.registration)] if info.registration else []
            self.creditor.setText("\n".join(lines))
            self.creditor_note.setText(tr("Set by the administrator on the server; every laptop receives it "
                                          "at sync. Agreements and scripts name the creditor so."))
        elif settings.institution_name.strip():
            self.creditor.setText(settings.institution_name)
            self.creditor_note.setText(tr("Typed on this laptop before the server sent the institution's "
                                          "details; used until the next sync brings them."))
        else:
            self.creditor.setText("—")
            self.creditor_note.setText(tr("Not received yet: sync once. An administrator sets it on the server."))
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("Close"))
