"""The one way the GUI runs work in the background.

Widgets never touch the database or the network themselves: they hand a callable to the
`TaskRunner` and get the result (or the failure) back on the GUI thread, by a queued
signal. Two worker pools, because the two kinds of work fail differently:

- ``db``: a single thread, so store operations are serialised in submission order and a
  SQLite connection never sees two threads at once;
- ``net``: a few threads for calls that wait on the network (login, sync), so a slow
  server never queues up behind, or in front of, a quick local query.

The chained builder is modelled on Anki's CollectionOp/QueryOp::

    tasks.db(service.list_cases).success(model.set_rows).failure(show).start()
    tasks.net(service.sync).with_progress(bar.update).success(done).start()

`with_progress(cb)` makes the runner pass a ``progress`` keyword to the callable;
calling it from the worker posts ``cb(*args)`` to the GUI thread (coalesced: a burst of
reports becomes one repaint with the latest value, always before the result).

For tests the runner is built with ``synchronous=True``: everything runs inline on the
calling thread, in order, with the same callbacks, so a test reads top to bottom.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Generic, Literal, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, Slot

from fieldapp.ui.qt_compat import emit

log = logging.getLogger(__name__)

T = TypeVar("T")
Pool = Literal["db", "net"]
Callback = Callable[..., Any]

DB_THREAD_NAME = "fieldapp-db"
NET_THREAD_NAME = "fieldapp-net"


class _ProgressRelay:
    """Carries progress reports from a worker to the GUI thread, keeping only the latest."""

    def __init__(self, runner: "TaskRunner", op: "Op[Any]") -> None:
        self._runner = runner
        self._op = op
        self._lock = threading.Lock()
        self._latest: tuple[Any, ...] | None = None
        self._scheduled = False

    def __call__(self, *args: Any) -> None:
        if self._runner.synchronous:
            self._op._deliver_progress(args)
            return
        with self._lock:
            self._latest = args
            if self._scheduled:
                return
            self._scheduled = True
        self._runner._post(self._flush)

    def _flush(self) -> None:
        with self._lock:
            args, self._latest, self._scheduled = self._latest, None, False
        if args is not None:
            self._op._deliver_progress(args)


class Op(Generic[T]):
    """One background operation: a callable, where it runs, and what to do with its end.

    `parent` (a QObject, usually the widget that asked) ties the callbacks to its life:
    when the widget is gone by the time the result arrives, the callbacks are skipped
    instead of touching a deleted C++ object.
    """

    def __init__(self, fn: Callable[..., T], *args: Any, pool: Pool = "db",
                 runner: "TaskRunner | None" = None, parent: QObject | None = None,
                 label: str | None = None, **kwargs: Any) -> None:
        if pool not in ("db", "net"):
            raise ValueError(f"unknown pool {pool!r}; use 'db' or 'net'")
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.pool: Pool = pool
        self.label = label or getattr(fn, "__name__", "operation")
        self._runner = runner
        self._parent = parent
        self._success: Callback | None = None
        self._failure: Callback | None = None
        self._progress: Callback | None = None
        self._finally: list[Callable[[], Any]] = []

    # ------------------------------------------------------------------ builder
    def success(self, callback: Callable[[T], Any] | None) -> "Op[T]":
        """Called on the GUI thread with the callable's return value."""
        self._success = callback
        return self

    def failure(self, callback: Callable[[Exception], Any] | None) -> "Op[T]":
        """Called on the GUI thread with the exception; without it the runner's handler is."""
        self._failure = callback
        return self

    def with_progress(self, callback: Callback) -> "Op[T]":
        """The callable gets ``progress=``; each report reaches `callback` on the GUI thread."""
        self._progress = callback
        return self

    def finally_(self, callback: Callable[[], Any]) -> "Op[T]":
        """Called on the GUI thread after success or failure (re-enable a button, ...)."""
        self._finally.append(callback)
        return self

    def with_parent(self, parent: QObject | None) -> "Op[T]":
        self._parent = parent
        return self

    def start(self, runner: "TaskRunner | None" = None) -> Future:
        runner = runner or self._runner
        if runner is None:
            raise RuntimeError("Op.start() needs a TaskRunner (pass one, or build the op with runner.db/net)")
        return runner.submit(self)

    # ------------------------------------------------------------------ worker side
    def _call(self, relay: _ProgressRelay | None) -> T:
        kwargs = dict(self.kwargs)
        if relay is not None:
            kwargs["progress"] = relay
        return self.fn(*self.args, **kwargs)

    # ------------------------------------------------------------------ GUI side
    def _alive(self) -> bool:
        return self._parent is None or shiboken6.isValid(self._parent)

    def _deliver_progress(self, args: tuple[Any, ...]) -> None:
        if self._progress is not None and self._alive():
            self._progress(*args)

    def _finish(self, future: Future, runner: "TaskRunner") -> None:
        try:
            if not self._alive():
                return
            exc = future.exception()
            if exc is None:
                if self._success is not None:
                    self._success(future.result())
            elif isinstance(exc, Exception):
                if self._failure is not None:
                    self._failure(exc)
                else:
                    runner._unhandled(self, exc)
            else:  # KeyboardInterrupt, SystemExit: not ours to swallow
                raise exc
        finally:
            try:
                if self._alive():
                    for callback in self._finally:
                        callback()
            finally:
                runner._done()


class TaskRunner(QObject):
    """Owns the two worker pools and brings every result back to the GUI thread.

    Create it on the GUI thread (it must live there: its queued signal is how results
    cross over). `busy_changed(bool)` tells whether anything is in flight, for a spinner.
    """

    busy_changed = Signal(bool)
    _deliver = Signal(object)

    def __init__(self, *, synchronous: bool = False, net_workers: int = 4,
                 on_unhandled: Callable[[Op[Any], Exception], Any] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self._on_unhandled = on_unhandled
        self._pending = 0
        self._closed = False
        self._pools: dict[str, ThreadPoolExecutor] = {}
        if not synchronous:
            self._pools["db"] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=DB_THREAD_NAME)
            self._pools["net"] = ThreadPoolExecutor(max_workers=max(1, net_workers),
                                                    thread_name_prefix=NET_THREAD_NAME)
        self._deliver.connect(self._run_closure, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------------ factories
    def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Op[T]:
        """A store operation, run on the single database thread."""
        return Op(fn, *args, pool="db", runner=self, **kwargs)

    def net(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Op[T]:
        """A network operation, run on the network pool."""
        return Op(fn, *args, pool="net", runner=self, **kwargs)

    # ------------------------------------------------------------------ running
    @property
    def pending(self) -> int:
        """Operations submitted whose callbacks have not run yet."""
        return self._pending

    def set_unhandled_handler(self, handler: Callable[[Op[Any], Exception], Any] | None) -> None:
        """Who hears about failures of operations that set no `.failure()` callback."""
        self._on_unhandled = handler

    def submit(self, op: Op[T]) -> Future:
        if self._closed:
            raise RuntimeError("the task runner has been shut down")
        self._pending += 1
        if self._pending == 1:
            emit(self.busy_changed, True)
        relay = _ProgressRelay(self, op) if op._progress is not None else None
        if self.synchronous:
            future: Future = Future()
            try:
                future.set_result(op._call(relay))
            except BaseException as exc:  # noqa: BLE001 - handed to _finish, which re-raises non-Exceptions
                future.set_exception(exc)
            op._finish(future, self)
            return future
        future = self._pools[op.pool].submit(op._call, relay)
        future.add_done_callback(lambda f: self._post(lambda: op._finish(f, self)))
        return future

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop taking work; let the database finish what it started, drop queued network calls."""
        self._closed = True
        if "net" in self._pools:
            self._pools["net"].shutdown(wait=wait, cancel_futures=True)
        if "db" in self._pools:
            self._pools["db"].shutdown(wait=wait)

    # ------------------------------------------------------------------ internals
    def _post(self, closure: Callable[[], Any]) -> None:
        """Run `closure` on the thread this runner lives in (the GUI thread)."""
        if self._closed or not shiboken6.isValid(self):
            return
        emit(self._deliver, closure)

    @Slot(object)
    def _run_closure(self, closure: Callable[[], Any]) -> None:
        if self._closed:
            return
        closure()

    def _done(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            emit(self.busy_changed, False)

    def _unhandled(self, op: Op[Any], exc: Exception) -> None:
        if self._on_unhandled is not None:
            self._on_unhandled(op, exc)
            return
        # The message may carry personal data; the type and the operation do not.
        log.warning("background operation %s failed: %s", op.label, type(exc).__name__)
        log.debug("details of the failure of %s", op.label, exc_info=exc)
