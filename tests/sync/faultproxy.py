"""A loopback HTTP proxy that injects faults in front of a real server (or answers alone).

Faults are matched in order against "METHOD /path" and consumed:
- ``pass``: forward unchanged (to let the first N matching requests through);
- ``reset``: read the request, answer nothing, reset the connection (RST);
- ``reset_after``: forward to the server (so it APPLIES the request), then send half the
  answer and reset: the client cannot know whether it worked;
- ``status``: answer with a status and body without forwarding (e.g. 500, 503, 426);
- ``slow``: wait `delay` seconds, then forward (the client's time-out should fire first);
- ``body``: answer 200 with the given raw body (garbage JSON, wrong shape), as `content_type`;
- ``rewrite``: forward asking for JSON (as a server that sends no other form would answer),
  then pass the JSON answer through `fn` (e.g. shift server_time).
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import urlsplit

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}


@dataclass
class Fault:
    match: str
    action: str
    times: int = 1
    status: int = 500
    body: bytes = b'{"error":"server_error","detail":"injected failure"}'
    delay: float = 0.0
    fn: Callable[[dict], dict] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


class FaultProxy:
    def __init__(self, upstream: str | None = None):
        self.upstream = urlsplit(upstream) if upstream else None
        self.faults: list[Fault] = []
        self.log: list[str] = []
        self.on_request: Callable[[str, str], None] | None = None  # (method, path with query), before forwarding
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                key = f"{self.command} {self.path.split('?')[0]}"
                if proxy.on_request is not None:
                    proxy.on_request(self.command, self.path)
                with proxy._lock:
                    proxy.log.append(key)
                    fault = proxy._take(key)
                if fault is None:
                    return self._relay(*proxy._forward(self.command, self.path, self.headers, body))
                if fault.action == "pass":
                    return self._relay(*proxy._forward(self.command, self.path, self.headers, body))
                if fault.action == "reset":
                    return self._reset()
                if fault.action == "reset_after":
                    status, headers, data = proxy._forward(self.command, self.path, self.headers, body)
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: max(1, len(data) // 2)])
                    self.wfile.flush()
                    return self._reset()
                if fault.action == "status":
                    return self._relay(fault.status, {"Content-Type": "application/json", **fault.headers},
                                       fault.body)
                if fault.action == "body":
                    return self._relay(200, {"Content-Type": fault.content_type}, fault.body)
                if fault.action == "slow":
                    time.sleep(fault.delay)
                    return self._relay(*proxy._forward(self.command, self.path, self.headers, body))
                if fault.action == "rewrite":
                    asked = {**{k: v for k, v in self.headers.items() if k.lower() != "accept"},
                             "Accept": "application/json"}
                    status, headers, data = proxy._forward(self.command, self.path, asked, body)
                    data = json.dumps(fault.fn(json.loads(data))).encode()  # type: ignore[misc]
                    return self._relay(status, headers, data)
                raise AssertionError(f"unknown fault {fault.action}")

            do_GET = do_POST = do_PUT = _handle

            def _relay(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    if k.lower() not in HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _reset(self) -> None:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that gave up on a slow answer is part of the test, not news

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def add(self, match: str, action: str, times: int = 1, **kw: Any) -> Fault:
        fault = Fault(match, action, times, **kw)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def count(self, key: str) -> int:
        with self._lock:
            return sum(1 for k in self.log if k.startswith(key))

    def _take(self, key: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.match in key:
                fault.times -= 1
                return fault
        return None

    def _forward(self, method: str, path: str, headers, body: bytes) -> tuple[int, dict[str, str], bytes]:
        if self.upstream is None:
            return 404, {"Content-Type": "application/json"}, b'{"error":"not_found","detail":"no upstream"}'
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        try:
            fwd = {k: v for k, v in headers.items() if k.lower() not in HOP | {"host"}}
            conn.request(method, path, body=body or None, headers=fwd)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def dead_url() -> str:
    """An address where nothing listens (the server is down)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"
