"""The conduct rules: data (resources/conduct/rules.yaml, written by compliance staff) read
into a compiled form the matcher uses. The file's format is documented in
resources/conduct/README.md; every mistake names the file, the line and the problem.

A rule's pattern is a line of items separated by spaces:
- a CONCEPT in capitals (a word list under `concepts:`, in both languages);
- any other word or phrase, matched literally (after the same folding and stemming);
- `...` (up to the rule's `gap` tokens in between) or `...N` (up to N).
Items written next to each other must follow each other directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import LANGUAGES
from fieldapp.core.yamlload import LineDict, LineList, load_yaml
from fieldapp.conduct.text import SEGMENTER, entry_key, fold, is_cjk

RULES_FILE = ("conduct", "rules.yaml")
WORDS_FILE = ("conduct", "words_zh.txt")
CATEGORIES = ("threat", "exposure", "third_party", "false_legal", "insult", "debt_disclosure")
SPECIAL = ("negation", "filler", "hedge")  # concepts the matcher itself uses
_CONCEPT = re.compile(r"^[A-Z][A-Z0-9_]*$")
_GAP = re.compile(r"^\.\.\.(\d+)?$")
MAX_GAP = 12
_PRONOUNS = set("你您他她我它其")


@dataclass(frozen=True)
class Element:
    """One item of a pattern: the id the token index knows it by."""

    id: str
    negatable: bool = False


@dataclass(frozen=True)
class Pattern:
    source: str
    elements: tuple[Element, ...]
    gaps: tuple[int, ...]  # gaps[k]: most tokens allowed between element k and k+1
    line: int


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    patterns: tuple[Pattern, ...]
    unless: tuple[Pattern, ...] = ()
    negation: bool = True
    hedge: bool = True
    line: int = 0


@dataclass
class Rules:
    """The compiled rules: `index` maps a token-run key to the ids (concepts, literals) it is."""

    rules: list[Rule]
    labels: dict[str, str]
    index: dict[str, set[str]]
    forms: dict[str, tuple[str, ...]]
    debt_words: set[str]
    negatable: set[str]
    max_len: int = 6
    source: str = ""
    cjk_words: set[str] = field(default_factory=set)

    def label(self, category: str) -> str:
        return self.labels.get(category, category)


def _strings(value: object, where: str) -> list[str]:
    if not isinstance(value, LineList) or not all(isinstance(v, str) and v.strip() for v in value):
        raise BadInput("expected a list of words or phrases (each a non-empty text)", where=where)
    return list(value)


class _Compiler:
    def __init__(self, data: object, source: str) -> None:
        self.source = source
        if not isinstance(data, LineDict):
            raise BadInput("expected a mapping with concepts: and rules:", where=f"{source}:1")
        self.data = data
        self.index: dict[str, set[str]] = {}
        self.max_len = 1
        self.cjk_words: set[str] = set()
        self.forms: dict[str, tuple[str, ...]] = {}
        self.concepts: dict[str, int] = {}
        self.negatable: set[str] = set()

    def at(self, mapping: LineDict, key: object) -> str:
        return f"{self.source}:{mapping.line_of(key)}"

    def add(self, ident: str, phrase: str) -> None:
        key = entry_key(phrase, self.forms)
        if not key:
            raise BadInput(f"{phrase!r} has no letters or characters to match", where=self.source)
        self.index.setdefault(key, set()).add(ident)
        self.max_len = max(self.max_len, len(key.split()) + sum(is_cjk(c) for c in key))
        folded, _ = fold(phrase)
        for run in re.findall(r"[\u3400-\u9fff]+", folded):
            # A word that starts with a pronoun ("你全家") is matched as pronoun + word; taught to
            # the segmenter it would glue the pronoun to every following word ("你家人").
            if len(run) >= 2 and run[0] not in _PRONOUNS:
                self.cjk_words.add(run)

    def read_forms(self) -> None:
        forms = self.data.get("forms")
        if forms is None:
            return
        if not isinstance(forms, LineDict):
            raise BadInput("forms: expected a mapping of word: base word(s)", where=self.at(self.data, "forms"))
        for word, base in forms.items():
            if not isinstance(word, str) or not isinstance(base, str) or not base.strip():
                raise BadInput(f"forms: {word!r} needs a base word", where=self.at(forms, word))
            self.forms[fold(word)[0].replace("'", "")] = tuple(fold(base)[0].split())

    def read_concepts(self) -> None:
        concepts = self.data.get("concepts")
        if not isinstance(concepts, LineDict) or not concepts:
            raise BadInput("expected 'concepts:' with word lists", where=self.at(self.data, "concepts"))
        for name, body in concepts.items():
            where = self.at(concepts, name)
            if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise BadInput(f"concept name {name!r}: use lower-case letters, digits and _", where=where)
            if not isinstance(body, LineDict):
                raise BadInput(f"concept {name!r} must map languages to word lists", where=where)
            self.concepts[name] = concepts.line_of(name)
            for key, value in body.items():
                at = self.at(body, key)
                if key == "doc":
                    continue
                if key == "negatable":
                    if not isinstance(value, bool):
                        raise BadInput("negatable must be true or false", where=at)
                    if value:
                        self.negatable.add(name.upper())
                    continue
                if key not in LANGUAGES:
                    raise BadInput(f"unknown key {key!r}; use doc, negatable or one of {', '.join(LANGUAGES)}",
                                   where=at)
                for index, phrase in enumerate(_strings(value, at)):
                    try:
                        self.add(name.upper(), phrase)
                    except BadInput as exc:
                        raise BadInput(exc.reason, where=f"{self.source}:{value.line_of(index)}") from None
        for name in SPECIAL:
            if name not in self.concepts:
                raise BadInput(f"the concept {name!r} is required (the matcher uses it)",
                               where=self.at(self.data, "concepts"))

    def pattern(self, text: object, line: int, gap: int) -> Pattern:
        where = f"{self.source}:{line}"
        if not isinstance(text, str) or not text.strip():
            raise BadInput("a pattern must be a non-empty text", where=where)
        elements: list[Element] = []
        gaps: list[int] = []
        pending_gap: int | None = None
        literal: list[str] = []

        def flush_literal() -> None:
            nonlocal pending_gap
            if literal:
                phrase = " ".join(literal)
                ident = "'" + entry_key(phrase, self.forms)
                self.add(ident, phrase)
                push(Element(ident, negatable=False))
                literal.clear()

        def push(element: Element) -> None:
            nonlocal pending_gap
            if elements:
                gaps.append(pending_gap if pending_gap is not None else 0)
            elements.append(element)
            pending_gap = None

        for item in text.split():
            m = _GAP.match(item)
            if m:
                flush_literal()
                if not elements:
                    raise BadInput(f"pattern {text!r} cannot start with '...'", where=where)
                size = int(m.group(1)) if m.group(1) else gap
                if size > MAX_GAP:
                    raise BadInput(f"pattern {text!r}: a gap of {size} is more than {MAX_GAP}", where=where)
                pending_gap = size
            elif _CONCEPT.match(item):
                flush_literal()
                if item.lower() not in self.concepts:
                    raise BadInput(f"pattern {text!r}: {item} is not a concept (concepts are written in capitals; "
                                   "define it under concepts:)", where=where)
                push(Element(item, negatable=item in self.negatable))
            else:
                if pending_gap is not None and literal:
                    flush_literal()
                literal.append(item)
        flush_literal()
        if pending_gap is not None:
            raise BadInput(f"pattern {text!r} cannot end with '...'", where=where)
        return Pattern(text, tuple(elements), tuple(gaps), line)

    def patterns(self, body: LineDict, key: str, gap: int, required: bool) -> tuple[Pattern, ...]:
        value = body.get(key)
        if value is None:
            if required:
                raise BadInput(f"a rule needs '{key}:'", where=self.at(body, key))
            return ()
        if isinstance(value, str):
            return (self.pattern(value, body.line_of(key), gap),)
        if not isinstance(value, LineList) or not value:
            raise BadInput(f"{key}: expected a pattern or a list of patterns", where=self.at(body, key))
        return tuple(self.pattern(v, value.line_of(i), gap) for i, v in enumerate(value))

    def read_rules(self) -> tuple[list[Rule], dict[str, str]]:
        labels: dict[str, str] = {}
        cats = self.data.get("categories")
        if not isinstance(cats, LineDict):
            raise BadInput("expected 'categories:' with a label for each category",
                           where=self.at(self.data, "categories"))
        for name, body in cats.items():
            if name not in CATEGORIES:
                raise BadInput(f"unknown category {name!r} (known: {', '.join(CATEGORIES)})",
                               where=self.at(cats, name))
            if not isinstance(body, LineDict) or not isinstance(body.get("label"), str):
                raise BadInput(f"category {name!r} needs a label", where=self.at(cats, name))
            labels[name] = body["label"]
        rules_data = self.data.get("rules")
        if not isinstance(rules_data, LineList) or not rules_data:
            raise BadInput("expected 'rules:' with a list of rules", where=self.at(self.data, "rules"))
        rules: list[Rule] = []
        seen: set[str] = set()
        for i, body in enumerate(rules_data):
            line = rules_data.line_of(i)
            if not isinstance(body, LineDict):
                raise BadInput("a rule is a mapping with id, category and match", where=f"{self.source}:{line}")
            unknown = sorted(set(body) - {"id", "category", "match", "unless", "gap", "negation", "hedge", "doc"})
            if unknown:
                raise BadInput(f"unknown field {unknown[0]!r} in a rule", where=self.at(body, unknown[0]))
            rid = body.get("id")
            if not isinstance(rid, str) or not rid or rid in seen:
                raise BadInput(f"a rule needs a unique id (got {rid!r})", where=self.at(body, "id"))
            seen.add(rid)
            category = body.get("category")
            if category not in labels:
                raise BadInput(f"rule {rid}: category {category!r} is not one of {', '.join(labels)}",
                               where=self.at(body, "category"))
            gap = body.get("gap", 4)
            if not isinstance(gap, int) or isinstance(gap, bool) or not 0 <= gap <= MAX_GAP:
                raise BadInput(f"rule {rid}: gap must be a whole number from 0 to {MAX_GAP}", where=self.at(body, "gap"))
            flags = {}
            for flag in ("negation", "hedge"):
                value = body.get(flag, True)
                if not isinstance(value, bool):
                    raise BadInput(f"rule {rid}: {flag} must be true or false", where=self.at(body, flag))
                flags[flag] = value
            rules.append(Rule(rid, category, self.patterns(body, "match", gap, True),
                              self.patterns(body, "unless", gap, False), flags["negation"], flags["hedge"], line))
        return rules, labels

    def debt_words(self) -> set[str]:
        return {key for key, ids in self.index.items() if "DEBT_WORD" in ids}


def compile_rules(text: str, *, source: str, extra_words: list[str] = ()) -> Rules:  # type: ignore[assignment]
    comp = _Compiler(load_yaml(text, source=source), source)
    comp.read_forms()
    comp.read_concepts()
    rules, labels = comp.read_rules()
    SEGMENTER.add_words(comp.cjk_words | set(extra_words))
    return Rules(rules, labels, comp.index, comp.forms, comp.debt_words(), comp.negatable,
                 min(comp.max_len, 8), source, comp.cjk_words)


def _read_words(path: Path) -> list[str]:
    """The custom dictionary: one word a line (jieba's format: word [freq] [tag]); # comments."""
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.append(line.split()[0])
    return words


@lru_cache(maxsize=8)
def _load(path: str, words: str | None) -> Rules:
    try:
        text = Path(path).read_text(encoding="utf-8")
        extra = _read_words(Path(words)) if words else []
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read the conduct rules: {exc}", where=path) from None
    return compile_rules(text, source=path, extra_words=extra)


def load_rules(path: Path | str | None = None) -> Rules:
    """The shipped rules (resources/conduct/rules.yaml and words_zh.txt), or a file of your own."""
    from fieldapp.core.resources import resource_path

    words: Path | None = None
    if path is None:
        path = resource_path(*RULES_FILE)
        words = resource_path(*WORDS_FILE)
    return _load(str(path), str(words) if words else None)
