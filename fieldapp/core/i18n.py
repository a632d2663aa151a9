"""The one translation layer for user-facing text, Qt-free.

Catalogs are gettext `.po` files, one per domain, under
`resources/translations/<lang>/<domain>.po` (e.g. zh_CN/policy.po, zh_CN/ui.po); every
file of a language is merged. Source strings are English; English needs no catalog.
The `.po` text is read directly (a small parser below), so nothing generated has to be
committed or compiled before the app runs.

Usage::

    tr = Translator.for_language("zh_CN")
    tr("The appointment ends at {time}", time="22:30")

Placeholders use `str.format` names; a catalog entry that drops or renames a
placeholder falls back to English rather than failing.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from fieldapp.core.errors import BadInput
from fieldapp.core.records import field, record

LANGUAGES = ("en", "zh_CN")
DEFAULT_LANGUAGE = "en"


def normalise_language(lang: str | None) -> str:
    """Map 'zh', 'zh-CN', 'zh_Hans_CN' to 'zh_CN'; anything English-ish to 'en'."""
    if not lang:
        return DEFAULT_LANGUAGE
    key = lang.replace("-", "_").lower()
    if key.startswith("zh"):
        return "zh_CN"
    if key.startswith("en"):
        return "en"
    raise BadInput(f"unsupported language {lang!r}; use one of {', '.join(LANGUAGES)}", field="lang")


def parse_po(text: str, *, where: str = "<po>") -> dict[str, str]:
    """Parse the msgid/msgstr pairs of a .po file (msgctxt and plurals are not used here).

    Entries flagged `#, fuzzy` and entries with an empty msgstr are left out, so the
    English source is shown instead of a doubtful translation.
    """
    import ast  # here: a command that reads no catalog does not pay for it

    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    pending_flags = ""
    key: str | None = None

    def flush() -> None:
        msgid, msgstr = current.get("msgid"), current.get("msgstr")
        if msgid and msgstr and "fuzzy" not in current.get("flags", ""):
            entries[msgid] = msgstr

    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#,"):
            pending_flags += line[2:]
            continue
        if line.startswith("#"):
            continue
        if line.startswith("msgid "):
            flush()
            current, pending_flags, key = {"flags": pending_flags}, "", "msgid"
            rest = line[6:]
        elif line.startswith("msgstr "):
            key, rest = "msgstr", line[7:]
        elif line.startswith('"') and key is not None:
            rest = line
        else:
            raise BadInput(f"unexpected text {line[:40]!r}", where=f"{where}:{lineno}")
        try:
            value = ast.literal_eval(rest)
        except (SyntaxError, ValueError):
            raise BadInput(f"malformed string {rest[:40]!r}", where=f"{where}:{lineno}") from None
        if not isinstance(value, str):
            raise BadInput("expected a quoted string", where=f"{where}:{lineno}")
        current[key] = current.get(key, "") + value
    flush()
    return entries


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@record
class Translator:
    language: str = DEFAULT_LANGUAGE
    catalog: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_language(cls, lang: str | None) -> "Translator":
        lang = normalise_language(lang)
        return _cached(lang)

    def gettext(self, message: str) -> str:
        return self.catalog.get(message, message)

    def __call__(self, message: str, /, **values: object) -> str:
        translated = self.catalog.get(message, message)
        if values:
            if translated is not message and _fields(translated) != _fields(message):
                translated = message
            return translated.format(**values)
        return translated


def load_catalog(lang: str, directory: Path | None = None) -> dict[str, str]:
    if lang == "en":
        return {}
    if directory is None:
        from fieldapp.core.resources import resources_root

        directory = resources_root() / "translations" / lang
    catalog: dict[str, str] = {}
    if directory.is_dir():
        for po in sorted(directory.glob("*.po")):
            catalog.update(parse_po(po.read_text(encoding="utf-8"), where=str(po)))
    return catalog


@lru_cache(maxsize=None)
def _cached(lang: str) -> Translator:
    return Translator(lang, load_catalog(lang))


def translator(lang: str | None) -> Translator:
    return Translator.for_language(lang)
