"""The matcher: the rules (data) over the tokens of one text (pure code, no I/O).

For each token position the index tells which concepts and literal phrases start there
(and where they end). A rule's pattern holds when its items follow each other within the
allowed gaps, inside one sentence. A hit is then dropped when
- a negation stands just before a negatable item ("we will never contact your employer",
  "我们不会去您单位"), with at most a few filler words between, in the same clause;
- a hedge stands a few words before it in the same clause ("customer worried we would
  tell his boss", "客户担心通讯录被曝光");
- one of the rule's `unless` patterns overlaps it ("请联系您的家人").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from fieldapp.conduct.rules import Pattern, Rule, Rules
from fieldapp.conduct.text import Token, key_of, tokenize

NEGATION, FILLER, HEDGE = "NEGATION", "FILLER", "HEDGE"
NEGATION_REACH = 3   # filler words allowed between a negation and what it negates
HEDGE_REACH = 5      # words a hedge may stand before what it hedges


@dataclass(frozen=True)
class Finding:
    """One piece of wording that breaks the conduct rules.

    `category` is one of threat, exposure, third_party, false_legal, insult,
    debt_disclosure; `rule` the rule's id; `start`/`end` the place in the checked text and
    `matched` the words there; `label` the category in words (English source).
    """

    category: str
    rule: str
    start: int
    end: int
    matched: str
    label: str = ""

    def message(self, tr: Callable[..., str] | None = None) -> str:
        template = "Possibly {category}: “{matched}”"
        category = self.label or self.category
        return tr(template, category=tr(category), matched=self.matched) if tr else \
            template.format(category=category, matched=self.matched)

    def to_record(self) -> str:
        """The short line kept as evidence (e.g. a visit's `note_warnings`)."""
        return f"{self.category}: {self.matched}"

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category, "rule": self.rule, "start": self.start, "end": self.end,
                "matched": self.matched}


class _Index:
    """What starts at each token position: {id: [end, ...]}."""

    def __init__(self, tokens: list[Token], rules: Rules) -> None:
        self.tokens = tokens
        n = len(tokens)
        self.at: list[dict[str, list[int]]] = [{} for _ in range(n)]
        for i in range(n):
            for length in range(1, min(rules.max_len, n - i) + 1):
                if length > 1 and tokens[i + length - 1].brk >= 2:
                    break  # an entry never spans the end of a sentence
                ids = rules.index.get(key_of(tokens[i:i + length]))
                if ids:
                    for ident in ids:
                        self.at[i].setdefault(ident, []).append(i + length)

    def has(self, i: int, ident: str) -> bool:
        return 0 <= i < len(self.tokens) and ident in self.at[i]

    def ends_at(self, end: int, ident: str) -> bool:
        """Does an `ident` run end just before position `end`?"""
        for start in range(max(0, end - 8), end):
            if end in self.at[start].get(ident, ()):
                return True
        return False


def _sentence_break(tokens: list[Token], a: int, b: int) -> bool:
    """Is there a sentence end between token a (exclusive) and token b (inclusive)?"""
    return any(tokens[k].brk >= 2 for k in range(a + 1, b + 1) if k < len(tokens))


def _matches(pattern: Pattern, idx: _Index) -> list[tuple[int, int, list[int], list[int]]]:
    """Every (start, end, start of each element, end of each element) where `pattern` holds."""
    out: list[tuple[int, int, list[int], list[int]]] = []
    tokens = idx.tokens
    first = pattern.elements[0].id

    def extend(k: int, end: int, starts: list[int], ends: list[int]) -> None:
        if k == len(pattern.elements):
            out.append((starts[0], end, list(starts), list(ends)))
            return
        ident = pattern.elements[k].id
        for nxt in range(end, min(len(tokens), end + pattern.gaps[k - 1] + 1)):
            if tokens[nxt].brk >= 2:
                break  # a pattern never runs across the end of a sentence
            for stop in idx.at[nxt].get(ident, ()):
                extend(k + 1, stop, starts + [nxt], ends + [stop])

    for i in range(len(tokens)):
        for end in idx.at[i].get(first, ()):
            extend(1, end, [i], [end])
    return out


def _negated(idx: _Index, at: int) -> bool:
    """A negation just before token `at`, over filler words only, in the same clause."""
    tokens = idx.tokens
    k, steps = at, 0
    while k > 0 and steps <= NEGATION_REACH:
        if tokens[k].brk:
            return False
        if idx.ends_at(k, NEGATION):
            return True
        if not idx.ends_at(k, FILLER):
            return False
        # step back over the filler run that ends at k
        k -= 1
        steps += 1
    return False


def _hedged(idx: _Index, at: int) -> bool:
    tokens = idx.tokens
    for k in range(at, max(0, at - HEDGE_REACH), -1):
        if tokens[k].brk:
            return False
        if idx.ends_at(k, HEDGE):
            return True
    return False


def _kept(rule: Rule, idx: _Index, starts: list[int], ends: list[int], pattern: Pattern) -> bool:
    if rule.negation:
        for pos, element in zip(starts, pattern.elements):
            if (pos == starts[0] or element.negatable) and _negated(idx, pos):
                return False
        # A negation in a gap between two items ("家人在场，未提及欠款") turns the statement around.
        for a, b in zip(ends, starts[1:]):
            if any(idx.has(k, NEGATION) for k in range(a, b)):
                return False
    if rule.hedge and _hedged(idx, starts[0]):
        return False
    return True


def check_tokens(text: str, tokens: list[Token], rules: Rules) -> list[Finding]:
    idx = _Index(tokens, rules)
    found: dict[tuple[int, int, str], Finding] = {}
    for rule in rules.rules:
        excused = [(s, e) for p in rule.unless for s, e, _, _ in _matches(p, idx)]
        for pattern in rule.patterns:
            for start, end, starts, ends in _matches(pattern, idx):
                if any(s < end and start < e for s, e in excused):
                    continue
                if not _kept(rule, idx, starts, ends, pattern):
                    continue
                a, b = tokens[start].start, tokens[end - 1].end
                found.setdefault((a, b, rule.category), Finding(
                    rule.category, rule.id, a, b, text[a:b], rules.label(rule.category)))
    return _prune(sorted(found.values(), key=lambda f: (f.start, -f.end, f.category)))


def _prune(findings: list[Finding]) -> list[Finding]:
    """Of the hits of one category that overlap, keep the first (and longest)."""
    kept: list[Finding] = []
    for f in findings:
        if any(k.category == f.category and k.start < f.end and f.start < k.end for k in kept):
            continue
        kept.append(f)
    return kept


def check(text: str, rules: Rules) -> list[Finding]:
    return check_tokens(text, tokenize(text, rules.forms), rules)


def concept_spans(text: str, rules: Rules, concept: str) -> list[tuple[int, int]]:
    """Where the words of one concept appear in `text` (character spans), e.g. DEBT_WORD."""
    tokens = tokenize(text, rules.forms)
    idx = _Index(tokens, rules)
    spans = []
    for i in range(len(tokens)):
        for end in idx.at[i].get(concept, ()):
            spans.append((tokens[i].start, tokens[end - 1].end))
    return spans
