"""Canonical JSON: one byte sequence per value, so hashes of content are stable.

Rules: keys sorted, no insignificant white space, UTF-8 (non-ASCII kept as is),
`Decimal` written as a string with its exact digits, datetimes as ISO 8601 in UTC with
'Z', dates as ISO dates, UUIDs as strings. Floats are refused: money and hashes never
go through binary floating point (coordinates are written as strings by their owners).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        # Floats are allowed only when they are integral or came from JSON coordinates;
        # repr() is shortest round-trip, stable across platforms for IEEE doubles.
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime cannot be made canonical")
        return value.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"cannot make {type(value).__name__} canonical")


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 bytes of `value`."""
    return json.dumps(
        _normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_hash(value: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of `value`."""
    return sha256_hex(canonical_json(value))
