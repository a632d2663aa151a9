"""At most as many requests in progress per process as the database pool has connections.

FastAPI runs each request's database work on a thread pool of 40 threads, while a process
has `db_pool_size + db_max_overflow` connections. With more requests in flight than
connections, a request holding a row lock could wait for a thread while others waited 30 s
for a connection and failed with 500: a burst of agents at 8 am brought the whole process
down instead of making it slower. Here a request waits in line (asyncio, no thread, no
connection) for a place; one that cannot get a place within `request_queue_seconds` is
answered 503 `busy` with Retry-After, which the laptop's sync honours and retries.

The probes (/healthz, /readyz) and the metrics skip the line: they must answer while busy.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any, Callable

from fieldapp.server.errors import error_response

Scope = dict[str, Any]
UNQUEUED = ("/healthz", "/readyz", "/metrics")


class ConcurrencyLimit:
    def __init__(self, app: Callable, *, limit: int, wait_seconds: float) -> None:  # type: ignore[type-arg]
        self.app = app
        self.limit = limit
        self.wait_seconds = wait_seconds
        self._places: asyncio.Semaphore | None = None  # made in the server's own loop

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:  # type: ignore[type-arg]
        if scope["type"] != "http" or scope.get("path", "").startswith(UNQUEUED):
            await self.app(scope, receive, send)
            return
        if self._places is None:
            self._places = asyncio.Semaphore(self.limit)
        places = self._places
        try:
            await asyncio.wait_for(places.acquire(), timeout=self.wait_seconds)
        except asyncio.TimeoutError:
            retry = max(1, math.ceil(self.wait_seconds / 6))
            response = error_response("busy", f"the server is busy; try again in {retry} s",
                                      503, headers={"Retry-After": str(retry)}, retry_after=retry)
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            places.release()
