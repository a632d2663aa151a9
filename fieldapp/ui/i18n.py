"""The GUI's live language: one `Language` object per app, passed to every screen.

It wraps `fieldapp.core.i18n.Translator` and says when the language changes, so each
screen re-sets its visible strings in `retranslate()` without a restart. Strings are
English source text; `N_()` marks one for the catalog where it is defined, to be
translated later, where it is shown.

Qt draws some words itself: a date field's calendar popup (month and day names, from the
locale), standard buttons, the context menus of text fields (from Qt's own catalogs,
`qtbase_<lang>.qm`, shipped with PySide6 and in the bundle). `apply_qt_language` sets
both for the whole application at each switch, and existing windows take the new locale.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QLibraryInfo, QLocale, QObject, QTranslator, Signal

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import LANGUAGES, Translator, normalise_language
from fieldapp.core.places import zone_place
from fieldapp.ui.qt_compat import emit

log = logging.getLogger(__name__)

# Each language named in itself, so a person who cannot read the current one finds theirs.
LANGUAGE_NAMES = {"en": "English", "zh_CN": "简体中文"}


QT_LOCALES = {"en": (QLocale.Language.English, QLocale.Country.UnitedStates),
              "zh_CN": (QLocale.Language.Chinese, QLocale.Country.China)}
QT_DOMAINS = ("qtbase",)
_installed: list[QTranslator] = []  # Qt's translators are the application's, so is this list


def qt_translations_dir() -> Path | None:
    """Where Qt's own .qm catalogs are: Qt's configured folder, else PySide6's (a frozen
    bundle keeps them under PySide6/Qt/translations)."""
    import PySide6

    package = Path(PySide6.__file__).resolve().parent
    for candidate in (QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath),
                      package / "Qt" / "translations", package / "translations"):
        if candidate and (Path(candidate) / "qtbase_zh_CN.qm").is_file():
            return Path(candidate)
    return None


def apply_qt_language(code: str) -> None:
    """Qt's locale and translations for `code`, application-wide (no-op without an app)."""
    app = QCoreApplication.instance()
    if app is None:
        return
    language, country = QT_LOCALES.get(code, QT_LOCALES["en"])
    locale = QLocale(language, country)
    QLocale.setDefault(locale)
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    folder = qt_translations_dir() if code != "en" else None
    for domain in QT_DOMAINS if folder is not None else ():
        translator = QTranslator(app)
        if translator.load(locale, domain, "_", str(folder)):
            app.installTranslator(translator)  # Qt sends LanguageChange: its widgets re-word
            _installed.append(translator)
        else:
            log.warning("Qt's %s catalog for %s did not load", domain, code)
    if code != "en" and folder is None:
        log.warning("Qt's translations were not found; Qt's own words stay in English")
    QCoreApplication.sendPostedEvents(None, QEvent.Type.LanguageChange)  # at once, not at the next loop
    widgets = getattr(app, "allWidgets", None)
    for widget in widgets() if widgets is not None else ():
        if widget.isWindow():
            widget.unsetLocale()  # takes the new default; children follow (calendar popups too)


def N_(message: str) -> str:
    """Mark `message` for translation without translating it yet."""
    return message


# Languages as words of the reader's language (a customer's language on a case screen).
LANGUAGE_WORDS = {"en": N_("English"), "zh_CN": N_("Chinese (Simplified)")}


def language_label(code: str | None, tr: Callable[..., str]) -> str:
    """'zh_CN' -> 'Chinese (Simplified)' / '简体中文'; a code we do not speak, as it is."""
    if not code:
        return ""
    try:
        return tr(LANGUAGE_WORDS[normalise_language(code)])
    except (BadInput, KeyError):
        return code


def zone_label(zone: str | None, lang: str, tr: Callable[..., str]) -> str:
    """'Asia/Shanghai' -> 'China time' / '北京时间' (the place its clock is named after)."""
    if not zone:
        return ""
    return tr("{place} time", place=zone_place(zone, lang))


class Language(QObject):
    changed = Signal(str)

    def __init__(self, code: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._translator = Translator.for_language(code)
        apply_qt_language(self.code)

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
        apply_qt_language(code)
        emit(self.changed, code)
