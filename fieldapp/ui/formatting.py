"""Small formatters the screens share: times with their zone, distances, money.

Every time the app shows says which zone it is in: "2026-03-02 09:28 (UTC+8)". The label
is the UTC offset of that moment in that zone (daylight saving included), short and the
same in every language. A zone is an IANA name (the customer's, from the case) or a
tzinfo (the user's, `AppContext.zone()`); without one, the zone of this computer as the
application clock module reports it (`fieldapp.core.clock.local_zone`). Screens pass
`ctx.zone()` for the user's own times, so no time is shown in an unnamed zone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fieldapp.core import clock as app_clock
from fieldapp.core.errors import BadInput
from fieldapp.core.money import Money
from fieldapp.core.timeutil import zone

NONE = "—"

Zone = str | dt.tzinfo | None


def _tzinfo(timezone: Zone) -> dt.tzinfo:
    if isinstance(timezone, dt.tzinfo):
        return timezone
    if timezone:
        try:
            return zone(timezone)
        except BadInput:
            pass
    return app_clock.local_zone()


def in_zone(moment: dt.datetime, timezone: Zone) -> dt.datetime:
    """`moment` in `timezone` (an IANA name or a tzinfo) when known and valid, else in this
    computer's zone."""
    return moment.astimezone(_tzinfo(timezone))


def offset_label(local: dt.datetime) -> str:
    """'UTC+8', 'UTC-3', 'UTC+5:30', 'UTC' for an aware moment as it stands in its zone."""
    offset = local.utcoffset() or dt.timedelta(0)
    minutes = round(offset.total_seconds() / 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(moment: dt.datetime, timezone: Zone = None) -> str:
    """The label of `timezone` at `moment` ('UTC+8')."""
    return offset_label(in_zone(moment, timezone))


def _labelled(text: str, local: dt.datetime) -> str:
    return f"{text} ({offset_label(local)})"


def time_text(moment: dt.datetime | None, timezone: Zone = None, *, seconds: bool = False) -> str:
    """'2026-03-02 09:28 (UTC+8)': date, time and the zone's label."""
    if moment is None:
        return NONE
    local = in_zone(moment, timezone)
    return _labelled(local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"), local)


def clock_text(moment: dt.datetime | None, timezone: Zone = None, *, today: dt.date | None = None,
               seconds: bool = False) -> str:
    """'09:28 (UTC+8)' when the moment falls on `today` in that zone, else with its date."""
    if moment is None:
        return NONE
    local = in_zone(moment, timezone)
    if today is not None and local.date() != today:
        return time_text(moment, timezone, seconds=seconds)
    return _labelled(local.strftime("%H:%M:%S" if seconds else "%H:%M"), local)


def window_text(start: dt.datetime | None, end: dt.datetime | None, timezone: Zone,
                *, with_date: bool = True) -> str:
    """'2026-03-02 09:30–10:30 (UTC+8)' in the customer's zone."""
    if start is None:
        return NONE
    a = in_zone(start, timezone)
    text = a.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")
    if end is not None:
        b = in_zone(end, timezone)
        text += "–" + b.strftime("%H:%M" if b.date() == a.date() else "%Y-%m-%d %H:%M")
    return _labelled(text, a)


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
