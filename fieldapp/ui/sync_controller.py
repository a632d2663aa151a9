"""When to sync, and whether the server can be reached now.

`ConnectionMonitor` watches the connection while someone is signed in: every
`probe_interval_ms` (30 s by default) a light request goes to the network pool (the
service's `probe()`: a cheap request that changes nothing), and at once when the operating
system says the network came back (Qt's QNetworkInformation, where the platform has a
backend). It keeps what the status bar shows: online or not, the time of the last contact
with the server (any answer counts, a sync's included) and how many items wait to be sent.
The agent's and the team lead's windows each have one.

`SyncController` syncs on request, and by itself when the monitor finds the server again
after it was unreachable. The sync goes to the network pool, never blocks the window, and
reports progress. A service without `probe()` is probed with the sync itself while the
server is unreachable (it fails at its first request while offline).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal

from fieldapp.ui.context import AppContext
from fieldapp.ui.errors import describe
from fieldapp.ui.qt_compat import emit

log = logging.getLogger(__name__)

PROBE_INTERVAL_MS = 30_000
UNSENT = ("waiting", "sending")


def count_unsent(service: Any) -> int:
    """The outbox items not yet accepted by the server (blocking: the database pool)."""
    return sum(getattr(row, "state", None) in UNSENT for row in service.outbox())


class ConnectionMonitor(QObject):
    changed = Signal()              # online, last contact or pending changed
    offline_changed = Signal(bool)
    back_online = Signal()          # the server answered again after it could not be reached

    def __init__(self, ctx: AppContext, parent: QObject | None = None, *,
                 interval_ms: int = PROBE_INTERVAL_MS, probe: Callable[[], Any] | None = None,
                 pending: Callable[[], int] | None = None) -> None:
        """`probe` and `pending` block (they run on the pools); by default the service's
        `probe()` and the count of its unsent outbox items."""
        super().__init__(parent)
        self._ctx = ctx
        self._probe_fn = probe
        self._pending_fn = pending
        self.online: bool | None = None          # None: not known (no answer and no failure yet)
        self.last_contact: dt.datetime | None = None
        self.pending: int | None = None
        self.enabled = False
        self._probing = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.probe)
        self._network: Any = None

    # ------------------------------------------------------------------ switching on and off
    def start(self) -> None:
        """Watch from now on (someone signed in)."""
        self.enabled = True
        if not self.timer.isActive():
            self.timer.start()
        if self._network is None:
            self._network = self._watch_network()
        self.refresh_pending()

    def stop(self) -> None:
        """No more probes (signed out, or closing)."""
        self.enabled = False
        self.timer.stop()

    def pause(self) -> None:
        """No probes until `start()` (the session ended: nothing can be sent until a sign-in)."""
        self.timer.stop()

    def reset(self) -> None:
        """Forget what is known (signed out): the next user's connection is not yet known."""
        self.stop()
        self.online, self.last_contact, self.pending = None, None, None
        emit(self.changed)

    # ------------------------------------------------------------------ what we learn
    def probe(self) -> bool:
        """A light request in the background; False when none was sent."""
        probe = self._probe()
        if self._probing or not self.enabled or probe is None:
            return False
        self._probing = True
        (self._ctx.tasks.net(probe, label="probe")
         .with_parent(self)
         .success(lambda _answer: self.contact())
         .failure(self.failed)
         .finally_(self._probe_over)
         .start())
        self.refresh_pending()
        return True

    def contact(self) -> None:
        """The server answered just now."""
        was = self.online
        self.last_contact = self._ctx.clock()
        self._set_online(True)
        emit(self.changed)
        if was is False:
            emit(self.back_online)

    def failed(self, exc: BaseException) -> None:
        """A request failed: offline when the network failed; an answer when the server refused."""
        if type(exc).__name__ == "NotLoggedIn":
            return  # said by this laptop, not by the server
        problem = describe(exc, self._ctx.language)
        if problem.offline:
            log.info("server unreachable: %s", type(exc).__name__)
            self._set_online(False)
            emit(self.changed)
        elif problem.kind not in ("input", "other"):
            self.contact()  # the server answered, even if with a refusal

    def set_pending(self, count: int | None) -> None:
        if count != self.pending:
            self.pending = count
            emit(self.changed)

    def refresh_pending(self) -> None:
        """Count the unsent items again (database pool)."""
        fn = self._pending_fn
        if fn is None and self._ctx.service is not None and hasattr(self._ctx.service, "outbox"):
            service = self._ctx.service
            fn = lambda: count_unsent(service)  # noqa: E731
        if fn is None or not self.enabled:
            return
        (self._ctx.tasks.db(fn, label="pending")
         .with_parent(self)
         .success(self.set_pending)
         .failure(lambda exc: log.info("pending items not counted: %s", type(exc).__name__))
         .start())

    # ------------------------------------------------------------------ internals
    def _probe(self) -> Callable[[], Any] | None:
        if self._probe_fn is not None:
            return self._probe_fn
        return getattr(self._ctx.service, "probe", None) if self._ctx.service is not None else None

    def _probe_over(self) -> None:
        self._probing = False

    def _set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            emit(self.offline_changed, not online)

    def _watch_network(self) -> Any:
        """Probe at once when the OS reports the network back (where Qt has a backend)."""
        try:
            from PySide6.QtNetwork import QNetworkInformation
        except ImportError:
            return False
        try:
            if not QNetworkInformation.loadDefaultBackend():
                return False
            info = QNetworkInformation.instance()
        except Exception:  # noqa: BLE001 - no backend on this platform: the timer does the work
            return False
        if info is None:
            return False
        online = QNetworkInformation.Reachability.Online

        def changed(reachability: Any) -> None:
            if self.enabled:
                # Back: let the interface settle, then look. Gone: look now.
                QTimer.singleShot(1000 if reachability == online else 0, self, self.probe)

        info.reachabilityChanged.connect(changed)
        return info


class SyncController(QObject):
    started = Signal(bool)              # automatic?
    progress = Signal(str, int, object)  # phase, done, total (None: unknown)
    synced = Signal(object)             # the SyncSummary
    failed = Signal(object)             # the exception
    offline_changed = Signal(bool)
    finished = Signal()                 # after synced or failed

    def __init__(self, ctx: AppContext, parent: QObject | None = None, *,
                 probe_interval_ms: int = PROBE_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._running = False
        self._again = False             # something was recorded while a sync ran
        self.enabled = True             # False: no automatic sync (signed out)
        self.monitor = ConnectionMonitor(ctx, self, interval_ms=probe_interval_ms)
        self.monitor.timer.timeout.disconnect()
        self.monitor.timer.timeout.connect(self.probe)
        self.monitor.offline_changed.connect(lambda offline: emit(self.offline_changed, offline))
        self.monitor.back_online.connect(self._back_online)

    # ------------------------------------------------------------------ state
    @property
    def running(self) -> bool:
        return self._running

    @property
    def offline(self) -> bool | None:
        """None before any try; then whether the server could not be reached at the last try."""
        online = self.monitor.online
        return None if online is None else not online

    @property
    def timer(self) -> QTimer:
        return self.monitor.timer

    def seconds_to_next_try(self) -> int | None:
        timer = self.monitor.timer
        return max(0, timer.remainingTime() // 1000) if timer.isActive() else None

    # ------------------------------------------------------------------ actions
    def start(self, *, automatic: bool = False) -> bool:
        """Start a sync unless one is running; False when none was started."""
        if self._running or self._ctx.service is None:
            return False
        self._running = True
        emit(self.started, automatic)
        service = self._ctx.service
        tiles_apart = hasattr(service, "cache_map_tiles")  # the map's tiles after the sync, not in it
        (self._ctx.tasks.net(service.sync, label="sync", **({"tiles": False} if tiles_apart else {}))
         .with_parent(self)
         .with_progress(lambda phase, done, total: emit(self.progress, phase, done, total))
         .success(self._on_synced)
         .failure(self._on_failed)
         .finally_(self._on_over)
         .start())
        return True

    def again_after(self) -> None:
        """A sync is running that read the outbox before something new was put in it:
        sync once more when it succeeds (when it fails, the retries will send it)."""
        if self._running:
            self._again = True
        elif self.offline is False:
            self.start(automatic=True)

    def watch(self) -> None:
        """Someone signed in: probe the connection and sync by itself from now on."""
        self.enabled = True
        self.monitor.start()

    def probe(self) -> None:
        """Is the server there? A light request when the service offers one; while the
        server is unreachable and there is none, the sync itself."""
        if self._running or not self.enabled or self._ctx.service is None:
            return
        if getattr(self._ctx.service, "probe", None) is None:
            if self.offline:
                self.start(automatic=True)
            return
        self.monitor.enabled = True
        self.monitor.probe()

    def stop(self) -> None:
        """No automatic tries (signed out, or closing)."""
        self.enabled = False
        self.monitor.stop()

    # ------------------------------------------------------------------ results
    def _back_online(self) -> None:
        if self.enabled and not self._running:
            self.start(automatic=True)

    def _on_synced(self, summary: Any) -> None:
        self._keep_watching()
        self.monitor.contact()
        emit(self.synced, summary)
        service = self._ctx.service
        if hasattr(service, "cache_map_tiles"):  # a map problem is never a sync problem
            self._ctx.tasks.net(service.cache_map_tiles, label="map_tiles").with_parent(self).failure(
                lambda _exc: None).start()

    def _on_failed(self, exc: Exception) -> None:
        problem = describe(exc, self._ctx.language)
        if problem.offline:
            self._keep_watching()
        self.monitor.failed(exc)
        if problem.needs_login:
            self.monitor.pause()  # nothing goes through until the agent signs in again
        emit(self.failed, exc)

    def _on_over(self) -> None:
        self._running = False
        again, self._again = self._again and self.offline is False, False
        emit(self.finished)
        if again:
            self.start(automatic=True)

    def _keep_watching(self) -> None:
        if self.enabled and not self.monitor.timer.isActive():
            self.monitor.start()
