"""Text to tokens: the form every conduct rule is matched against.

Folding (per character, keeping for each folded character its index in the original):
NFKC (full-width "ＫＩＬＬ" is "kill", "１３８" is "138"), case folding, curly apostrophes
made straight, spaces between two Chinese characters removed ("曝 光" is "曝光").

Tokens:
- Chinese runs are segmented with jieba (its dictionary is loaded on first use, never at
  import: about half a second once per process; `warm_up()` does it ahead of time). The
  words of the rules and the shipped custom dictionary are added to the segmenter, so a
  rule's word is one token wherever it appears.
- Latin runs are split into words; contractions are expanded ("won't" -> will not,
  "you'll" -> you will, "employer's" -> employer), look-alike digits inside words are read
  as letters ("j4il" -> jail), letters spelt out one by one are joined ("k i l l" ->
  kill), irregular forms are mapped to their base word (the rules' `forms`), and every
  word is reduced to its Snowball (Porter 2) stem, so "threatens", "threatened" and
  "threatening" are one word.
- Punctuation is not a token; the token after it is marked (`brk`: 1 after a comma-like
  mark, 2 after the end of a sentence), so a rule can tell clauses apart while a comma
  put inside a word to hide it ("后果，自负") does not hide it.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

_APOSTROPHES = {"'", "’", "‘", "`", "´", "ʼ"}
_STRONG = set("。！？!?.;；")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_CONTRACTIONS = {"won't": ("will", "not"), "can't": ("can", "not"), "cannot": ("can", "not"),
                 "shan't": ("shall", "not"), "ain't": ("is", "not")}
_SUFFIXES = (("n't", ("not",)), ("'ll", ("will",)), ("'re", ("are",)), ("'ve", ("have",)),
             ("'m", ("am",)), ("'d", ("would",)), ("'s", ()), ("s'", ()))
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:['@$][a-z0-9]+)*[@$']?|[@$][a-z]+")


def is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FFFF
            or 0x3040 <= code <= 0x30FF or 0xAC00 <= code <= 0xD7AF)


def has_cjk(text: str) -> bool:
    return any(is_cjk(ch) for ch in text)


def fold(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index in `text` it came from."""
    chars: list[str] = []
    where: list[int] = []
    for index, ch in enumerate(text):
        for folded in unicodedata.normalize("NFKC", ch).casefold():
            if folded in _APOSTROPHES:
                folded = "'"
            chars.append(folded)
            where.append(index)
    # Spaces between two Chinese characters are spacing, not a word boundary.
    out_c: list[str] = []
    out_w: list[int] = []
    i, n = 0, len(chars)
    while i < n:
        ch = chars[i]
        if ch.isspace() and out_c and is_cjk(out_c[-1]):
            j = i
            while j < n and chars[j].isspace():
                j += 1
            if j < n and is_cjk(chars[j]):
                i = j
                continue
        out_c.append(ch)
        out_w.append(where[i])
        i += 1
    return "".join(out_c), out_w


@dataclass(frozen=True, slots=True)
class Token:
    """One word: `key` is what rules compare (a stem for Latin words, the word for Chinese),
    `start`/`end` its place in the ORIGINAL text, `brk` the punctuation before it (0 none,
    1 a comma or the like, 2 the end of a sentence), `cjk` whether it is Chinese."""

    key: str
    start: int
    end: int
    brk: int = 0
    cjk: bool = False


# ---------------------------------------------------------------------------- segmentation
class _Segmenter:
    """One jieba tokenizer for the process, built on first use with the rules' words added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokenizer = None
        self._words: set[str] = set()

    def add_words(self, words: Iterable[str]) -> None:
        with self._lock:
            new = {w for w in words if w and w not in self._words}
            self._words |= new
            if self._tokenizer is not None:
                for word in new:
                    self._tokenizer.add_word(word, freq=_FREQ)

    def tokenizer(self):  # noqa: ANN201 - jieba.Tokenizer
        with self._lock:
            if self._tokenizer is None:
                import jieba

                # jieba gives its logger a handler on the stderr of its import time and
                # announces its dictionary there: its records go where everyone's go instead.
                jieba_log = logging.getLogger("jieba")
                for handler in list(jieba_log.handlers):
                    jieba_log.removeHandler(handler)
                jieba_log.setLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                for word in self._words:
                    tok.add_word(word, freq=_FREQ)
                self._tokenizer = tok
            return self._tokenizer

    @property
    def loaded(self) -> bool:
        return self._tokenizer is not None

    def cut(self, run: str) -> list[tuple[str, int, int]]:
        tok = self.tokenizer()
        return [(w, s, e) for w, s, e in tok.tokenize(run, HMM=True)]


_FREQ = 200_000  # high enough that a rule's word wins over a longer dictionary word around it
SEGMENTER = _Segmenter()


def warm_up() -> None:
    """Load the Chinese segmenter now (e.g. on a worker thread before a visit starts)."""
    SEGMENTER.tokenizer()


# ---------------------------------------------------------------------------- latin words
@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    return _stemmer().stemWord(word)


def _expand(word: str) -> tuple[str, ...]:
    """'won't' -> ('will', 'not'); "employer's" -> ('employer',); 'k1ll' -> ('kill',)."""
    if word in _CONTRACTIONS:
        return _CONTRACTIONS[word]
    for suffix, extra in _SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix):
            return (*_expand(word[: -len(suffix)]), *extra)
    word = word.replace("'", "")
    if any(c.isalpha() for c in word) and any(c in "013457@$" for c in word) and not word.isdigit():
        # digits inside letters read as letters ("j4il"), but not "4pm" or "2nd"
        letters = sum(c.isalpha() for c in word)
        if letters >= 2 and not re.fullmatch(r"\d+(st|nd|rd|th|am|pm|s|k|m)", word):
            word = word.translate(_LEET)
    return (word,) if word else ()


def _latin_tokens(folded: str, base: int, where: list[int], forms: dict[str, tuple[str, ...]],
                  brk_at: dict[int, int]) -> list[Token]:
    raw: list[tuple[str, int, int]] = [(m.group(0), m.start(), m.end()) for m in _LATIN_WORD.finditer(folded)]
    # Letters spelt out one by one ("k i l l", "j.a.i.l") are joined into one word.
    joined: list[tuple[str, int, int]] = []
    i = 0
    while i < len(raw):
        j = i
        while j < len(raw) and len(raw[j][0]) == 1 and raw[j][0].isalpha() and (
                j == i or raw[j][1] - raw[j - 1][2] <= 2):
            j += 1
        if j - i >= 3:
            joined.append(("".join(r[0] for r in raw[i:j]), raw[i][1], raw[j - 1][2]))
            i = j
        else:
            joined.append(raw[i])
            i += 1
    tokens: list[Token] = []
    for word, s, e in joined:
        parts: tuple[str, ...] = ()
        for part in _expand(word):
            parts += forms.get(part, (part,))
        first = True
        for part in parts:
            key = part if part.isdigit() else stem(part)
            tokens.append(Token(key, where[base + s], where[base + e - 1] + 1,
                                brk_at.get(base + s, 0) if first else 0, False))
            first = False
    return tokens


# ---------------------------------------------------------------------------- the whole text
def tokenize(text: str, forms: dict[str, tuple[str, ...]] | None = None) -> list[Token]:
    """The tokens of `text` (see the module's docstring)."""
    forms = forms or {}
    folded, where = fold(text or "")
    tokens: list[Token] = []
    # Punctuation marks where clauses break; the break is carried by the next token.
    brk_at: dict[int, int] = {}
    pending = 0
    for i, ch in enumerate(folded):
        if ch.isalnum() or ch in "'@$" or is_cjk(ch):
            if pending:
                brk_at[i] = pending
                pending = 0
        elif not ch.isspace():
            pending = max(pending, 2 if ch in _STRONG else 1)
        elif ch in "\n\r":
            pending = max(pending, 1)  # a line break may fall inside a sentence
    # Split into Chinese runs (segmented) and other runs (Latin words, numbers).
    i, n = 0, len(folded)
    while i < n:
        cjk = is_cjk(folded[i])
        j = i
        while j < n and is_cjk(folded[j]) == cjk:
            j += 1
        run = folded[i:j]
        if cjk:
            for word, s, e in SEGMENTER.cut(run):
                tokens.append(Token(word, where[i + s], where[i + e - 1] + 1, brk_at.get(i + s, 0), True))
        else:
            tokens += _latin_tokens(run, i, where, forms, brk_at)
        i = j
    return tokens


def key_of(tokens: list[Token]) -> str:
    """The comparison key of a run of tokens: Chinese words joined as they are, other words
    with one space (so a rule's entry matches however the segmenter cut it)."""
    out: list[str] = []
    previous_cjk = False
    for token in tokens:
        if out and not (token.cjk and previous_cjk):
            out.append(" ")
        out.append(token.key)
        previous_cjk = token.cjk
    return "".join(out)


def entry_key(entry: str, forms: dict[str, tuple[str, ...]] | None = None) -> str:
    """The key of a rule's word or phrase as written in the rules (no segmenter needed:
    Chinese characters are kept together, Latin words stemmed)."""
    folded, _ = fold(entry)
    parts: list[tuple[str, bool]] = []
    i, n = 0, len(folded)
    while i < n:
        if is_cjk(folded[i]):
            j = i
            while j < n and is_cjk(folded[j]):
                j += 1
            parts.append((folded[i:j], True))
            i = j
            continue
        j = i
        while j < n and not is_cjk(folded[j]):
            j += 1
        for word in _LATIN_WORD.findall(folded[i:j]):
            expanded: tuple[str, ...] = ()
            for part in _expand(word):
                expanded += (forms or {}).get(part, (part,))
            parts += [(p if p.isdigit() else stem(p), False) for p in expanded]
        i = j
    out: list[str] = []
    previous_cjk = False
    for word, cjk in parts:
        if out and not (cjk and previous_cjk):
            out.append(" ")
        out.append(word)
        previous_cjk = cjk
    return "".join(out)
