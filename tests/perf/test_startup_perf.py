"""Start-up of the frozen bundle against the same code run from the Python installation.

Needs a built bundle (`python packaging/build.py`, or FIELDAPP_BUNDLE=path/to/fieldapp);
skipped without one. Prints medians and the frozen/source ratio:

- `self-test` end to end (target: under 5 s frozen);
- GUI cold start: a new process until its first window is shown and the event loop runs
  (`--quit-after 0.001`), offscreen and, when xvfb-run exists, on a real X server (xcb).
  The store already exists (a returning agent); the first start, which creates and
  migrates the store, is printed separately.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from installed import child_env

TOP = Path(__file__).resolve().parents[2]
BUNDLE = Path(os.environ.get("FIELDAPP_BUNDLE") or TOP / "dist" / "fieldapp" / "fieldapp")
RUNS = 3

pytestmark = pytest.mark.skipif(not BUNDLE.is_file(), reason=f"no frozen bundle at {BUNDLE}; "
                                "build it with python packaging/build.py")


def _env(home: Path, platform: str | None) -> dict[str, str]:
    env = child_env("FIELDAPP_", "QT_", "PYTHONPATH", FIELDAPP_HOME=str(home),
                    PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", FIELDAPP_STORE_PASSPHRASE="perf-passphrase")
    if platform:
        env["QT_QPA_PLATFORM"] = platform
    return env


def _time(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return elapsed


def _compare(label: str, args: list[str], tmp_path: Path, platform: str | None,
             prefix: list[str] = ()) -> tuple[float, float]:
    result = {}
    for kind, exe in (("source", [sys.executable, "-m", "fieldapp"]), ("frozen", [str(BUNDLE)])):
        home = tmp_path / f"{label}-{kind}"
        env = _env(home, platform)
        first = _time([*prefix, *exe, *args], env, tmp_path)
        result[kind] = statistics.median(_time([*prefix, *exe, *args], env, tmp_path) for _ in range(RUNS))
        print(f"\n{label} [{kind}]: first run {first:.2f} s, then median {result[kind]:.2f} s of {RUNS}")
    ratio = result["frozen"] / result["source"]
    print(f"{label}: frozen {result['frozen']:.2f} s vs source {result['source']:.2f} s -> ratio {ratio:.2f}")
    return result["frozen"], ratio


def test_frozen_self_test_time(tmp_path):
    frozen, _ratio = _compare("self-test", ["self-test"], tmp_path, "offscreen")
    assert frozen < 5.0, f"frozen self-test took {frozen:.2f} s (target: under 5 s)"


def test_frozen_gui_cold_start_offscreen(tmp_path):
    _compare("GUI start, offscreen", ["--quit-after", "0.001"], tmp_path, "offscreen")


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed")
def test_frozen_gui_cold_start_xcb(tmp_path):
    _compare("GUI start, xcb under Xvfb", ["--quit-after", "0.001"], tmp_path, None,
             prefix=["xvfb-run", "-a"])
