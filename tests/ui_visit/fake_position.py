"""A position source of Qt Positioning's shape that the test controls."""

from __future__ import annotations

from PySide6.QtCore import QDateTime, QObject, QTimer, QTimeZone, Signal
from PySide6.QtPositioning import QGeoCoordinate, QGeoPositionInfo

from fieldapp.core import clock as app_clock
from fieldapp.protocol.v1 import Location
from fieldapp.ui.qt_compat import emit


class FakePositionSource(QObject):
    """Answers `requestUpdate` with a fix, an error, or silence (then the step times out)."""

    positionUpdated = Signal(object)
    errorOccurred = Signal(object)

    def __init__(self, parent: QObject | None, location: Location | None = None, error=None) -> None:
        super().__init__(parent)
        self.location, self.error, self.requests = location, error, 0

    def requestUpdate(self, timeout: int = 0) -> None:  # noqa: N802 - Qt's name
        self.requests += 1
        if self.location is not None:
            info = QGeoPositionInfo(QGeoCoordinate(self.location.lat, self.location.lon),
                                    QDateTime.fromMSecsSinceEpoch(int(app_clock.now().timestamp() * 1000), QTimeZone.utc()))
            if self.location.accuracy_m is not None:
                info.setAttribute(QGeoPositionInfo.Attribute.HorizontalAccuracy, self.location.accuracy_m)
            QTimer.singleShot(0, lambda: emit(self.positionUpdated, info))
        elif self.error is not None:
            QTimer.singleShot(0, lambda: emit(self.errorOccurred, self.error))


def position_factory(location: Location | None = None, error=None):
    """A source factory for CheckInStep / VisitFlow; `factory.made` lists the sources it made."""
    made: list[FakePositionSource] = []

    def factory(parent):
        source = FakePositionSource(parent, location, error)
        made.append(source)
        return source

    factory.made = made
    return factory
