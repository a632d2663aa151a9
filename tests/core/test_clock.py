"""One clock: the package reads "now" only through fieldapp.core.clock, and a frozen clock
reaches every reader (code in this process and processes started from it)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import fieldapp
from fieldapp.core import clock
from fieldapp.core.timeutil import utcnow

PACKAGE = Path(fieldapp.__file__).parent
UTC = dt.timezone.utc

# Wall-clock reads that bypass the application clock. time.monotonic() (elapsed time) is fine.
WALL_CLOCK = re.compile(r"\b(?:datetime|_dt\.datetime|dt\.datetime)\.(?:now|utcnow|today)\(|"
                        r"\b(?:date|_dt\.date|dt\.date)\.today\(|"
                        r"\bQDate(?:Time)?\.current\w*\(|\bQTime\.currentTime\(|\btime\.time\(\)")
ALLOWED = {
    "core/clock.py",  # the clock itself
}


def test_the_package_reads_the_time_only_through_the_clock():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in ALLOWED:
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if WALL_CLOCK.search(code):
                found.append(f"fieldapp/{rel}:{lineno}: {line.strip()}")
    assert found == []


def test_the_guard_sees_each_kind_of_wall_clock_read():
    for text in ("dt.datetime.now(UTC)", "datetime.now()", "_dt.date.today()", "date.today()",
                 "QDate.currentDate()", "QDateTime.currentDateTimeUtc()", "t = time.time()"):
        assert WALL_CLOCK.search(text), text
    for text in ("time.monotonic()", "clock.now()", "self.today()", "ctx.today()"):
        assert not WALL_CLOCK.search(text), text


def test_a_frozen_clock_stands_still_until_moved(app_clock):
    at = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    app_clock.tick = False
    app_clock.set(at)
    assert utcnow() == clock.now() == dt.datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
    assert clock.today("Asia/Shanghai") == dt.date(2026, 3, 4)
    assert clock.today("America/Los_Angeles") == dt.date(2026, 3, 3)
    app_clock.advance(hours=22)
    assert clock.today("Asia/Shanghai") == dt.date(2026, 3, 5)
    assert clock.now_in("Asia/Shanghai").hour == 8


def test_a_ticking_clock_runs_from_where_it_was_set(app_clock):
    app_clock.set(dt.datetime(2030, 1, 1, tzinfo=UTC))
    first = clock.now()
    assert dt.timedelta(0) <= first - dt.datetime(2030, 1, 1, tzinfo=UTC) < dt.timedelta(seconds=5)
    assert clock.now() >= first


def test_subprocesses_read_the_same_clock(app_clock):
    app_clock.tick = False
    app_clock.set(dt.datetime(2027, 2, 5, 23, 59, 30, tzinfo=UTC))
    code = "from fieldapp.core import clock; print(clock.now().isoformat())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ)).stdout.strip()
    assert out == "2027-02-05T23:59:30+00:00"
    app_clock.tick = True
    app_clock.set(dt.datetime(2027, 2, 5, 23, 59, 30, tzinfo=UTC))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ)).stdout.strip()
    moved = dt.datetime.fromisoformat(out) - dt.datetime(2027, 2, 5, 23, 59, 30, tzinfo=UTC)
    assert dt.timedelta(0) <= moved < dt.timedelta(seconds=30)


def test_a_bad_clock_variable_is_one_clear_line():
    env = dict(os.environ, FIELDAPP_CLOCK="next tuesday")
    done = subprocess.run([sys.executable, "-c", "import fieldapp.core.clock"], capture_output=True,
                          text=True, env=env)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == ["FIELDAPP_CLOCK='next tuesday' is not an ISO 8601 time with an offset"]


def test_naive_times_are_refused(app_clock):
    with pytest.raises(ValueError):
        app_clock.set(dt.datetime(2026, 1, 1))
