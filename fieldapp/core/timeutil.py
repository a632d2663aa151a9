"""Time: always timezone-aware. Store UTC, evaluate policy in the customer's zone."""

from __future__ import annotations

import datetime as _dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fieldapp.core import clock
from fieldapp.core.errors import BadInput

UTC = _dt.timezone.utc


def utcnow() -> _dt.datetime:
    """Now, in UTC, from the application's one clock (fieldapp.core.clock)."""
    return clock.now()


def parse_aware(value: object, *, field: str, where: str | None = None) -> _dt.datetime:
    """Parse an ISO 8601 timestamp that carries an offset; naive timestamps are refused."""
    if isinstance(value, _dt.datetime):
        dt = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = _dt.datetime.fromisoformat(text)
        except ValueError:
            raise BadInput(f"{value!r} is not an ISO 8601 timestamp", where=where, field=field) from None
    else:
        raise BadInput(f"expected an ISO 8601 timestamp, got {type(value).__name__}",
                       where=where, field=field)
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise BadInput(f"{value!r} has no UTC offset (write e.g. +08:00 or Z)", where=where, field=field)
    return dt


def to_utc(dt: _dt.datetime) -> _dt.datetime:
    if dt.tzinfo is None:
        raise ValueError("naive datetime")
    return dt.astimezone(UTC)


def zone(name: str, *, field: str = "timezone", where: str | None = None) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise BadInput(f"unknown time zone {name!r} (use an IANA name such as Asia/Shanghai)",
                       where=where, field=field) from None


def iso(dt: _dt.datetime) -> str:
    """ISO 8601 with offset; UTC written as 'Z'."""
    text = dt.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
