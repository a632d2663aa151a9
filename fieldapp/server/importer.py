"""Case import from CSV (the bank's export). Documented for integrators in IMPORT.md.

The file is UTF-8 (a BOM is accepted), comma-separated with standard CSV quoting (so an
address may contain commas, quotes and line breaks), with a header row naming the columns.
Columns (* required; unknown columns are refused so a typo cannot silently drop data):

  external_id*      the bank's case id; the import key (re-importing a row updates that case)
  reference         human reference shown to the agent (default: external_id)
  customer_ref      the bank's customer id, when one customer has several cases
  customer_name*    full name (Chinese is fine)
  phone             phone number (SMS notices go to it)
  email             email address (email notices go to it)
  id_tail           last 4 characters of the identity document (never the whole number)
  address*          street address
  lat, lon          WGS-84 decimal degrees, both or neither; without them the address is geocoded
  timezone*         IANA zone of the customer, e.g. Asia/Shanghai
  region*           holiday calendar: ISO country, optional subdivision (CN, US-MA)
  language          customer's language, e.g. zh_CN
  amount_due*       decimal with a point, no more decimals than the currency has (12345.60)
  currency*         ISO 4217 (CNY)
  days_past_due*    whole number >= 0
  tier, product     free text
  agent             username of the assigned agent (empty: unassigned)
  policy_id*        compliance policy id (cn-bank-home-visit, cn, us-fdcpa, ...)
  appointment_start, appointment_end   ISO 8601 with offset, both or neither; end after start
  notifications     channel@sent_at@delivered_at entries separated by ';' (delivered_at may be
                    empty): sms@2026-03-01T10:00:00+08:00@2026-03-01T10:01:00+08:00
  flags             customer flags separated by '|': disputed|vulnerable
  status            open or closed (empty: new cases open, existing cases keep theirs)

A bad file is reported row by row (line, column, reason) and nothing is imported, unless
`skip_invalid`, which imports the good rows and reports the others as skipped. Control and
invisible formatting characters (NUL...) and unknown policies are refused (import_checks.py).
"""

from __future__ import annotations

import csv
import io
import re
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldapp.core.enums import Channel, CustomerFlag
from fieldapp.core.errors import BadInput
from fieldapp.core.money import exact, to_decimal
from fieldapp.core.timeutil import parse_aware, zone
from fieldapp.geo.geocode import Geocoder, GeocodingUnavailable
from fieldapp.server.compliance import Assessor
from fieldapp.server.import_checks import PolicyCheck, text_problem
from fieldapp.server.models import Case, User
from fieldapp.server.observability import metrics
from fieldapp.server.services.caseupsert import CaseRow, upsert_case
from fieldapp.server.services.records import case_record, load_cases

log = logging.getLogger(__name__)

REQUIRED = ("external_id", "customer_name", "address", "timezone", "region", "amount_due",
            "currency", "days_past_due", "policy_id")
OPTIONAL = ("reference", "customer_ref", "phone", "email", "id_tail", "lat", "lon", "language", "tier",
            "product", "agent", "appointment_start", "appointment_end", "notifications", "flags",
            "status")
COLUMNS = REQUIRED + OPTIONAL
MAX_ERRORS_SHOWN = 50
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}" + (f", column {self.column}" if self.column else "") + f": {self.reason}"


@dataclass
class ImportReport:
    path: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    geocoded: int = 0
    geocode_lookups: int = 0
    applied: bool = False
    errors: list[RowError] = field(default_factory=list)
    flagged: list[tuple[str, str]] = field(default_factory=list)  # (external_id, why)

    @property
    def ok(self) -> bool:
        return self.applied

    def summary(self) -> str:
        if not self.applied:
            return (f"{self.path}: {len(self.errors)} problem(s) in {self.rows} row(s); nothing imported "
                    "(fix the file, or use --skip-invalid to import the good rows)")
        text = (f"{self.path}: {self.rows} row(s): {self.created} created, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.skipped} skipped")
        if self.geocoded:
            text += f"; {self.geocoded} geocoded ({self.geocode_lookups} lookup(s))"
        if self.flagged:
            text += f"; {len(self.flagged)} case(s) cannot be visited as planned"
        return text


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
    channels = {c.value for c in Channel}
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
    known = {f.value for f in CustomerFlag}
    flags = []
    for flag in (f.strip().lower() for f in raw.split("|")):
        if not flag:
            continue
        if flag not in known:
            r.fail("flags", f"unknown flag {flag!r} (known: {', '.join(sorted(known))})")
        else:
            flags.append(flag)
    return flags


def read_rows(path: Path) -> tuple[list[tuple[int, CaseRow]], list[RowError], int]:
    """Parse and check every row: (good rows with their line, errors, number of data rows)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise BadInput("file not found", where=str(path)) from None
    except IsADirectoryError:
        raise BadInput("is a folder, not a CSV file", where=str(path)) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise BadInput(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8",
                       where=f"{path}:{line}") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise BadInput(f"not a readable CSV header ({exc})", where=f"{path}:1") from None
    if not any(header):
        raise BadInput("the file is empty; expected a header row", where=f"{path}:1")
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
        raise BadInput("; ".join(parts) + f" (columns: {', '.join(COLUMNS)})", where=f"{path}:1")

    rows: list[tuple[int, CaseRow]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    count = 0
    next_line = reader.line_num + 1
    while True:
        start = next_line
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(start, None, f"malformed CSV ({exc}); reading stopped here"))
            break
        next_line = reader.line_num + 1
        if not any(f.strip() for f in fields):
            continue  # blank line
        count += 1
        r = _RowReader(start, dict(zip(header, fields)), errors)
        if len(fields) != len(header):
            r.fail(None, f"{len(fields)} fields where the header has {len(header)}; "
                         "quote values that contain commas")
            continue
        row = _parse_row(r)
        if row is None:
            continue
        if row.external_id in seen:
            r.fail("external_id", f"{row.external_id!r} repeats line {seen[row.external_id]}")
            continue
        seen[row.external_id] = start
        rows.append((start, row))
    return rows, errors, count


def import_cases(session: Session, path: str | Path, *, skip_invalid: bool = False,
                 geocoder: Geocoder | None = None, actor_id: str | None = None) -> ImportReport:
    """Import a CSV file of cases. Never commits; with errors and no `skip_invalid` it writes
    no case (only geocoder answers may have been cached)."""
    path = Path(path)
    rows, errors, count = read_rows(path)
    report = ImportReport(path=str(path), rows=count, errors=errors)

    agents = _agents(session, {row.agent for _, row in rows if row.agent})
    policies = PolicyCheck()
    checked: list[tuple[int, CaseRow]] = []
    for line, row in rows:
        if row.agent and row.agent.casefold() not in agents:
            errors.append(RowError(line, "agent", f"no agent or lead named {row.agent!r}"))
        elif (problem := policies.problem(row.policy_id)) is not None:
            errors.append(RowError(line, "policy_id", problem))
        else:
            checked.append((line, row))
    errors.sort(key=lambda e: e.line)
    if errors and not skip_invalid:
        return report

    known = _source_hashes(session, [row.external_id for _, row in checked])
    located: list[tuple[CaseRow, str]] = []
    for line, row in checked:
        fingerprint = row.fingerprint()  # as written in the file
        if known.get(row.external_id) == fingerprint:
            report.unchanged += 1
            continue
        if row.lat is None:
            if geocoder is None:
                errors.append(RowError(line, "lat", "no coordinates, and geocoding is off "
                                                    "(give lat/lon or use a geocoder)"))
                continue
            try:
                before = geocoder.lookups
                point = geocoder.locate(row.address, row.region)
                report.geocode_lookups += geocoder.lookups - before
            except GeocodingUnavailable as exc:
                raise BadInput(f"{exc}; nothing imported", where=f"{path}:{line}") from None
            if point is None:
                errors.append(RowError(line, "address", "the geocoder found no such address; "
                                                         "give lat/lon"))
                continue
            row.lat, row.lon = point.lat, point.lon
            report.geocoded += 1
        located.append((row, fingerprint))
    errors.sort(key=lambda e: e.line)
    if errors and not skip_invalid:
        return report

    written: list[str] = []
    for row, fingerprint in located:
        outcome, case = upsert_case(session, row, agents, actor_id, fingerprint)
        setattr(report, outcome, getattr(report, outcome) + 1)
        if outcome != "unchanged" and case.status == "open":
            written.append(case.id)
    report.flagged = _flag(session, written)
    report.skipped = count - len(located) - report.unchanged
    report.applied = True
    metrics.count_import(session, report)
    log.info("import: %d rows, %d created, %d updated, %d skipped", count, report.created,
             report.updated, report.skipped)
    return report


def _flag(session: Session, case_ids: list[str]) -> list[tuple[str, str]]:
    """(external_id, why) of the written cases that cannot be visited as planned."""
    assessor = Assessor()
    if not assessor.available:
        return []
    flagged = []
    session.flush()
    for i in range(0, len(case_ids), 500):
        cases = load_cases(session, case_ids[i:i + 500])
        for case in cases.values():
            compliance = case_record(case, assessor).compliance
            if compliance is not None and not compliance.allowed:
                flagged.append((case.external_id, compliance.summary))
    return sorted(flagged)


def _source_hashes(session: Session, external_ids: list[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for i in range(0, len(external_ids), 500):
        chunk = external_ids[i:i + 500]
        found.update(session.execute(select(Case.external_id, Case.source_hash)
                                     .where(Case.external_id.in_(chunk))).all())
    return found


def _agents(session: Session, names: set[str]) -> dict[str, User]:
    if not names:
        return {}
    folded = {n.casefold() for n in names}
    users = session.scalars(select(User).where(func.lower(User.username).in_(folded),
                                               User.role.in_(("agent", "lead")))).all()
    return {u.username.casefold(): u for u in users}
