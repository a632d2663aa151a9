"""The load test, short (marker perf; run with `-m perf -s`): three `server run` processes on
one PostgreSQL behind the round-robin proxy, simulated agents for half a minute, then the
database check. The full run is `tests/perf/load/run_load.py --users 300 --minutes 3`
(README, "Scale-out"). It prints throughput and p50/p95/p99 per endpoint next to /healthz
through the same proxy (the baseline) and their ratio."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.perf

SCRIPT = Path(__file__).parent / "load" / "run_load.py"


def _admin_url() -> str | None:
    """A PostgreSQL URL whose user may create databases: FIELDAPP_LOAD_PG_URL, else the
    server tests' FIELDAPP_TEST_PG_URL pointed at the `postgres` database."""
    url = os.environ.get("FIELDAPP_LOAD_PG_URL")
    if url:
        return url
    test_url = os.environ.get("FIELDAPP_TEST_PG_URL")
    if not test_url:
        return None
    from sqlalchemy.engine import make_url

    return make_url(test_url).set(database="postgres").render_as_string(hide_password=False)


def test_load_short_run_loses_nothing():
    url = _admin_url()
    if url is None:
        pytest.skip("set FIELDAPP_TEST_PG_URL (or FIELDAPP_LOAD_PG_URL) to a PostgreSQL server")
    if importlib.util.find_spec("locust") is None:  # never imported here: it patches the process (gevent)
        pytest.skip("locust is not installed (pip install -e '.[dev]')")
    run = subprocess.run([sys.executable, str(SCRIPT), "--users", "20", "--minutes", "0.5", "--wait", "1-3",
                          "--spawn-rate", "10", "--pg", url], capture_output=True, text=True, timeout=600)
    print(run.stdout, run.stderr)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "OK: no failed request" in run.stdout


def test_the_change_check_tells_a_hole_from_a_legitimate_gap():
    """The database check itself, on made-up records: numbers skipped for other agents, for
    superseded changes and across a history gap pass; a change below the cursor never pulled,
    or a number inside a gap, fails."""
    sys.path.insert(0, str(SCRIPT.parent))
    from run_load import check_changes

    gaps = [(100, 5000)]
    ids = {"a": "u-a"}
    record = {"agent": "a", "cursor": 5003, "seen": [[3, "c1", "upsert"], [7, "c2", "upsert"], [5002, "c1", "upsert"]]}
    rows = {"u-a": [(7, "c2", "upsert"), (5002, "c1", "upsert"), (5009, "c3", "upsert")],  # 3 was superseded
            "u-b": [(4, "c9", "upsert"), (5001, "c8", "upsert")]}
    assert check_changes([record], ids, rows, gaps) == []
    rows["u-a"].append((5, "c4", "upsert"))  # committed behind a number the client had passed
    assert any("never pulled" in p for p in check_changes([record], ids, rows, gaps))
    record["seen"].insert(2, [200, "c5", "upsert"])
    rows["u-a"].remove((5, "c4", "upsert"))
    assert any("inside a history gap" in p for p in check_changes([record], ids, rows, gaps))
