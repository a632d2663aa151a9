"""Cold start of the agent's app to its first painted main window, against a bare PySide6
window started the same way in the same run (a new Python process each time, offscreen).

Both processes run the same prologue: create the QApplication and watch for the first
paint of a main window, then print the wall-clock time and exit at once. The app's run is
the real `fieldapp` command on an existing store (a returning agent, passphrase from the
environment, no keyring). Target: ratio <= 2 (median of several runs each).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from installed import child_env

RUNS = 7
TARGET_RATIO = 2.0

PROLOGUE = """
import os, sys, time
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

app = QApplication(sys.argv[:1])


class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and isinstance(obj, QWidget) and isinstance(obj.window(), QMainWindow):
            print(f"PAINTED {time.time():.6f}", flush=True)
            os._exit(0)
        return False


watch = FirstPaint()
app.installEventFilter(watch)
"""

BARE = PROLOGUE + """
from PySide6.QtWidgets import QLabel
window = QMainWindow()
window.setCentralWidget(QLabel("hello"))
window.resize(1280, 780)
window.show()
sys.exit(app.exec())
"""

APP = PROLOGUE + """
from fieldapp.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _env(home: Path) -> dict[str, str]:
    return child_env("FIELDAPP_", "QT_", "PYTHONPATH", FIELDAPP_HOME=str(home),
                     PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
                     FIELDAPP_STORE_PASSPHRASE="perf-passphrase", QT_QPA_PLATFORM="offscreen", LANG="en_US.UTF-8")


def _first_paint(code: str, env: dict[str, str], args: list[str] = ()) -> float:
    start = time.time()
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("PAINTED ")]
    assert lines, f"no window was painted: {done.stdout[-1000:]} {done.stderr[-2000:]}"
    return float(lines[0].split()[1]) - start


def test_cold_start_to_the_first_painted_window(tmp_path):
    env = _env(tmp_path / "home")
    # A returning agent: the store exists (created, migrated) before the timed runs.
    first = subprocess.run([sys.executable, "-m", "fieldapp", "--quit-after", "3"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr[-2000:]
    assert (tmp_path / "home" / "client" / "store.sqlite3").exists()
    bare, fieldapp = [], []
    for _ in range(RUNS):  # interleaved, so a busy moment of the machine hits both alike
        bare.append(_first_paint(BARE, env))
        fieldapp.append(_first_paint(APP, env))
    b, f = statistics.median(bare), statistics.median(fieldapp)
    ratio = f / b
    print(f"\nfirst painted window, median of {RUNS}: bare PySide6 {b * 1000:.0f} ms, "
          f"fieldapp {f * 1000:.0f} ms -> ratio {ratio:.2f} (target <= {TARGET_RATIO})")
    print(f"  bare: {[round(x * 1000) for x in bare]} ms\n  fieldapp: {[round(x * 1000) for x in fieldapp]} ms")
    assert ratio <= TARGET_RATIO
