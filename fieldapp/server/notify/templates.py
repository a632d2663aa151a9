"""Notice templates: data (resources/notices/*.yaml), validated before anything is sent.

A template has, per language (zh_CN and en), an email subject, an email body and an SMS
text. Validation proves, like the script validator does for conversations:

- every language the app ships is there, with every text;
- only known placeholders are used, and the body and the SMS name the institution, the
  agent, the agent's staff number, the time window and the link (the customer can then
  check that the visitor is genuine; fake collectors are a known fraud);
- no text names the debt or an amount: no currency, no figure that reads as money, no debt
  word in either language (a family member may read the phone).

Checks are a list (`TEXT_CHECKS`) of functions `(text, lang, where) -> [problems]`; another
checker (the conduct checker, once it exists) is added there, in one place.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import LANGUAGES

TEXTS = ("email_subject", "email_body", "sms")
PLACEHOLDERS = frozenset({"institution", "agent_name", "staff_number", "window", "date", "link", "customer",
                          "institution_phone"})
REQUIRED = {"email_body": ("institution", "agent_name", "staff_number", "window", "link"),
            "sms": ("institution", "agent_name", "staff_number", "window", "link"),
            "email_subject": ("institution",)}
MAX_SMS_CHARS = 300  # before the values are put in; gateways split long texts

# Words that speak of the debt, by language (checked case-insensitively, every language in
# every text: an English word in a Chinese SMS is read just the same).
DEBT_WORDS = {
    "en": ("debt", "debts", "owe", "owed", "owing", "overdue", "arrears", "outstanding", "balance", "loan",
           "repay", "repayment", "payment", "pay", "collection", "collector", "amount", "default",
           "credit", "instalment", "installment", "interest", "penalty", "bailiff"),
    "zh_CN": ("欠款", "欠债", "债务", "拖欠", "逾期", "催收", "催缴", "还款", "贷款", "欠费", "金额", "本金",
              "利息", "违约", "罚息", "账款", "信用卡", "分期", "债"),
}
CURRENCY = re.compile(r"[¥￥$€£]|\b(?:RMB|CNY|USD|EUR|GBP|HKD)\b|人民币|[0-9０-９]\s*[元块圆]|美元|港币")
# A figure that reads as money: grouped thousands or decimals (12,345 / 1234.50 / 1 234,5).
AMOUNT = re.compile(r"\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+\.\d{1,2}\b")


@dataclass(frozen=True)
class NoticeTemplate:
    id: str
    version: str
    texts: dict[str, dict[str, str]]  # language -> text name -> template
    origin: str = ""

    def render(self, lang: str, values: dict[str, str]) -> dict[str, str]:
        texts = self.texts[lang]
        return {name: texts[name].format_map(values) for name in TEXTS}


Check = Callable[[str, str, str], list[str]]


def _placeholders(text: str, where: str) -> tuple[set[str], list[str]]:
    try:
        names = {f for _, f, spec, conv in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        return set(), [f"{where}: malformed placeholder ({exc}); write {{name}}, and {{{{ }}}} for a brace"]
    problems = [f"{where}: unknown placeholder {{{n}}} (known: {', '.join(sorted(PLACEHOLDERS))})"
                for n in sorted(names - PLACEHOLDERS)]
    return names, problems


def no_money_or_debt(text: str, lang: str, where: str) -> list[str]:
    """A notice never names the debt or an amount."""
    literal = re.sub(r"\{[a-z_]+\}", " ", text)
    problems = []
    found = CURRENCY.search(literal)
    if found:
        problems.append(f"{where}: names a currency or amount ({found.group(0)!r}); a notice never mentions money")
    found = AMOUNT.search(literal)
    if found:
        problems.append(f"{where}: {found.group(0)!r} reads as an amount; a notice never mentions money")
    lowered = literal.casefold()
    for words in DEBT_WORDS.values():
        for word in words:
            if word.isascii():
                hit = re.search(rf"\b{re.escape(word)}\b", lowered)
            else:
                hit = word in literal
            if hit:
                problems.append(f"{where}: the word {word!r} speaks of the debt; a family member may read "
                                "this notice")
                break
    return problems


# Every check each text goes through. The conduct checker (fieldapp.conduct) joins here.
TEXT_CHECKS: list[Check] = [no_money_or_debt]


def validate(data: Any, where: str) -> tuple[NoticeTemplate | None, list[str]]:
    """(the template, []) or (None, every problem found, each naming file and field)."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return None, [f"{where}: expected a mapping with id, version and languages"]
    unknown = sorted(set(data) - {"id", "version", "languages"})
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(unknown)}")
    tid, version, languages = data.get("id"), data.get("version"), data.get("languages")
    if not isinstance(tid, str) or not re.fullmatch(r"[a-z][a-z0-9_-]{0,39}", tid or ""):
        problems.append(f"{where}: id: a short lower-case name is required")
    if not isinstance(version, (str, int, float)):
        problems.append(f"{where}: version: required")
    if not isinstance(languages, dict):
        return None, problems + [f"{where}: languages: a mapping of language -> texts is required"]
    texts: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        if lang not in languages:
            problems.append(f"{where}: languages.{lang}: missing (every shipped language needs its texts)")
    for lang, entry in languages.items():
        at = f"{where}: languages.{lang}"
        if lang not in LANGUAGES:
            problems.append(f"{at}: not a language the app ships ({', '.join(LANGUAGES)})")
            continue
        if not isinstance(entry, dict):
            problems.append(f"{at}: expected {', '.join(TEXTS)}")
            continue
        extra = sorted(set(entry) - set(TEXTS))
        if extra:
            problems.append(f"{at}: unknown text(s) {', '.join(extra)}")
        texts[lang] = {}
        for name in TEXTS:
            text = entry.get(name)
            field = f"{at}.{name}"
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{field}: missing or empty")
                continue
            names, found = _placeholders(text, field)
            problems += found
            for needed in REQUIRED[name]:
                if needed not in names:
                    problems.append(f"{field}: must name {{{needed}}}")
            if name == "sms" and len(text) > MAX_SMS_CHARS:
                problems.append(f"{field}: {len(text)} characters; at most {MAX_SMS_CHARS}")
            for check in TEXT_CHECKS:
                problems += check(text, lang, field)
            texts[lang][name] = text
    if problems:
        return None, problems
    return NoticeTemplate(str(tid), str(version), texts, where), []


def check_file(path: Path | str) -> tuple[NoticeTemplate | None, list[str]]:
    """Read and validate a template file; a file that cannot be read raises BadInput."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, IsADirectoryError):
        raise BadInput("notice template not found", where=str(path)) from None
    except UnicodeDecodeError:
        raise BadInput("not UTF-8 text", where=str(path)) from None
    except yaml.YAMLError as exc:
        raise BadInput(f"not valid YAML ({str(exc).splitlines()[0]})", where=str(path)) from None
    return validate(data, str(path))


def load_template(name: str = "appointment", path: Path | str | None = None) -> NoticeTemplate:
    """The template `name` from resources/notices (or the file `path`); a template that does
    not validate raises BadInput listing its first problems."""
    if path is None:
        from fieldapp.core.resources import resource_path

        path = resource_path("notices", f"{name}.yaml")
    template, problems = check_file(path)
    if template is None:
        raise BadInput("; ".join(problems[:5]) + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""))
    return template


__all__ = ["NoticeTemplate", "TEXT_CHECKS", "check_file", "load_template", "no_money_or_debt", "validate"]
