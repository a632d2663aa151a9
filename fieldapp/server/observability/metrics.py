"""Prometheus metrics of the sync server.

Every metric is named `fieldapp_*`. Labels hold route templates, status codes, kinds,
result and reason codes, channel names: never ids, names or other data of people, so
the number of series stays small and nothing personal leaves through /metrics.

Requests (the request middleware counts them):
  fieldapp_http_requests_total{method,route,status}          route = the template, e.g.
                                                              /api/v1/cases/{case_id}
  fieldapp_http_request_duration_seconds{method,route}       histogram (pull, push, login...)
  fieldapp_http_requests_in_progress                          per process, summed
  fieldapp_login_throttled_total                              sign-ins refused by throttling (429)
Sync and import (counted when their transaction commits):
  fieldapp_push_items_total{kind,result,reason}              result accepted | duplicate |
                                                              rejected; reason = the rejection code
  fieldapp_import_rows_total{outcome}                        created | updated | unchanged | skipped
Notices (defined here; the notice worker calls `notice(event, channel)`):
  fieldapp_notices_total{channel,event}                      event queued | sent | failed
Database:
  fieldapp_db_pool_connections_in_use                         checked out of the pool now (all workers)
  fieldapp_db_pool_connections_max                            pool size + overflow (all workers)

In multiprocess mode (see multiproc.py) `render()` adds up the files of every worker.
"""

from __future__ import annotations

import atexit
import logging
import os
import weakref
from collections import Counter as Tally
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as _mp
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from fieldapp.server.observability import multiproc

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

REQUESTS = Counter("fieldapp_http_requests", "HTTP requests by route template and status",
                   ["method", "route", "status"])
LATENCY = Histogram("fieldapp_http_request_duration_seconds", "Time to answer a request, by route template",
                    ["method", "route"], buckets=LATENCY_BUCKETS)
IN_PROGRESS = Gauge("fieldapp_http_requests_in_progress", "Requests being answered now",
                    multiprocess_mode="livesum")
LOGIN_THROTTLED = Counter("fieldapp_login_throttled", "Sign-ins refused by throttling (HTTP 429)")
PUSH_ITEMS = Counter("fieldapp_push_items", "Pushed outbox items by kind and result; rejected ones by reason",
                     ["kind", "result", "reason"])
IMPORT_ROWS = Counter("fieldapp_import_rows", "Case import rows by outcome", ["outcome"])
NOTICES = Counter("fieldapp_notices", "Notices by channel and event (queued, sent, failed)",
                  ["channel", "event"])
POOL_IN_USE = Gauge("fieldapp_db_pool_connections_in_use", "Database connections checked out of the pool",
                    multiprocess_mode="livesum")
POOL_MAX = Gauge("fieldapp_db_pool_connections_max", "Database connections the pool may open (size + overflow)",
                 multiprocess_mode="livesum")

NOTICE_EVENTS = ("queued", "sent", "failed")
IMPORT_OUTCOMES = ("created", "updated", "unchanged", "skipped")
_watched: "weakref.WeakSet[Any]" = weakref.WeakSet()


# ---------------------------------------------------------------- what the server calls
def request_done(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def notice(event_name: str, channel: str) -> None:
    """A notice was queued, sent or failed on `channel` (email, sms...)."""
    if event_name not in NOTICE_EVENTS:
        raise ValueError(f"notice event {event_name!r} is not one of {NOTICE_EVENTS}")
    NOTICES.labels(channel, event_name).inc()


def count_push(session: Session, items: Iterable[Any], results: Iterable[Any]) -> None:
    """Count a push's results by kind, result and reason once its transaction commits
    (a push retried after a deadlock counts once)."""
    kinds = {item.id: item.kind for item in items}
    tally = Tally((kinds.get(r.id, "unknown"), r.status, (r.code or "") if r.status == "rejected" else "")
                  for r in results)
    on_commit(session, lambda: [PUSH_ITEMS.labels(*key).inc(n) for key, n in tally.items()])


def count_import(session: Session, report: Any) -> None:
    """Count an applied import's rows by outcome once its transaction commits."""
    if not getattr(report, "applied", False):
        return
    counts = {o: int(getattr(report, o, 0)) for o in IMPORT_OUTCOMES}
    on_commit(session, lambda: [IMPORT_ROWS.labels(o).inc(n) for o, n in counts.items() if n])


# ---------------------------------------------------------------- counting on commit
_PENDING = "fieldapp.metrics.pending"


def on_commit(session: Session, action: Callable[[], object]) -> None:
    """Run `action` after the session's transaction commits; forget it when it rolls back."""
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _committed)
        event.listen(session, "after_rollback", _rolled_back)
    pending.append(action)


def _committed(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released; the transaction goes on
    pending = session.info.get(_PENDING) or []
    actions, pending[:] = list(pending), []
    for action in actions:
        try:
            action()
        except Exception:  # noqa: BLE001 - a metric never fails a request
            log.exception("counting a metric failed")


def _rolled_back(session: Session) -> None:
    if session.get_nested_transaction() is None:
        (session.info.get(_PENDING) or []).clear()


# ---------------------------------------------------------------- the database pool
def watch_pool(engine: Engine) -> None:
    """Count the engine's checked-out connections (once per engine and process)."""
    pool = engine.pool
    if pool in _watched:
        return
    _watched.add(pool)
    size = getattr(pool, "size", None)
    if callable(size):
        POOL_MAX.inc(size() + max(0, int(getattr(pool, "_max_overflow", 0))))

    @event.listens_for(pool, "checkout")
    def _out(*_args: object) -> None:
        POOL_IN_USE.inc()

    @event.listens_for(pool, "checkin")
    def _in(*_args: object) -> None:
        POOL_IN_USE.dec()


# ---------------------------------------------------------------- exposition
def registry() -> CollectorRegistry:
    """The registry to expose: every worker's files in multiprocess mode, else this process's."""
    if multiproc.current() is None:
        return REGISTRY
    reg = CollectorRegistry()
    _mp.MultiProcessCollector(reg)
    return reg


def render() -> str:
    return generate_latest(registry()).decode("utf-8")


def serve(host: str, port: int):  # type: ignore[no-untyped-def]
    """Serve /metrics on its own listener (a thread of this process); (server, thread)."""
    from prometheus_client import start_http_server

    return start_http_server(port, addr=host, registry=registry())


def _forget_this_process() -> None:
    """A worker that exits takes its live gauges with it (counters stay: they are history)."""
    folder = multiproc.current()
    if folder is not None:
        try:
            _mp.mark_process_dead(os.getpid(), str(folder))
        except OSError:
            pass


if multiproc.current() is not None:
    atexit.register(_forget_this_process)
