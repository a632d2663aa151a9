"""The load test, short (marker perf; run with `-m perf -s`): three `server run` processes on
one PostgreSQL behind the round-robin proxy, simulated agents for half a minute, then the
database check. The full run is `tests/perf/load/run_load.py --users 300 --minutes 3`
(README, "Scale-out"). It prints throughput and p50/p95/p99 per endpoint next to /healthz
through the same proxy (the baseline) and their ratio."""

from __future__ import annotations

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
    pytest.importorskip("locust")
    run = subprocess.run([sys.executable, str(SCRIPT), "--users", "20", "--minutes", "0.5", "--wait", "1-3",
                          "--spawn-rate", "10", "--pg", url], capture_output=True, text=True, timeout=600)
    print(run.stdout, run.stderr)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "OK: no failed request" in run.stdout
