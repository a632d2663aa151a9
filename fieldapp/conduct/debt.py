"""Words about a debt and named amounts: what may not be said before the identity is
confirmed (the script validator's debt gate) nor written into a notice others may read.

An amount is a number with a currency: "¥5000", "$2,000", "5000元", "五千块", "RMB 300",
"five thousand yuan", "2000 dollars". A number alone (a date, "30 days", "the last four
digits") is not an amount. Debt words are the rules' concept DEBT_WORD (欠款, 逾期, 还款,
owe, overdue, debt, arrears...), matched as words, in any inflection.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from fieldapp.conduct.match import concept_spans
from fieldapp.conduct.rules import Rules

_CUR_WORDS = (r"元|块钱|块|圆|人民币|美元|美金|欧元|英镑|港币|港元|dollars?|bucks|yuan|rmb|usd|cny|eur|"
              r"euros?|pounds?|gbp|hkd")
_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
                 r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
                 r"seventy|eighty|ninety|hundred|thousand|million|billion")
_AMOUNTS = [
    re.compile(r"[¥$€£]\s?\d[\d,]*(?:\.\d+)?"),
    re.compile(rf"\d[\d,]*(?:\.\d+)?\s?(?:[十百千万亿]|k\b)?\s?(?:{_CUR_WORDS})(?![a-z])"),
    re.compile(r"(?<![a-z])(?:rmb|usd|cny|eur|gbp|hkd|us\$)\s?\d"),
    re.compile(r"[零一二两三四五六七八九]*[十百千万亿][零一二两三四五六七八九十百千万亿]*\s?(?:元|块钱|块|圆|美元)"),
    re.compile(r"[零一二两三四五六七八九十百千万亿]{1,12}\s?(?:元|圆|美元|万元)"),
    re.compile(rf"\b(?:(?:{_NUMBER_WORDS}|a|and)[\s-]+)*(?:{_NUMBER_WORDS})[\s-]+"
               r"(?:dollars?|bucks|yuan|pounds?|euros?)\b"),
]


@dataclass(frozen=True)
class DebtMention:
    kind: str   # "amount" | "debt_word"
    start: int
    end: int
    matched: str


def amounts(text: str) -> list[tuple[int, int]]:
    """Character spans of the amounts (numbers with a currency) in `text`."""
    folded = "".join(n if len(n := unicodedata.normalize("NFKC", ch).lower()) == 1 else ch.lower()
                     for ch in text or "")
    spans: list[tuple[int, int]] = []
    for pattern in _AMOUNTS:
        for m in pattern.finditer(folded):
            if not any(s < m.end() and m.start() < e for s, e in spans):
                spans.append((m.start(), m.end()))
    return sorted(spans)


def debt_mentions(text: str, rules: Rules) -> list[DebtMention]:
    """Amounts and words about a debt in `text`, in order."""
    out = [DebtMention("amount", s, e, text[s:e]) for s, e in amounts(text)]
    for s, e in concept_spans(text, rules, "DEBT_WORD"):
        if not any(m.start < e and s < m.end for m in out):
            out.append(DebtMention("debt_word", s, e, text[s:e]))
    return sorted(out, key=lambda m: m.start)
