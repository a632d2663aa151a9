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

The import streams: rows are read (import_rows.CsvRows) and written in batches of `BATCH`,
each batch with a fixed number of set statements (services/bulkupsert.py), so memory does
not grow with the file. The batches are written inside a savepoint, rolled back when the file
turns out to have a problem and `skip_invalid` is off; once a problem is seen, later rows are
only checked (and not geocoded). A row identical to its case's last import is skipped before
anything is written, so re-importing a file writes nothing and tells no agent anything.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any, TypeVar

from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.schema import CreateTable, DropTable
from sqlalchemy.orm import Session

from fieldapp.core.errors import BadInput
from fieldapp.geo.geocode import Geocoder, GeocodingUnavailable
from fieldapp.server.compliance import Assessor
from fieldapp.server.import_checks import PolicyCheck
from fieldapp.server.import_rows import COLUMNS, OPTIONAL, REQUIRED, CsvRows, Parsed, RowError
from fieldapp.server.models import Case, User
from fieldapp.server.observability import metrics
from fieldapp.server.services.batchdocs import write_many
from fieldapp.server.services.bulkupsert import upsert_rows
from fieldapp.server.services.caseupsert import CaseRow

__all__ = ["BATCH", "COLUMNS", "MAX_ERRORS_SHOWN", "OPTIONAL", "REQUIRED", "ImportReport", "RowError",
           "batches", "import_cases", "read_rows"]

log = logging.getLogger(__name__)

BATCH = 1000  # rows read, checked and written together
MAX_ERRORS_SHOWN = 50
MAX_ERRORS_KEPT = 1000  # in the report; all of them go to the rejected-rows file
REJECTED_COLUMNS = ("line", "column", "reason")

Progress = Callable[[int, int, int], None]  # (rows read, bytes read, bytes in the file)
T = TypeVar("T")


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
    problems: int = 0  # all of them; `errors` keeps the first MAX_ERRORS_KEPT, by line
    errors: list[RowError] = field(default_factory=list)
    flagged: list[tuple[str, str]] = field(default_factory=list)  # (external_id, why), the first ones
    cannot_visit: int = 0  # all the cases that cannot be visited as planned

    @property
    def ok(self) -> bool:
        return self.applied

    def summary(self) -> str:
        if not self.applied:
            return (f"{self.path}: {self.problems} problem(s) in {self.rows} row(s); nothing imported "
                    "(fix the file, or use --skip-invalid to import the good rows)")
        text = (f"{self.path}: {self.rows} row(s): {self.created} created, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.skipped} skipped")
        if self.geocoded:
            text += f"; {self.geocoded} geocoded ({self.geocode_lookups} lookup(s))"
        if self.cannot_visit:
            text += f"; {self.cannot_visit} case(s) cannot be visited as planned"
        return text


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items, read lazily."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def read_rows(path: Path) -> tuple[list[tuple[int, CaseRow]], list[RowError], int]:
    """Parse and check a whole file at once: (good rows with their line, errors, data rows).
    For small files and measurements; the import itself streams (`CsvRows`)."""
    rows: list[tuple[int, CaseRow]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    reader = CsvRows(path)
    for parsed in reader:
        errors.extend(parsed.errors)
        if parsed.row is None or parsed.errors:
            continue
        if parsed.row.external_id in seen:
            errors.append(RowError(parsed.line, "external_id",
                                   f"{parsed.row.external_id!r} repeats line {seen[parsed.row.external_id]}"))
            continue
        seen[parsed.row.external_id] = parsed.line
        rows.append((parsed.line, parsed.row))
    return rows, errors, reader.count


class _Rejected:
    """The rejected-rows file: line, column, reason of each problem, in line order per batch."""

    def __init__(self, path: str | Path) -> None:
        try:
            self._file: IO[str] | None = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise BadInput(f"cannot write the rejected rows: {exc.strerror or exc}", where=str(path)) from None
        self._writer = csv.writer(self._file, lineterminator="\r\n")
        self._writer.writerow(REJECTED_COLUMNS)

    def write(self, errors: list[RowError]) -> None:
        self._writer.writerows((e.line, e.column or "", e.reason) for e in errors)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class _RecordingCache:
    """Passes geocoder answers to the real cache and remembers them, so they can be put
    again after the import's savepoint is rolled back (an answer costs a lookup)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.puts = inner, []

    def get(self, key: str) -> Any:
        return self.inner.get(key)

    def put(self, key: str, answer: Any) -> None:
        self.puts.append((key, answer))
        self.inner.put(key, answer)


_SEEN = Table("fieldapp_import_seen", MetaData(), Column("external_id", String(100), primary_key=True),
               Column("line", Integer), prefixes=["TEMPORARY"])


class _SeenIds:
    """The external ids read so far, with their lines, in a temporary table of the import's
    own connection (created and dropped inside the import's savepoint), not in memory."""

    def __init__(self, session: Session) -> None:
        self.session = session
        session.execute(DropTable(_SEEN, if_exists=True))
        session.execute(CreateTable(_SEEN))

    def lines(self, external_ids: list[str]) -> dict[str, int]:
        if not external_ids:
            return {}
        return dict(self.session.execute(select(_SEEN.c.external_id, _SEEN.c.line)
                                         .where(_SEEN.c.external_id.in_(external_ids))).all())

    def add(self, rows: list[tuple[str, int]]) -> None:
        if rows:
            write_many(self.session, _SEEN.insert(), [{"external_id": e, "line": n} for e, n in rows])

    def drop(self) -> None:
        self.session.execute(DropTable(_SEEN, if_exists=True))


class _Pipeline:
    def __init__(self, session: Session, report: ImportReport, skip_invalid: bool, geocoder: Geocoder | None,
                 actor_id: str | None, rejected: _Rejected | None) -> None:
        self.session, self.report, self.skip_invalid = session, report, skip_invalid
        self.geocoder, self.actor_id, self.rejected = geocoder, actor_id, rejected
        self.assessor = Assessor()
        self.policies = PolicyCheck(self.assessor)
        self.agents: dict[str, str | None] = {}  # casefolded username -> user id (None: no such agent)
        self.seen = _SeenIds(session)  # a repeated external_id is an error

    @property
    def writing(self) -> bool:
        return self.skip_invalid or not self.report.problems

    def run(self, batch: list[Parsed]) -> None:
        errors: list[RowError] = []
        good: list[tuple[int, CaseRow]] = []
        valid = [p for p in batch if p.row is not None and not p.errors]
        seen = self.seen.lines([p.row.external_id for p in valid if p.row is not None])
        for parsed in batch:
            if parsed.row is None or parsed.errors:
                errors.extend(parsed.errors)
                continue
            ext = parsed.row.external_id
            if ext in seen:
                errors.append(RowError(parsed.line, "external_id", f"{ext!r} repeats line {seen[ext]}"))
                continue
            seen[ext] = parsed.line
            good.append((parsed.line, parsed.row))
        self.seen.add([(row.external_id, line) for line, row in good])
        self._look_up_agents({row.agent.casefold() for _, row in good if row.agent})
        known = _source_hashes(self.session, [row.external_id for _, row in good])
        located: list[tuple[CaseRow, str]] = []
        for line, row in good:
            if row.agent and self.agents.get(row.agent.casefold()) is None:
                errors.append(RowError(line, "agent", f"no agent or lead named {row.agent!r}"))
                continue
            if (problem := self.policies.problem(row.policy_id)) is not None:
                errors.append(RowError(line, "policy_id", problem))
                continue
            fingerprint = row.fingerprint()  # as written in the file
            if known.get(row.external_id) == fingerprint:
                self.report.unchanged += 1
                continue
            if row.lat is None and not self._locate(line, row, errors):
                continue
            located.append((row, fingerprint))
        self._reject(errors)
        if self.writing and located:
            agents = {name: user_id for name, user_id in self.agents.items() if user_id is not None}
            result = upsert_rows(self.session, located, agents, self.actor_id, self.assessor)
            self.report.created += result.created
            self.report.updated += result.updated
            self.report.cannot_visit += len(result.flagged)
            room = MAX_ERRORS_KEPT - len(self.report.flagged)
            self.report.flagged.extend(result.flagged[:max(room, 0)])

    def _locate(self, line: int, row: CaseRow, errors: list[RowError]) -> bool:
        if self.geocoder is None:
            errors.append(RowError(line, "lat", "no coordinates, and geocoding is off "
                                                "(give lat/lon or use a geocoder)"))
            return False
        if not self.skip_invalid and (errors or self.report.problems):
            return False  # nothing of this file will be written: spare the geocoder
        try:
            before = self.geocoder.lookups
            point = self.geocoder.locate(row.address, row.region)
            self.report.geocode_lookups += self.geocoder.lookups - before
        except GeocodingUnavailable as exc:
            raise BadInput(f"{exc}; nothing imported", where=f"{self.report.path}:{line}") from None
        if point is None:
            errors.append(RowError(line, "address", "the geocoder found no such address; give lat/lon"))
            return False
        row.lat, row.lon = point.lat, point.lon
        self.report.geocoded += 1
        return True

    def _look_up_agents(self, names: set[str]) -> None:
        names -= self.agents.keys()
        if not names:
            return
        found = dict(self.session.execute(
            select(func.lower(User.username), User.id)
            .where(func.lower(User.username).in_(names), User.role.in_(("agent", "lead")))).all())
        for name in names:
            self.agents[name] = found.get(name)

    def _reject(self, errors: list[RowError]) -> None:
        if not errors:
            return
        errors.sort(key=lambda e: e.line)
        self.report.problems += len(errors)
        room = MAX_ERRORS_KEPT - len(self.report.errors)
        self.report.errors.extend(errors[:max(room, 0)])
        if self.rejected is not None:
            self.rejected.write(errors)


def import_cases(session: Session, path: str | Path, *, skip_invalid: bool = False,
                 geocoder: Geocoder | None = None, actor_id: str | None = None, batch_size: int = BATCH,
                 rejected: str | Path | None = None, progress: Progress | None = None) -> ImportReport:
    """Import a CSV file of cases. Never commits; with errors and no `skip_invalid` it writes
    no case (only geocoder answers may have been cached). `rejected`: a CSV file to write
    each problem to (line, column, reason); `progress` is called after each batch."""
    path = Path(path)
    rows = CsvRows(path)
    report = ImportReport(path=str(path))
    out = None
    recording = None
    try:
        out = _Rejected(rejected) if rejected is not None else None
        if geocoder is not None:
            recording = _RecordingCache(geocoder.cache)
            geocoder.cache = recording
        size = rows.size
        with session.begin_nested() as savepoint:
            pipeline = _Pipeline(session, report, skip_invalid, geocoder, actor_id, out)
            for batch in batches(rows, batch_size):
                pipeline.run(batch)
                report.rows = rows.count
                if progress is not None:
                    progress(rows.count, rows.position(), size)
            report.rows = rows.count
            pipeline.seen.drop()
            if report.problems and not skip_invalid:
                savepoint.rollback()
    finally:
        rows.close()
        if out is not None:
            out.close()
        if recording is not None and geocoder is not None:
            geocoder.cache = recording.inner
    if report.problems and not skip_invalid:
        if recording is not None:
            for key, answer in recording.puts:  # rolled back with the rows: keep what was learnt
                recording.inner.put(key, answer)
        report.created = report.updated = report.unchanged = report.geocoded = 0
        report.flagged, report.cannot_visit = [], 0
        return report
    report.flagged.sort()
    report.skipped = report.rows - report.created - report.updated - report.unchanged
    report.applied = True
    metrics.count_import(session, report)
    log.info("import: %d rows, %d created, %d updated, %d skipped", report.rows, report.created,
             report.updated, report.skipped)
    return report


def _source_hashes(session: Session, external_ids: list[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for i in range(0, len(external_ids), 1000):
        chunk = external_ids[i:i + 1000]
        found.update(session.execute(select(Case.external_id, Case.source_hash)
                                     .where(Case.external_id.in_(chunk))).all())
    return found
