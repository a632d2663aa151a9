"""Helpers for the operations tests: `fieldapp server run` as a real subprocess (its stderr
is the log), a TCP forwarder that plays a database going down and up, free ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`python -m fieldapp server run` on a free port; stderr goes to `log_path`."""

    def __init__(self, db_url: str, folder: Path, *, workers: int = 1, env: dict[str, str] | None = None,
                 extra_args: tuple[str, ...] = ()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"server-{self.port}.log"
        self.out_path = folder / f"server-{self.port}.out"
        self._args = [sys.executable, "-m", "fieldapp", "server", "run", "--db", db_url,
                      "--port", str(self.port), "--workers", str(workers), *extra_args]
        self._env = {**os.environ, "FIELDAPP_HOME": str(folder), **(env or {})}
        self._cwd = folder
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "ServerProcess":
        self._err = open(self.log_path, "wb")
        self._out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(self._args, env=self._env, cwd=self._cwd, stdout=self._out, stderr=self._err)
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the server did not come up:\n" + self.log_path.read_text()[-3000:])
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for f in (getattr(self, "_err", None), getattr(self, "_out", None)):
            if f is not None:
                f.close()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_lines(self) -> list[str]:
        return [line for line in self.log_path.read_text(encoding="utf-8").splitlines() if line.strip()]


class Forwarder:
    """A TCP port that forwards to `target` while up: `stop()` closes the port and every
    connection through it (the database is gone), `start()` opens the same port again."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> "Forwarder":
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        if self._listener is not None:
            try:  # wakes the thread blocked in accept() (close alone leaves the port listening)
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
