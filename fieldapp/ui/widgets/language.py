"""A drop-down to switch the UI language live. Each language is listed in its own name."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

from fieldapp.ui.i18n import LANGUAGE_NAMES, Language


class LanguageCombo(QComboBox):
    def __init__(self, language: Language, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lang = language
        self.setObjectName("languageCombo")
        for code in language.codes:
            self.addItem(LANGUAGE_NAMES.get(code, code), code)
        self._sync_to(language.code)
        self.currentIndexChanged.connect(self._on_chosen)
        language.changed.connect(self._sync_to)
        self.retranslate()
        language.changed.connect(self.retranslate)

    def retranslate(self, *_: object) -> None:
        self.setToolTip(self._lang.tr("Language"))

    def _sync_to(self, code: str) -> None:
        index = self.findData(code)
        if index >= 0 and index != self.currentIndex():
            self.blockSignals(True)
            self.setCurrentIndex(index)
            self.blockSignals(False)

    def _on_chosen(self, index: int) -> None:
        code = self.itemData(index)
        if code:
            self._lang.set_language(code)
