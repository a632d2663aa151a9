"""The GUI's live language: one `Language` object per app, passed to every screen.

It wraps `fieldapp.core.i18n.Translator` and says when the language changes, so each
screen re-sets its visible strings in `retranslate()` without a restart. Strings are
English source text; `N_()` marks one for the catalog where it is defined, to be
translated later, where it is shown.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from fieldapp.core.i18n import LANGUAGES, Translator, normalise_language
from fieldapp.ui.qt_compat import emit

# Each language named in itself, so a person who cannot read the current one finds theirs.
LANGUAGE_NAMES = {"en": "English", "zh_CN": "简体中文"}


def N_(message: str) -> str:
    """Mark `message` for translation without translating it yet."""
    return message


class Language(QObject):
    changed = Signal(str)

    def __init__(self, code: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._translator = Translator.for_language(code)

    @property
    def code(self) -> str:
        return self._translator.language

    @property
    def codes(self) -> tuple[str, ...]:
        return LANGUAGES

    def tr(self, message: str, /, **values: object) -> str:
        return self._translator(message, **values)

    __call__ = tr

    def set_language(self, code: str) -> None:
        code = normalise_language(code)
        if code == self.code:
            return
        self._translator = Translator.for_language(code)
        emit(self.changed, code)
