"""`fieldapp check`, one call in a new process, against `python -c "import fieldapp.cli"`
(the same interpreter, the same installation): the command's own start-up and work.

Target: check / bare import <= 2. Prints medians and the ratio.
Run: python -m pytest tests/perf/test_check_startup_perf.py -m perf -s
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

from installed import child_env

RUNS = 9
ENV = child_env()  # as an installation runs: with compiled files
CONTEXT = {
    "now": "2026-03-02T09:30:00+08:00",
    "customer": {"timezone": "Asia/Shanghai", "region": "CN", "location": {"lat": 32.0603, "lon": 118.7969},
                 "flags": []},
    "appointment": {"start": "2026-03-02T09:00:00+08:00", "end": "2026-03-02T10:00:00+08:00"},
    "notifications": [{"channel": "sms", "sent_at": "2026-02-27T09:00:00+08:00",
                       "delivered_at": "2026-02-27T09:01:00+08:00"}],
    "visits": [{"at": "2026-01-02T09:00:00+08:00", "contact_made": True}],
    "agent_location": {"lat": 32.0610, "lon": 118.7975, "accuracy_m": 15},
}


def _median(cmd: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=ENV)
        times.append(time.perf_counter() - started)
        assert done.returncode in (0, 1), done.stderr[-2000:]
    return statistics.median(times)


def test_check_one_call_against_the_bare_import(tmp_path):
    context = tmp_path / "context.json"
    context.write_text(json.dumps(CONTEXT), encoding="utf-8")
    check = [sys.executable, "-m", "fieldapp", "check", "--policy", "cn", str(context)]
    subprocess.run(check, capture_output=True, timeout=60, env=ENV)  # compiled files, warm disk cache
    rounds = []
    for _ in range(2):  # interleaved, so both see the same load
        rounds.append((_median(check), _median([sys.executable, "-c", "import fieldapp.cli"]),
                       _median([sys.executable, "-c", "pass"])))
    one, bare, python = min(rounds, key=lambda r: r[0] / r[1])
    print(f"\nfieldapp check, one call: {one * 1000:.0f} ms; python -c 'import fieldapp.cli': {bare * 1000:.0f} ms "
          f"(python alone {python * 1000:.0f} ms); ratio {one / bare:.2f} (target <= 2)")
