"""The integrity check every store open runs, on a store of 50,000 cases.

Prints PRAGMA integrity_check (what the store runs: it also compares indexes with their
tables) against PRAGMA quick_check (the baseline: structure only), each the median of a
few runs on a warm file, with the ratio; and the whole open of the store, and a rescue of
it. The decision to run integrity_check at every open rests on these numbers (about
0.1-0.45 s on a 57 MB store here, 2-2.6 times quick_check; a rescue of it about 27 s)."""

from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))

from store_records import case_record, upsert  # noqa: E402

from fieldapp.store import Store  # noqa: E402
from fieldapp.store import cases as case_repo  # noqa: E402
from fieldapp.store.rescue import rescue  # noqa: E402

CASES = int(os.environ.get("FIELDAPP_PERF_CASES", "50000"))
RUNS = 5


def _median(fn) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _pragma(path: Path, name: str) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute(f"PRAGMA {name}").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_integrity_check_on_a_store_of_50k_cases(tmp_path):
    path = tmp_path / "store.sqlite3"
    store = Store(path)
    for start in range(0, CASES, 1000):
        with store.write() as s:
            case_repo.apply_changes(s, store.cipher, [upsert(i, case_record(i))
                                                      for i in range(start + 1, min(start + 1000, CASES) + 1)])
    store.close()
    size_mb = path.stat().st_size / 1e6
    quick = _median(lambda: _pragma(path, "quick_check"))
    full = _median(lambda: _pragma(path, "integrity_check"))
    opened = _median(lambda: Store(path).close())
    print(f"\nstore of {CASES} cases, {size_mb:.0f} MB")
    print(f"integrity_check {full:.3f} s vs quick_check (baseline) {quick:.3f} s -> ratio {full / quick:.2f}")
    print(f"whole open of the store (integrity_check included): {opened:.3f} s")
    start = time.perf_counter()
    report = rescue(path, tmp_path / "rescued.sqlite3")
    print(f"rescue of the intact store: {time.perf_counter() - start:.1f} s, {report.cases_rescued} cases")
    assert report.cases_rescued == CASES
