"""Benchmark: `import_cases` of 2,000 and 100,000 generated rows into SQLite and PostgreSQL.

Baseline, measured in the same run into a fresh database of the same kind: a raw SQLAlchemy
Core bulk insert of the same rows (the CSV read with csv.DictReader, values converted, and
inserted in batches of 1,000 into customers, cases, appointments and notifications with
executemany; one transaction). No validation, no documents, no change log. The policy
engine's modules are imported before either is timed (a once-per-process cost).

Prints ms/row of both and the ratio (target: import <= 5x the baseline), and the re-import
of the same file (nothing changes). Run:
    FIELDAPP_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
    python -m pytest tests/perf/test_import_perf.py -m perf -s
Set FIELDAPP_IMPORT_PERF_SIZES=2000 to measure only the small file.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert

from fieldapp.core.timeutil import utcnow
from fieldapp.server import admin
from fieldapp.server.compliance import Assessor
from fieldapp.server.db import make_engine, session_factory, upgrade
from fieldapp.server.importer import import_cases
from fieldapp.server.models import Appointment, Case, Customer, Notification

from server.conftest import pg_schema
from server.test_import import HEADER, row

pytestmark = pytest.mark.perf
SIZES = [int(n) for n in os.environ.get("FIELDAPP_IMPORT_PERF_SIZES", "2000,100000").split(",")]
BATCH = 1000


def _write(path: Path, n: int) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=HEADER)
        w.writeheader()
        for i in range(n):
            w.writerow(row(f"IMP-{i:06d}", customer_name=f"客户{i}", amount_due=f"{1000 + i % 9000}.50",
                           agent=("agent1", "agent2")[i % 2]))
    return path


@contextlib.contextmanager
def _database(kind: str, tmp: Path, tag: str) -> Iterator[str]:
    if kind == "sqlite":
        url = f"sqlite:///{tmp / f'{tag}.db'}"
        upgrade(url)
        yield url
        return
    if not os.environ.get("FIELDAPP_TEST_PG_URL"):
        pytest.skip("FIELDAPP_TEST_PG_URL is not set")
    with pg_schema(f"perf{tag}") as url:
        assert url is not None
        yield url


def _aware(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.timezone.utc)


def _baseline(url: str, path: Path) -> None:
    """The raw limit: the same rows, converted and bulk-inserted with SQLAlchemy Core."""
    engine = make_engine(url)
    now = utcnow()
    try:
        with engine.begin() as conn, open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            while True:
                chunk = [r for _, r in zip(range(BATCH), reader)]
                if not chunk:
                    break
                customers, cases, appointments, notifications = [], [], [], []
                for r in chunk:
                    customer_id, case_id = str(uuid.uuid4()), str(uuid.uuid4())
                    customers.append(dict(
                        id=customer_id, external_ref=f"case:{r['external_id']}", name=r["customer_name"],
                        phone=r["phone"] or None, id_tail=r["id_tail"] or None, address=r["address"],
                        lat=float(r["lat"]), lon=float(r["lon"]), timezone=r["timezone"], region=r["region"],
                        flags=[f for f in r["flags"].split("|") if f], updated_at=now))
                    cases.append(dict(
                        id=case_id, external_id=r["external_id"], reference=r["external_id"],
                        customer_id=customer_id, amount_due=Decimal(r["amount_due"]), currency=r["currency"],
                        days_past_due=int(r["days_past_due"]), tier=r["tier"], product=r["product"],
                        policy_id=r["policy_id"], status="open", created_at=now, updated_at=now))
                    appointments.append(dict(id=str(uuid.uuid4()), case_id=case_id,
                                             start=_aware(r["appointment_start"]),
                                             end=_aware(r["appointment_end"]), status="scheduled",
                                             created_at=now))
                    for entry in r["notifications"].split(";"):
                        channel, sent, delivered = entry.split("@")
                        notifications.append(dict(id=str(uuid.uuid4()), case_id=case_id, channel=channel,
                                                  sent_at=_aware(sent),
                                                  delivered_at=_aware(delivered) if delivered else None))
                conn.execute(insert(Customer), customers)
                conn.execute(insert(Case), cases)
                conn.execute(insert(Appointment), appointments)
                conn.execute(insert(Notification), notifications)
    finally:
        engine.dispose()


def _import(url: str, path: Path) -> tuple[float, object]:
    engine = make_engine(url)
    try:
        t = time.perf_counter()
        with session_factory(engine)() as s, s.begin():
            report = import_cases(s, path)
        return time.perf_counter() - t, report
    finally:
        engine.dispose()


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_import_against_a_raw_bulk_insert(kind, n, tmp_path):
    path = _write(tmp_path / "cases.csv", n)
    Assessor().policy_problem("cn")  # the policy engine loads once per process, not per row: not timed
    with _database(kind, tmp_path, "base") as base_url:
        t = time.perf_counter()
        _baseline(base_url, path)
        base_s = time.perf_counter() - t
    with _database(kind, tmp_path, "imp") as url:
        engine = make_engine(url)
        with session_factory(engine)() as s, s.begin():
            for name in ("agent1", "agent2"):
                admin.create_user(s, name, "perf-pass-2026", "agent", "t1")
        engine.dispose()
        import_s, report = _import(url, path)
        again_s, again = _import(url, path)
    assert report.created == n and again.unchanged == n  # type: ignore[attr-defined]
    per_row, base_row = import_s * 1000 / n, base_s * 1000 / n
    print(f"\nimport {n} rows into {kind}: {per_row:.3f} ms/row ({import_s:.1f} s); raw Core bulk insert "
          f"(baseline): {base_row:.3f} ms/row ({base_s:.1f} s); ratio {per_row / base_row:.1f} (target <= 5); "
          f"re-import unchanged: {again_s * 1000 / n:.3f} ms/row")
