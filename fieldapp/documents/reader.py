"""Typed reading of JSON input for the documents, every error naming the file and field.

The documents take plain dicts (from a JSON file, or built in memory by the app); this
reader turns them into checked values so a bad value is refused with the path of the
field (`customer.name`, `transcript[3].at`) rather than failing deep in the layout.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal
from typing import Any

from fieldapp.core.errors import BadInput
from fieldapp.core.money import exact, to_decimal


class Reader:
    """Typed access to a JSON object, every error naming the file and the field."""

    def __init__(self, where: str):
        self.where = where

    def fail(self, field_name: str, message: str) -> BadInput:
        return BadInput(message, where=self.where, field=field_name)

    def obj(self, data: Any, name: str, allowed: set[str] | None = None) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(name, "expected an object")
        if allowed is not None:
            extra = sorted(set(data) - allowed)
            if extra:
                raise self.fail(f"{name}.{extra[0]}" if name else extra[0],
                                f"unknown field (known: {', '.join(sorted(allowed))})")
        return data

    def text(self, data: dict[str, Any], key: str, path: str, *, required: bool = True,
             limit: int = 300, multiline: bool = False) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(path, "is required")
            return None
        if not isinstance(value, str):
            raise self.fail(path, f"expected text, got {type(value).__name__}")
        value = value.strip()
        if not value:
            if required:
                raise self.fail(path, "must not be empty")
            return None
        if len(value) > limit:
            raise self.fail(path, f"is {len(value)} characters long; at most {limit}")
        if not multiline and ("\n" in value or "\r" in value):
            raise self.fail(path, "must be a single line")
        return value.replace("\r\n", "\n")

    def pattern(self, data: dict[str, Any], key: str, path: str, regex: re.Pattern[str],
                hint: str) -> str:
        value = self.text(data, key, path)
        assert value is not None
        if not regex.fullmatch(value):
            raise self.fail(path, f"{value!r} is not valid: {hint}")
        return value

    def amount(self, data: dict[str, Any], key: str, path: str, currency: str) -> Decimal:
        if data.get(key) is None:
            raise self.fail(path, "is required")
        try:
            return exact(to_decimal(data[key], field=path), currency, field=path)
        except BadInput as exc:
            raise self.fail(path, exc.reason) from None

    def date(self, data: dict[str, Any], key: str, path: str) -> _dt.date:
        value = data.get(key)
        if not isinstance(value, str):
            raise self.fail(path, "expected an ISO date such as 2026-03-02")
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            raise self.fail(path, f"{value!r} is not an ISO date such as 2026-03-02") from None

    def choice(self, data: dict[str, Any], key: str, path: str, enum: type, default: Any = None):
        value = data.get(key, default)
        if value is None or isinstance(value, enum):
            return value
        try:
            return enum(value)
        except ValueError:
            raise self.fail(path, f"{value!r} is not one of {', '.join(e.value for e in enum)}") from None

    def aware(self, data: dict[str, Any], key: str, path: str, *,
              required: bool = True) -> _dt.datetime | None:
        from fieldapp.core.timeutil import parse_aware

        if data.get(key) is None:
            if required:
                raise self.fail(path, "is required")
            return None
        return parse_aware(data[key], field=path, where=self.where)

    def items(self, data: dict[str, Any], key: str, path: str, *, required: bool = True) -> list[Any]:
        value = data.get(key)
        if value is None and not required:
            return []
        if not isinstance(value, list):
            raise self.fail(path, "expected a list")
        return value

    def number(self, data: dict[str, Any], key: str, path: str, *, low: float, high: float,
               required: bool = True) -> Decimal | None:
        """A measured number (coordinate, metres), kept exact as Decimal."""
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(path, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            raise self.fail(path, "expected a number")
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            raise self.fail(path, f"{value!r} is not a number") from None
        if not number.is_finite() or not (Decimal(str(low)) <= number <= Decimal(str(high))):
            raise self.fail(path, f"{value} is outside {low}..{high}")
        return number

    def flag(self, data: dict[str, Any], key: str, path: str) -> bool:
        value = data.get(key)
        if not isinstance(value, bool):
            raise self.fail(path, "expected true or false")
        return value
