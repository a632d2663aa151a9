"""Conduct: one checker for every text people write or read aloud, and personal numbers masked.

    from fieldapp import conduct
    conduct.check_text("再不还钱就去他单位", "zh_CN")      # -> [Finding(category="third_party", ...)]
    conduct.check_template("Dear {name}, ...", "en")       # a notice template (placeholders neutral)
    conduct.mask_personal_data("手机13800138000")           # -> Masked(text="手机138****8000", found=...)
    conduct.debt_mentions("they owe us five thousand yuan") # amounts and debt words

Used by: conversation scripts (`fieldapp.script.validate`: a script whose text breaks the
rules is invalid), agents' notes (a warning the agent may override; kept as evidence),
the lead's comments (laptop and server), and notice templates.

Categories: threat (of harm), exposure (public shaming), third_party (contacting the
employer, family, neighbours, the contact list...), false_legal (false threats of arrest,
jail or seizure), insult, debt_disclosure (the debt told to someone else).

The rules are data, resources/conduct/rules.yaml (format and how to change them:
resources/conduct/README.md), evaluated by this pure package: no Qt, server or store.
Both languages' rules apply to every text (notes mix languages); `lang` names the text's
main language for callers' messages. Chinese is segmented with jieba, loaded on first use.
"""

from __future__ import annotations

import re

from fieldapp.conduct.debt import DebtMention, amounts
from fieldapp.conduct.debt import debt_mentions as _debt_mentions
from fieldapp.conduct.match import Finding, check
from fieldapp.conduct.personal import KINDS, Masked, PersonalNumber, find_personal_numbers, mask_personal_data
from fieldapp.conduct.rules import CATEGORIES, Rules, load_rules
from fieldapp.conduct.text import warm_up

__all__ = ["CATEGORIES", "KINDS", "DebtMention", "Finding", "Masked", "PersonalNumber", "Rules", "amounts",
           "check_template", "check_text", "debt_mentions", "find_personal_numbers", "load_rules",
           "mask_personal_data", "neutral_placeholders", "rules", "warm_up"]

# Placeholders of the formats the app uses: {name} (scripts, str.format), {{ name }} and
# {% ... %} (Jinja2 templates), $name / ${name} (string.Template).
_PLACEHOLDER = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{[A-Za-z_][A-Za-z0-9_.]*\}|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")


def rules() -> Rules:
    """The shipped rules (compiled once per process)."""
    return load_rules()


def check_text(text: str, lang: str | None = None, *, rules: Rules | None = None) -> list[Finding]:
    """The wording in `text` that breaks the conduct rules, in order (empty when none)."""
    if not text or not text.strip():
        return []
    return check(text, rules or load_rules())


def neutral_placeholders(template: str) -> str:
    """`template` with each placeholder replaced by a neutral word of the same length, so
    positions stay the same and a placeholder never reads as a word of a rule."""
    return _PLACEHOLDER.sub(lambda m: "X" + " " * (len(m.group(0)) - 1), template or "")


def check_template(template: str, lang: str | None = None, *, rules: Rules | None = None,
                   private: bool = False) -> list[Finding]:
    """The findings of a template (a notice, a letter, a message), placeholders made neutral.

    A notice may be read by someone other than the customer (a shared phone, a letter box),
    so unless `private` is true, words about the debt and named amounts are findings too
    (category debt_disclosure, rule `template.debt`).
    """
    neutral = neutral_placeholders(template)
    found = check_text(neutral, lang, rules=rules)
    if not private:
        compiled = rules or load_rules()
        for m in _debt_mentions(neutral, compiled):
            if not any(f.start < m.end and m.start < f.end for f in found):
                found.append(Finding("debt_disclosure", "template.debt", m.start, m.end, template[m.start:m.end],
                                     compiled.label("debt_disclosure")))
    # Positions are the template's own (placeholders kept their length): quote its words.
    found = [Finding(f.category, f.rule, f.start, f.end, template[f.start:f.end], f.label) for f in found]
    return sorted(found, key=lambda f: (f.start, f.category))


def debt_mentions(text: str, lang: str | None = None, *, rules: Rules | None = None) -> list[DebtMention]:
    """Amounts (a number with a currency) and words about a debt in `text`."""
    return _debt_mentions(text or "", rules or load_rules())
