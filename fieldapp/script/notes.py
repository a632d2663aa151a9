"""Check an agent's notes for threatening or abusive wording before they are saved.

The phrase list is data (`resources/scripts/abusive_phrases.yaml`, zh_CN and en), so
compliance staff maintain it. Matching ignores case, character width (full-width
"ＫＩＬＬ" is "kill"), spacing and punctuation between Chinese characters ("后 果，自负" is
"后果自负"); English phrases match whole words only, so "skill" is not "kill". A hit is a
warning, not a block: the agent sees it before saving, and the visit record keeps it
(`note_warnings`) for the team lead.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import LANGUAGES, Translator
from fieldapp.script.yamlload import LineDict, LineList, load_yaml

PHRASES_FILE = "abusive_phrases.yaml"
_APOSTROPHES = {"'", "’", "‘", "`", "´"}


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FFFF
            or 0x3040 <= code <= 0x30FF or 0xAC00 <= code <= 0xD7AF)


def normalise(text: str) -> tuple[str, list[int]]:
    """Folded text for matching, and for each of its characters the index in `text`.

    NFKC folds width, casefold folds case, apostrophes vanish ("you'll" = "youll"), any run
    of other non-letters becomes one space, and spaces touching a CJK character vanish.
    """
    chars: list[str] = []
    where: list[int] = []
    for index, ch in enumerate(text):
        for folded in unicodedata.normalize("NFKC", ch).casefold():
            if folded in _APOSTROPHES:
                continue
            if folded.isalnum():
                if chars and chars[-1] == " " and (_is_cjk(folded) or (len(chars) > 1 and _is_cjk(chars[-2]))):
                    chars.pop()
                    where.pop()
                chars.append(folded)
                where.append(index)
            elif chars and chars[-1] != " " and not _is_cjk(chars[-1]):
                chars.append(" ")
                where.append(index)
    if chars and chars[-1] == " ":
        chars.pop()
        where.pop()
    return "".join(chars), where


@dataclass(frozen=True)
class NoteWarning:
    """One hit: which listed phrase, its category, and where it is in the note."""

    category: str
    phrase: str
    lang: str
    start: int
    end: int
    matched: str
    label: str = ""

    def message(self, tr: Translator | None = None) -> str:
        template = "Possibly threatening or abusive wording ({category}): “{matched}”"
        category = self.label or self.category
        return tr(template, category=tr(category), matched=self.matched) if tr else \
            template.format(category=category, matched=self.matched)

    def to_record(self) -> str:
        """The form the visit record keeps in `note_warnings` (a stable, short line)."""
        return f"{self.category}: {self.phrase}"

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category, "phrase": self.phrase, "lang": self.lang,
                "start": self.start, "end": self.end, "matched": self.matched}


@dataclass(frozen=True)
class _Phrase:
    category: str
    lang: str
    text: str
    folded: str


class PhraseList:
    """The loaded phrase list; `check(text)` returns the hits in the order they occur."""

    def __init__(self, phrases: list[_Phrase], labels: dict[str, str]) -> None:
        self.phrases = phrases
        self.labels = labels

    @classmethod
    def from_text(cls, text: str, *, source: str) -> "PhraseList":
        data = load_yaml(text, source=source)
        categories = data.get("categories") if isinstance(data, LineDict) else None
        if not isinstance(categories, LineDict) or not categories:
            raise BadInput("expected 'categories:' with phrase lists", where=f"{source}:1")
        phrases: list[_Phrase] = []
        labels: dict[str, str] = {}
        for name, body in categories.items():
            line = categories.line_of(name)
            if not isinstance(body, LineDict):
                raise BadInput(f"category {name!r} must map languages to phrase lists", where=f"{source}:{line}")
            for key, value in body.items():
                at = f"{source}:{body.line_of(key)}"
                if key == "label":
                    if not isinstance(value, str):
                        raise BadInput("label must be a text", where=at)
                    labels[str(name)] = value
                    continue
                if key not in LANGUAGES:
                    raise BadInput(f"unknown language {key!r}; use label or one of {', '.join(LANGUAGES)}",
                                   where=at)
                if not isinstance(value, LineList):
                    raise BadInput("expected a list of phrases", where=at)
                for index, phrase in enumerate(value):
                    folded = normalise(phrase)[0] if isinstance(phrase, str) else ""
                    if not folded:
                        raise BadInput(f"empty or non-text phrase {phrase!r}",
                                       where=f"{source}:{value.line_of(index)}")
                    phrases.append(_Phrase(str(name), key, phrase, folded))
        return cls(phrases, labels)

    @classmethod
    def load(cls, path: Path | None = None) -> "PhraseList":
        if path is None:
            from fieldapp.core.resources import resource_path

            path = resource_path("scripts", PHRASES_FILE)
        return _load_cached(str(path))

    def check(self, text: str) -> list[NoteWarning]:
        folded, where = normalise(text or "")
        hits: dict[tuple[int, int, str], NoteWarning] = {}
        for phrase in self.phrases:
            start = folded.find(phrase.folded)
            while start >= 0:
                end = start + len(phrase.folded)
                if _whole_word(folded, start, end):
                    a, b = where[start], where[end - 1] + 1
                    hits.setdefault((a, b, phrase.category), NoteWarning(
                        phrase.category, phrase.text, phrase.lang, a, b, text[a:b],
                        self.labels.get(phrase.category, "")))
                start = folded.find(phrase.folded, start + 1)
        return sorted(hits.values(), key=lambda w: (w.start, -w.end, w.category))


def _whole_word(folded: str, start: int, end: int) -> bool:
    """Latin letters and digits must not continue the phrase on either side."""
    def latin(ch: str) -> bool:
        return ch.isalnum() and not _is_cjk(ch)

    before = folded[start - 1] if start > 0 else " "
    after = folded[end] if end < len(folded) else " "
    return not (latin(folded[start]) and latin(before)) and not (latin(folded[end - 1]) and latin(after))


@lru_cache(maxsize=8)
def _load_cached(path: str) -> PhraseList:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read the phrase list: {exc}", where=path) from None
    return PhraseList.from_text(text, source=path)


def check_notes(text: str, phrases: PhraseList | None = None) -> list[NoteWarning]:
    """Threatening or abusive phrases in `text` (empty when none), using the shipped list by default."""
    return (phrases or PhraseList.load()).check(text)
