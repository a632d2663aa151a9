"""Readiness: may a load balancer send this worker requests?

Ready means: the database answers (a connection of its own, opened with short time-outs,
so a dead or unreachable database makes the probe fail fast rather than hang), and each
registered check passes on that connection. A check is a name and a function
`(Connection) -> None | reason`: None when all is well, else a short sentence for the
operator (no personal data: the probe needs no sign-in). The schema check is built in;
another part of the server adds its own in one line, e.g.

    app.state.readiness.register("notice_queue", notices.queue_not_stuck)

or by adding it to `default_checks()`.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from fieldapp.server.db import sqlite_file

log = logging.getLogger(__name__)

CheckFn = Callable[[Connection], "str | None"]


@dataclass(frozen=True)
class Check:
    name: str
    run: CheckFn


@dataclass(frozen=True)
class Report:
    ready: bool
    checks: dict[str, str] = field(default_factory=dict)  # name -> "ok" or the reason


@lru_cache(maxsize=1)
def code_head() -> str | None:
    from fieldapp.server.db import head_revision

    return head_revision()


def schema_is_current(conn: Connection) -> str | None:
    """The database is migrated to exactly the schema this code was written for."""
    if not inspect(conn).has_table("alembic_version"):
        return "no schema: run `fieldapp server init`"
    current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    head = code_head()
    if current is None:
        return "no schema: run `fieldapp server init`"
    if current != head:
        return f"schema {current}, this code needs {head}: run `fieldapp server init`"
    return None


def default_checks() -> list[Check]:
    return [Check("schema", schema_is_current)]


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]


class Readiness:
    """The checks of one app, run on a connection of their own with short time-outs."""

    def __init__(self, url: str | URL, *, timeout_s: float = 2.0, checks: list[Check] | None = None):
        self._url_text = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
        self.timeout_s = timeout_s
        self.checks = list(default_checks() if checks is None else checks)
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fieldapp-readyz")
        self._running = 0

    def register(self, name: str, fn: CheckFn) -> None:
        self.checks.append(Check(name, fn))

    # ------------------------------------------------------------ the probe connection
    def _probe_engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = self._make_engine()
            return self._engine

    def _make_engine(self) -> Engine:
        path = sqlite_file(self._url_text)
        if path is not None:
            # Read-only: the probe never creates a missing database file.
            uri = path.resolve().as_uri() + "?mode=ro"
            timeout = self.timeout_s
            return create_engine("sqlite://", poolclass=NullPool, creator=lambda: sqlite3.connect(
                uri, uri=True, timeout=timeout, check_same_thread=False))
        connect_args = {"connect_timeout": max(1, int(round(self.timeout_s)))} \
            if self._url_text.startswith("postgresql") else {}
        return create_engine(self._url_text, poolclass=NullPool, hide_parameters=True,
                             connect_args=connect_args)

    # ------------------------------------------------------------ running the checks
    def run(self) -> Report:
        """Connect and run every check (blocking; `check` is the time-boxed way)."""
        names = [c.name for c in self.checks]
        path = sqlite_file(self._url_text)
        if path is not None and not path.is_file():
            log.warning("readiness: the database file is missing", extra={"check": "database"})
            return Report(False, {"database": "database file missing", **dict.fromkeys(names, "not checked")})
        try:
            conn = self._probe_engine().connect()
        except Exception as exc:  # noqa: BLE001 - any failure to connect means not ready
            log.warning("readiness: database unreachable (%s: %s)", type(exc).__name__, _first_line(exc),
                        extra={"check": "database"})
            return Report(False, {"database": "unreachable", **dict.fromkeys(names, "not checked")})
        results = {"database": "ok"}
        with conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SET statement_timeout = {int(self.timeout_s * 1000)}")
            for check in self.checks:
                try:
                    reason = check.run(conn)
                except Exception as exc:  # noqa: BLE001 - a failing check is a reason, not a 500
                    log.warning("readiness: check %s failed (%s: %s)", check.name, type(exc).__name__,
                                _first_line(exc), extra={"check": check.name})
                    reason = f"failed ({type(exc).__name__})"
                    if conn.in_transaction():
                        conn.rollback()
                results[check.name] = reason or "ok"
        return Report(all(v == "ok" for v in results.values()), results)

    async def check(self) -> Report:
        """`run` on a worker thread of its own, answered within about twice the time-out
        whatever the database does; at most two probes wait on a stuck database."""
        with self._lock:
            if self._running >= 2:
                return Report(False, {"database": "no answer (earlier probes still waiting)"})
            self._running += 1
        future = self._pool.submit(self.run)
        future.add_done_callback(self._done)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout=2 * self.timeout_s + 1)
        except asyncio.TimeoutError:
            log.warning("readiness: no answer within %.0f s", 2 * self.timeout_s + 1, extra={"check": "database"})
            return Report(False, {"database": f"no answer within {2 * self.timeout_s + 1:.0f} s"})

    def _done(self, _future: object) -> None:
        with self._lock:
            self._running -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._engine is not None:
            self._engine.dispose()
