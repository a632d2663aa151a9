"""Where the worker processes keep their metrics (prometheus-client's multiprocess mode).

Several `server run --workers N` processes each write their counters into memory-mapped
files in one folder, and whoever serves /metrics adds them up. prometheus-client decides
at import whether it runs in that mode (it reads PROMETHEUS_MULTIPROC_DIR), so `prepare`
must run before anything imports it; this module itself does not import it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def current() -> Path | None:
    value = os.environ.get(ENV) or os.environ.get(ENV.lower())
    return Path(value) if value else None


def prepare(default: Path) -> Path:
    """Use $PROMETHEUS_MULTIPROC_DIR (or `default`), emptied of the previous run's files, for
    this process and the workers it starts. Called once, at `server run`'s start."""
    if "prometheus_client" in sys.modules and current() is None:
        raise RuntimeError("prometheus_client was imported before the metrics folder was set")
    folder = current() or default
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for stale in folder.glob("*.db"):  # counters of processes of an earlier run
        stale.unlink(missing_ok=True)
    os.environ[ENV] = str(folder)
    return folder
