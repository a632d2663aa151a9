"""Small formatters the screens share: times in the customer's zone, distances, money."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fieldapp.core.errors import BadInput
from fieldapp.core.money import Money
from fieldapp.core.timeutil import zone

NONE = "—"


def in_zone(moment: dt.datetime, timezone: str | None) -> dt.datetime:
    """`moment` in the customer's zone when known and valid, else in this computer's."""
    if timezone:
        try:
            return moment.astimezone(zone(timezone))
        except BadInput:
            pass
    return moment.astimezone()


def window_text(start: dt.datetime | None, end: dt.datetime | None, timezone: str | None,
                *, with_date: bool = True) -> str:
    """'2026-03-02 09:30–10:30' in the customer's zone."""
    if start is None:
        return NONE
    a = in_zone(start, timezone)
    text = a.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")
    if end is not None:
        b = in_zone(end, timezone)
        text += "–" + b.strftime("%H:%M" if b.date() == a.date() else "%Y-%m-%d %H:%M")
    return text


def time_text(moment: dt.datetime | None, timezone: str | None = None) -> str:
    return NONE if moment is None else in_zone(moment, timezone).strftime("%Y-%m-%d %H:%M")


def distance_text(metres: float | None) -> str:
    if metres is None:
        return NONE
    if metres < 1000:
        return f"{metres:.0f} m"
    return f"{metres / 1000:.1f} km"


def money_text(amount: Any, currency: str) -> str:
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    try:
        return str(Money(value, currency))
    except BadInput:
        return f"{value} {currency}"
