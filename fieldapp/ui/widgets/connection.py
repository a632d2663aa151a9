"""The connection as it is now, for the status bar: a badge (Online / Offline / Not
connected, a word as well as a colour), the time of the last contact with the server and
the number of items waiting to be sent. It shows what a `ConnectionMonitor` knows, and
says it again when the language changes."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from fieldapp.ui.context import AppContext
from fieldapp.ui.formatting import clock_text
from fieldapp.ui.sync_controller import ConnectionMonitor

ONLINE, OFFLINE, UNKNOWN = "#2e7d32", "#c62828", "#757575"


class ConnectionStatus(QWidget):
    def __init__(self, ctx: AppContext, monitor: ConnectionMonitor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionStatus")
        self._ctx = ctx
        self._lang = ctx.language
        self.monitor = monitor
        self.detail = QLabel(self)
        self.detail.setObjectName("connectionDetail")
        self.indicator = QLabel(self)
        self.indicator.setObjectName("onlineIndicator")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.detail)
        layout.addWidget(self.indicator)
        monitor.changed.connect(self.retranslate)
        self._lang.changed.connect(self.retranslate)
        self.retranslate()

    def retranslate(self, *_: object) -> None:
        tr, monitor = self._lang.tr, self.monitor
        if monitor.online is None:
            word, colour = tr("Not connected"), UNKNOWN
            tip = tr("The server has not been reached since you signed in.")
        elif monitor.online:
            word, colour = tr("Online"), ONLINE
            tip = tr("The server answered at the last check; it is checked again every half minute.")
        else:
            word, colour = tr("Offline"), OFFLINE
            tip = tr("The server could not be reached at the last check. Your work is kept on this laptop "
                     "and sent when the server is back.")
        self.indicator.setText(word)
        self.indicator.setToolTip(tip)
        self.indicator.setStyleSheet(f"QLabel {{ color: white; background: {colour}; border-radius: 8px;"
                                     f" padding: 1px 8px; font-weight: bold; }}")
        parts = []
        if monitor.last_contact is not None:
            parts.append(tr("Last contact {time}", time=clock_text(monitor.last_contact, self._ctx.zone(),
                                                                   today=self._ctx.today())))
        elif monitor.enabled:
            parts.append(tr("No contact with the server yet"))
        if monitor.pending is not None and monitor.enabled:
            parts.append(tr("{count} waiting to be sent", count=monitor.pending) if monitor.pending
                         else tr("nothing waiting to be sent"))
        self.detail.setText(" · ".join(parts))
        self.detail.setVisible(bool(parts))
