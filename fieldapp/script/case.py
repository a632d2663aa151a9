"""The case data a script may read: amount due, days past due, tier, names for the texts.

Kept to a small, typed, checked mapping: a typo in CASE.json is an error naming the field,
not a condition that silently never matches.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping

from fieldapp.core.errors import BadInput
from fieldapp.core.money import Money, exact, minor_units, to_decimal
from fieldapp.core.timeutil import zone
from fieldapp.script.model import CASE_FIELDS

EXTRA_FIELDS = ("timezone",)  # the customer's zone: "today" for date inputs is the customer's day
# Text fields that may be given per language ({"zh_CN": "南京示范银行", "en": "Nanjing Demo Bank"}):
# a script then says the one of the language it speaks.
PER_LANGUAGE = ("institution",)


# How an amount is read aloud: the language's word or sign for the currency, not its ISO code.
SPOKEN_CURRENCY: dict[str, dict[str, str]] = {
    "en": {"CNY": "{amount} yuan", "USD": "${amount}", "GBP": "£{amount}", "EUR": "€{amount}",
           "INR": "₹{amount}", "AUD": "A${amount}", "HKD": "HK${amount}", "JPY": "{amount} yen"},
    "zh_CN": {"CNY": "{amount} 元", "USD": "{amount} 美元", "GBP": "{amount} 英镑", "EUR": "{amount} 欧元",
              "INR": "{amount} 印度卢比", "AUD": "{amount} 澳元", "HKD": "{amount} 港元", "JPY": "{amount} 日元"},
}


def spoken_money(amount: Decimal, currency: str, lang: str | None) -> str:
    """'49,326.15 元' (zh_CN), '49,326.15 yuan', '$2,450.00' (en); an unlisted currency or
    language keeps its code ('12 XAF')."""
    code = currency.upper()
    try:
        places = minor_units(code)
    except BadInput:
        return f"{amount} {code}"
    text = f"{amount:,.{places}f}"
    template = SPOKEN_CURRENCY.get(lang or "", {}).get(code)
    return template.format(amount=text) if template else f"{text} {code}"


def _per_language(value: Mapping[str, Any], *, where: str, field: str) -> dict[str, str]:
    from fieldapp.core.i18n import LANGUAGES

    out: dict[str, str] = {}
    for lang, text in value.items():
        if lang not in LANGUAGES or not isinstance(text, str) or not text.strip():
            raise BadInput(f"per language, a non-empty text for each of {', '.join(LANGUAGES)} "
                           f"(got {lang!r}: {text!r})", where=where, field=field)
        out[lang] = text.strip()
    if not out:
        raise BadInput("needs a text in at least one language", where=where, field=field)
    return out


@dataclass(frozen=True)
class CaseFacts:
    values: dict[str, Any] = field(default_factory=dict)
    timezone: str = "UTC"

    @classmethod
    def parse(cls, data: Mapping[str, Any] | None, *, where: str = "case") -> "CaseFacts":
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise BadInput("case data must be a JSON object of case fields", where=where)
        values: dict[str, Any] = {}
        known = tuple(CASE_FIELDS) + EXTRA_FIELDS
        for key, value in data.items():
            if key not in known:
                raise BadInput(f"unknown case field; known: {', '.join(known)}", where=where, field=str(key))
            if value is None:
                continue
            kind = CASE_FIELDS.get(key, "text")
            if kind == "money":
                values[key] = to_decimal(value, field=key)
            elif kind == "integer":
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise BadInput(f"must be a whole number of at least 0 (got {value!r})",
                                   where=where, field=key)
                values[key] = value
            elif key in PER_LANGUAGE and isinstance(value, Mapping):
                values[key] = _per_language(value, where=where, field=key)
            elif not isinstance(value, str) or not value.strip():
                raise BadInput(f"must be a non-empty text (got {value!r})", where=where, field=key)
            else:
                values[key] = value.strip()
        tz = values.pop("timezone", "UTC")
        zone(tz, field="timezone", where=where)
        if "currency" in values:
            currency = values["currency"] = values["currency"].upper()
            try:
                minor_units(currency)
            except BadInput as exc:
                raise BadInput(exc.reason, where=where, field="currency") from None
            if "amount_due" in values:
                values["amount_due"] = exact(values["amount_due"], currency, field="amount_due")
        return cls(values, tz)

    def require(self, names: Iterable[str], *, where: str = "case") -> "CaseFacts":
        missing = sorted(n for n in names if n not in self.values)
        if missing:
            raise BadInput(f"the script needs these case fields: {', '.join(missing)}", where=where)
        return self

    def get(self, name: str) -> Any:
        return self.values.get(name)

    @property
    def currency(self) -> str | None:
        return self.values.get("currency")

    def money(self, amount: Decimal) -> Money:
        if not self.currency:
            raise BadInput("the case has no currency", field="currency")
        return Money(amount, self.currency)

    def display(self, name: str, lang: str | None = None) -> str:
        """The value as a script reads it; amounts in the words of `lang` (default: the code)."""
        value = self.values.get(name)
        if name == "amount_due" and value is not None and self.currency:
            return spoken_money(value, self.currency, lang) if lang else str(self.money(value))
        if isinstance(value, dict):  # per language: the reader's, else English, else any
            return value.get(lang or "en") or value.get("en") or next(iter(value.values()))
        return "" if value is None else str(value)

    def today(self, now: _dt.datetime) -> _dt.date:
        """The customer's local date at `now`."""
        return now.astimezone(zone(self.timezone)).date()

    def quantum_places(self) -> int:
        return minor_units(self.currency) if self.currency else 2

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: (format(v, "f") if isinstance(v, Decimal) else v)
                               for k, v in self.values.items()}
        if self.timezone != "UTC":
            out["timezone"] = self.timezone
        return out
