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

    def display(self, name: str) -> str:
        value = self.values.get(name)
        if name == "amount_due" and value is not None and self.currency:
            return str(self.money(value))
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
