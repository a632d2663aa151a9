"""Settings: the language, and the creditor printed on repayment agreements.

The server address and the user name are shown, not edited here: they change by
signing out and in again (which also guards unsent work of another account).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
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
        self.institution_name = QLineEdit(settings.institution_name, self)
        self.institution_name.setObjectName("institutionName")
        self.institution_address = QLineEdit(settings.institution_address, self)
        self.institution_address.setObjectName("institutionAddress")
        self.institution_registration = QLineEdit(settings.institution_registration, self)
        self.institution_registration.setObjectName("institutionRegistration")
        self.titles = [QLabel(self) for _ in range(6)]
        form = QFormLayout()
        for title, field in zip(self.titles, (self.language_combo, self.server, self.account, self.institution_name,
                                              self.institution_address, self.institution_registration), strict=True):
            form.addRow(title, field)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._lang.changed.connect(self.retranslate)
        self.retranslate()

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.setWindowTitle(tr("Settings"))
        self.note.setText(tr(self._note) if self._note else "")
        self.note.setVisible(bool(self._note))
        for title, text in zip(self.titles, (tr("Language"), tr("Server"), tr("User"), tr("Creditor's name"),
                                             tr("Creditor's address"), tr("Registration number")), strict=True):
            title.setText(text)
        self.institution_name.setPlaceholderText(tr("As printed on repayment agreements"))
        self.institution_address.setPlaceholderText(tr("Optional"))
        self.institution_registration.setPlaceholderText(tr("Optional"))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(tr("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))

    def accept(self) -> None:
        settings = self._ctx.settings
        settings.institution_name = self.institution_name.text().strip()
        settings.institution_address = self.institution_address.text().strip()
        settings.institution_registration = self.institution_registration.text().strip()
        try:
            self._ctx.save_settings()
        except OSError:
            pass
        super().accept()
