"""`fieldapp server run` as a real subprocess on a free loopback port, for crash tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from fieldapp.server.notify.loopback import free_port


class ServerProcess:
    def __init__(self, db_url: str, env: dict[str, str], port: int | None = None):
        import tempfile

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()  # not a pipe: a full pipe would stall the server
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fieldapp", "server", "run", "--db", db_url, "--port", str(self.port),
             "--no-upgrade"], env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/api/v1/meta", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.kill()
        self.log.seek(0)
        raise RuntimeError("server run did not start: " + self.log.read().decode(errors="replace")[-2000:])

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def _env(values: dict) -> dict[str, str]:
    return {f"FIELDAPP_SERVER_{k.upper()}": str(v) for k, v in values.items() if v is not None}


def _wait(predicate, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
