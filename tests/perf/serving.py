"""Servers for benchmarks, each in a process of its own on loopback: the fieldapp server
and a FastAPI hello-world on the same uvicorn settings (the baseline of a request)."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

FIELDAPP = """
import sys
from fieldapp.server.testing import LiveServer
with LiveServer(sys.argv[1], upgrade_db=False) as server:
    print(server.url, flush=True)
    sys.stdin.read()
"""

# The same uvicorn settings as fieldapp.server.testing.LiveServer (and `server run`).
HELLO = """
import socket, sys, threading
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

class Body(BaseModel):
    device_id: str
    items: list[dict]

app = FastAPI()

@app.get("/hello")
def hello() -> dict:
    return {"changes": [], "next_cursor": 0, "has_more": False}

@app.post("/hello")
def hello_post(body: Body) -> dict:
    return {"results": [{"id": str(i.get("id")), "status": "accepted"} for i in body.items]}

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", log_config=None)
server = uvicorn.Server(config)
threading.Thread(target=lambda: (sys.stdin.read(), setattr(server, "should_exit", True)), daemon=True).start()
print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
server.run(sockets=[sock])
"""


@contextmanager
def serve(script: str, *args: str) -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-c", script, *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        url = proc.stdout.readline().strip()  # type: ignore[union-attr]
        assert url.startswith("http://"), "the server did not start"
        time.sleep(0.3)
        yield url
    finally:
        proc.stdin.close()  # type: ignore[union-attr]
        proc.wait(timeout=30)


def paired(fn: Callable[[], object], baseline: Callable[[], object], n: int, n_base: int | None = None,
           rounds: int = 7) -> tuple[float, float, float]:
    """Seconds per call of `fn` and of `baseline`, and their ratio, measured in alternating
    rounds (`n` calls of one, then `n_base` of the other): on a shared, noisy machine both
    then see the same moments. Medians over the rounds; the ratio is the median of the
    rounds' ratios."""
    fn()
    baseline()
    n_base = n_base or n
    mine, base, ratios = [], [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        mine.append((time.perf_counter() - started) / n)
        started = time.perf_counter()
        for _ in range(n_base):
            baseline()
        base.append((time.perf_counter() - started) / n_base)
        ratios.append(mine[-1] / base[-1])
    return statistics.median(mine), statistics.median(base), statistics.median(ratios)


def wrk_paired(url: str, baseline_url: str, headers: dict[str, str], rounds: int = 5,
               seconds: int = 2) -> tuple[float, float, float]:
    """Requests/s of `url` and of `baseline_url` under `wrk -t1 -c4` (a client in C keeping 4
    requests in flight: the server's throughput, not a Python client's), in alternating
    rounds of `seconds` each, and the median of the rounds' ratios (url / baseline)."""
    wrk = shutil.which("wrk")
    assert wrk, "wrk is missing: `bash packaging/bootstrap.sh setup` installs it (Debian package wrk)"

    def rate(target: str, with_headers: dict[str, str]) -> float:
        cmd = [wrk, "-t1", "-c4", f"-d{seconds}s"]
        for name, value in with_headers.items():
            cmd += ["-H", f"{name}: {value}"]
        out = subprocess.run([*cmd, target], capture_output=True, text=True, check=True).stdout
        assert "Non-2xx" not in out and "Socket errors" not in out, out
        return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    rate(url, headers)
    rate(baseline_url, {})
    mine, base, ratios = [], [], []
    for _ in range(rounds):
        mine.append(rate(url, headers))
        base.append(rate(baseline_url, {}))
        ratios.append(mine[-1] / base[-1])
    return statistics.median(mine), statistics.median(base), statistics.median(ratios)
