"""Reading an import file: the header check and each row's validation, streamed.

`CsvRows` checks the header when it is opened and then yields the data rows one at a time
(line, parsed row or None, that row's errors), so a file of any size is read in constant
memory. Every problem names its line and column (columns: see importer.py and IMPORT.md).
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO

from fieldapp.core.enums import Channel, CustomerFlag
from fieldapp.core.errors import BadInput
from fieldapp.core.money import exact, to_decimal
from fieldapp.core.timeutil import parse_aware, zone
from fieldapp.server.import_checks import text_problem
from fieldapp.server.services.caseupsert import CaseRow

REQUIRED = ("external_id", "customer_name", "address", "timezone", "region", "amount_due",
            "currency", "days_past_due", "policy_id")
OPTIONAL = ("reference", "customer_ref", "phone", "email", "id_tail", "lat", "lon", "language", "tier",
            "product", "agent", "appointment_start", "appointment_end", "notifications", "flags",
            "status")
COLUMNS = REQUIRED + OPTIONAL
MAX_ERRORS_SHOWN = 50
_CHANNELS = frozenset(c.value for c in Channel)  # once: iterating an enum is slow
_FLAGS = frozenset(f.value for f in CustomerFlag)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}" + (f", column {self.column}" if self.column else "") + f": {self.reason}"


class _RowReader:
    def __init__(self, line: int, raw: dict[str, str], errors: list[RowError]):
        self.line, self.raw, self.errors = line, raw, errors

    def fail(self, column: str | None, reason: str) -> None:
        self.errors.append(RowError(self.line, column, reason))

    def text(self, column: str, *, required: bool = False, limit: int = 200) -> str | None:
        raw = self.raw.get(column) or ""
        problem = text_problem(raw, column)
        if problem:
            self.fail(column, problem)
            return None
        value = raw.strip()
        if not value:
            if required:
                self.fail(column, "required, but empty")
            return None
        if len(value) > limit:
            self.fail(column, f"longer than {limit} characters")
            return None
        return value


def _parse_row(r: _RowReader) -> CaseRow | None:
    before = len(r.errors)
    ext = r.text("external_id", required=True, limit=100)
    name = r.text("customer_name", required=True)
    address = r.text("address", required=True, limit=500)
    tz = r.text("timezone", required=True, limit=64)
    if tz:
        try:
            zone(tz)
        except BadInput as exc:
            r.fail("timezone", exc.reason)
    region = r.text("region", required=True, limit=16)
    if region and not (len(region.split("-")[0]) == 2 and region.split("-")[0].isalpha()):
        r.fail("region", f"{region!r} is not an ISO country code (optionally with -subdivision)")
    currency = (r.text("currency", required=True, limit=3) or "").upper() or None
    amount: Decimal | None = None
    raw_amount = r.text("amount_due", required=True, limit=30)
    if raw_amount and currency:
        try:
            amount = exact(to_decimal(raw_amount, field="amount_due"), currency, field="amount_due")
            if amount < 0:
                r.fail("amount_due", "must not be negative")
        except BadInput as exc:
            r.fail(exc.field if exc.field in ("amount_due", "currency") else "amount_due", exc.reason)
    days = r.text("days_past_due", required=True, limit=10)
    dpd = 0
    if days is not None:
        if not days.isdigit():
            r.fail("days_past_due", f"{days!r} is not a whole number >= 0")
        else:
            dpd = int(days)
    lat, lon = _coordinates(r)
    appointment = _appointment(r)
    notifications = _notifications(r)
    flags = _flags(r)
    status = r.text("status", limit=10)
    if status and status.lower() not in ("open", "closed"):
        r.fail("status", f"{status!r} is neither open nor closed")
    email = r.text("email", limit=254)
    if email and not EMAIL.match(email):
        r.fail("email", f"{email[:60]!r} is not an email address (name@example.org)")
    id_tail = r.text("id_tail", limit=8)
    if id_tail and len(id_tail) > 4:
        r.fail("id_tail", "give only the last 4 characters of the identity document")
    if len(r.errors) > before:
        return None
    assert ext and name and address and tz and region and currency and amount is not None
    return CaseRow(
        external_id=ext, customer_name=name, address=address, timezone=tz, region=region.upper(),
        amount_due=amount, currency=currency, days_past_due=dpd,
        policy_id=r.text("policy_id", required=True, limit=100) or "",
        reference=r.text("reference", limit=100), customer_ref=r.text("customer_ref"),
        phone=r.text("phone", limit=50), email=email, id_tail=id_tail, lat=lat, lon=lon,
        language=r.text("language", limit=16), tier=r.text("tier", limit=50),
        product=r.text("product", limit=100), agent=r.text("agent", limit=100),
        appointment=appointment, notifications=notifications, flags=flags,
        status=status.lower() if status else None)


def _coordinates(r: _RowReader) -> tuple[float | None, float | None]:
    raw_lat, raw_lon = r.text("lat", limit=30), r.text("lon", limit=30)
    if (raw_lat is None) != (raw_lon is None):
        r.fail("lat" if raw_lat is None else "lon", "give both lat and lon, or neither")
        return None, None
    if raw_lat is None or raw_lon is None:
        return None, None
    out: list[float | None] = []
    for column, raw, limit in (("lat", raw_lat, 90), ("lon", raw_lon, 180)):
        try:
            value = float(raw)
            if not -limit <= value <= limit or value != value:
                raise ValueError
            out.append(value)
        except ValueError:
            r.fail(column, f"{raw!r} is not a coordinate between -{limit} and {limit}")
            out.append(None)
    return out[0], out[1]


def _appointment(r: _RowReader):  # type: ignore[no-untyped-def]
    start_raw, end_raw = r.text("appointment_start", limit=40), r.text("appointment_end", limit=40)
    if start_raw is None and end_raw is None:
        return None
    if start_raw is None or end_raw is None:
        r.fail("appointment_start" if start_raw is None else "appointment_end",
               "give both appointment_start and appointment_end, or neither")
        return None
    try:
        start = parse_aware(start_raw, field="appointment_start")
        end = parse_aware(end_raw, field="appointment_end")
    except BadInput as exc:
        r.fail(exc.field, exc.reason)
        return None
    if end <= start:
        r.fail("appointment_end", "must be after appointment_start")
        return None
    return start, end


def _notifications(r: _RowReader) -> list:  # type: ignore[type-arg]
    raw = r.text("notifications", limit=4000)
    out = []
    if not raw:
        return out
    channels = _CHANNELS
    for n, entry in enumerate(p.strip() for p in raw.split(";")):
        if not entry:
            continue
        parts = entry.split("@")
        if len(parts) not in (2, 3):
            r.fail("notifications", f"entry {n + 1} {entry[:60]!r}: expected channel@sent_at@delivered_at")
            continue
        channel = parts[0].strip().lower()
        if channel not in channels:
            r.fail("notifications", f"entry {n + 1}: unknown channel {channel!r} "
                                    f"(use {', '.join(sorted(channels))})")
            continue
        try:
            sent = parse_aware(parts[1], field="notifications")
            delivered = parse_aware(parts[2], field="notifications") if len(parts) == 3 and parts[2].strip() \
                else None
        except BadInput as exc:
            r.fail("notifications", f"entry {n + 1}: {exc.reason}")
            continue
        if delivered is not None and delivered < sent:
            r.fail("notifications", f"entry {n + 1}: delivered before it was sent")
            continue
        out.append((channel, sent, delivered))
    return out


def _flags(r: _RowReader) -> list[str]:
    raw = r.text("flags", limit=500)
    if not raw:
        return []
    known = _FLAGS
    flags = []
    for flag in (f.strip().lower() for f in raw.split("|")):
        if not flag:
            continue
        if flag not in known:
            r.fail("flags", f"unknown flag {flag!r} (known: {', '.join(sorted(known))})")
        else:
            flags.append(flag)
    return flags


@dataclass(frozen=True)
class Parsed:
    """One data row: its first line, the row when valid, and its problems."""
    line: int
    row: CaseRow | None
    errors: list[RowError]


class CsvRows:
    """The rows of an import file, read lazily. Opening checks the file and its header
    (BadInput naming the file and line 1); iterating yields `Parsed` per non-blank row.
    `count` is the number of data rows read so far; `line` the line reading has reached."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.count = 0
        self.line = 1
        try:
            self._file: IO[str] = open(self.path, encoding="utf-8-sig", newline="")  # noqa: SIM115
        except FileNotFoundError:
            raise BadInput("file not found", where=str(self.path)) from None
        except IsADirectoryError:
            raise BadInput("is a folder, not a CSV file", where=str(self.path)) from None
        try:
            self._reader = csv.reader(self._file, strict=True)
            try:
                self.header = [h.strip() for h in next(self._reader, [])]
            except csv.Error as exc:
                raise BadInput(f"not a readable CSV header ({exc})", where=f"{self.path}:1") from None
            except UnicodeDecodeError:
                raise self._not_utf8() from None
            self._check_header()
        except BaseException:
            self._file.close()
            raise

    @property
    def size(self) -> int:
        """The file's size in bytes (for progress)."""
        return self.path.stat().st_size

    def position(self) -> int:
        """Roughly how many bytes have been read (the reader reads ahead in blocks)."""
        try:
            return self._file.buffer.tell()
        except (OSError, ValueError):
            return 0

    def _check_header(self) -> None:
        header = self.header
        if not any(header):
            raise BadInput("the file is empty; expected a header row", where=f"{self.path}:1")
        unknown = [h for h in header if h not in COLUMNS]
        missing = [c for c in REQUIRED if c not in header]
        dupes = sorted({h for h in header if header.count(h) > 1})
        if unknown or missing or dupes:
            parts = []
            if unknown:
                parts.append("unknown column(s) " + ", ".join(repr(u) for u in unknown))
            if missing:
                parts.append("missing column(s) " + ", ".join(missing))
            if dupes:
                parts.append("repeated column(s) " + ", ".join(dupes))
            raise BadInput("; ".join(parts) + f" (columns: {', '.join(COLUMNS)})", where=f"{self.path}:1")

    def _not_utf8(self) -> BadInput:
        byte, line = _first_bad_utf8(self.path)
        return BadInput(f"not UTF-8 text (byte {byte}); save the file as UTF-8", where=f"{self.path}:{line}")

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> CsvRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Parsed]:
        header, reader = self.header, self._reader
        width = len(header)
        next_line = reader.line_num + 1
        try:
            while True:
                start = next_line
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield Parsed(start, None, [RowError(start, None, f"malformed CSV ({exc}); reading stopped here")])
                    return
                except UnicodeDecodeError:
                    raise self._not_utf8() from None
                next_line = self.line = reader.line_num + 1
                if not any(f.strip() for f in fields):
                    continue  # blank line
                self.count += 1
                errors: list[RowError] = []
                r = _RowReader(start, dict(zip(header, fields)), errors)
                if len(fields) != width:
                    r.fail(None, f"{len(fields)} fields where the header has {width}; "
                                 "quote values that contain commas")
                    yield Parsed(start, None, errors)
                    continue
                yield Parsed(start, _parse_row(r), errors)
        finally:
            self.close()


def _first_bad_utf8(path: Path) -> tuple[int, int]:
    """(byte offset, line) of the first byte that is not UTF-8, read in blocks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines = 0, 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            pending = len(decoder.getstate()[0])  # bytes of a character cut by the last block
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                at = max(0, exc.start - pending)
                return offset + at, lines + block[:at].count(b"\n") + 1
            offset += len(block)
            lines += block.count(b"\n")
    return offset, lines + 1
