"""When to sync: on request, and by itself once the server can be reached again.

While the last try found the server unreachable, a light probe runs on the network pool
every `probe_interval_ms` (45 s by default), and at once when the operating system says
the network came back (Qt's QNetworkInformation, where the platform has a backend). The
probe is the service's `probe()` when it has one (a cheap request that changes
nothing); otherwise the sync itself, which fails at its first request while offline.
When the probe gets through, a sync follows. The sync itself goes to the network pool,
never blocks the window, and reports progress.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from fieldapp.ui.context import AppContext
from fieldapp.ui.errors import describe
from fieldapp.ui.qt_compat import emit

log = logging.getLogger(__name__)

PROBE_INTERVAL_MS = 45_000


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
        self._probing = False
        self._offline: bool | None = None
        self._again = False             # something was recorded while a sync ran
        self.enabled = True             # False: no automatic sync (signed out)
        self.timer = QTimer(self)
        self.timer.setInterval(probe_interval_ms)
        self.timer.timeout.connect(self.probe)
        self._network: Any = None
        QTimer.singleShot(0, self, self._start_watching)  # after the first paint

    def _start_watching(self) -> None:
        self._network = self._watch_network()

    # ------------------------------------------------------------------ state
    @property
    def running(self) -> bool:
        return self._running

    @property
    def offline(self) -> bool | None:
        """None before any try; then whether the last try could not reach the server."""
        return self._offline

    def seconds_to_next_try(self) -> int | None:
        return max(0, self.timer.remainingTime() // 1000) if self.timer.isActive() else None

    # ------------------------------------------------------------------ actions
    def start(self, *, automatic: bool = False) -> bool:
        """Start a sync unless one is running; False when none was started."""
        if self._running or self._ctx.service is None:
            return False
        self._running = True
        emit(self.started, automatic)
        (self._ctx.tasks.net(self._ctx.service.sync, label="sync")
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
        elif self._offline is False:
            self.start(automatic=True)

    def probe(self) -> None:
        """Is the server back? A light request first when the service offers one."""
        if self._running or self._probing or not self.enabled or self._ctx.service is None:
            return
        probe = getattr(self._ctx.service, "probe", None)
        if probe is None:
            self.start(automatic=True)
            return
        self._probing = True
        (self._ctx.tasks.net(probe, label="probe")
         .with_parent(self)
         .success(lambda _answer: self.start(automatic=True))
         .failure(lambda exc: log.info("server still unreachable: %s", type(exc).__name__))
         .finally_(self._probe_over)
         .start())

    def stop(self) -> None:
        """No automatic tries (signed out, or closing)."""
        self.enabled = False
        self.timer.stop()

    # ------------------------------------------------------------------ results
    def _on_synced(self, summary: Any) -> None:
        self._set_offline(False)
        emit(self.synced, summary)

    def _on_failed(self, exc: Exception) -> None:
        problem = describe(exc, self._ctx.language)
        if problem.offline:
            self._set_offline(True)
        elif problem.kind not in ("input", "other"):
            self._set_offline(False)  # the server answered, even if with a refusal
        emit(self.failed, exc)

    def _on_over(self) -> None:
        self._running = False
        again, self._again = self._again and self._offline is False, False
        emit(self.finished)
        if again:
            self.start(automatic=True)

    def _probe_over(self) -> None:
        self._probing = False

    def _set_offline(self, offline: bool) -> None:
        if offline and self.enabled:
            if not self.timer.isActive():
                self.timer.start()
        else:
            self.timer.stop()
        if offline != self._offline:
            self._offline = offline
            emit(self.offline_changed, offline)

    # ------------------------------------------------------------------ the OS's view
    def _watch_network(self) -> Any:
        """Probe at once when the OS reports the network back (where Qt has a backend)."""
        try:
            from PySide6.QtNetwork import QNetworkInformation
        except ImportError:
            return None
        try:
            if not QNetworkInformation.loadDefaultBackend():
                return None
            info = QNetworkInformation.instance()
        except Exception:  # noqa: BLE001 - no backend on this platform: the timer does the work
            return None
        if info is None:
            return None
        online = QNetworkInformation.Reachability.Online

        def changed(reachability: Any) -> None:
            if reachability == online and self._offline:
                QTimer.singleShot(1000, self.probe)  # let the interface settle

        info.reachabilityChanged.connect(changed)
        return info
