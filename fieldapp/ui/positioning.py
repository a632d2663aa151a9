"""A position source that answers with a position given in advance.

It has the shape of Qt Positioning's QGeoPositionInfoSource that the check-in step uses
(`positionUpdated`, `errorOccurred`, `requestUpdate(timeout_ms)`), for the guided tour
and for demonstrations on a laptop without a location service. The answer comes from
the event loop, as a real source's does.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QDateTime, QObject, QTimer, QTimeZone, Signal

from fieldapp.core import clock as app_clock
from fieldapp.ui.qt_compat import emit


class FixedPositionSource(QObject):
    positionUpdated = Signal(object)  # noqa: N815 - Qt's names
    errorOccurred = Signal(object)  # noqa: N815

    def __init__(self, parent: QObject | None, where: Callable[[], tuple[float, float, float] | None]) -> None:
        super().__init__(parent)
        self._where = where
        self.requests = 0

    def requestUpdate(self, timeout: int = 0) -> None:  # noqa: N802 - Qt's name
        from PySide6.QtPositioning import QGeoCoordinate, QGeoPositionInfo, QGeoPositionInfoSource

        self.requests += 1
        fix = self._where()
        if fix is None:
            QTimer.singleShot(0, self, lambda: emit(self.errorOccurred,
                                                    QGeoPositionInfoSource.Error.UnknownSourceError))
            return
        lat, lon, accuracy = fix
        info = QGeoPositionInfo(QGeoCoordinate(lat, lon), QDateTime.fromMSecsSinceEpoch(int(app_clock.now().timestamp() * 1000), QTimeZone.utc()))
        info.setAttribute(QGeoPositionInfo.Attribute.HorizontalAccuracy, accuracy)
        QTimer.singleShot(0, self, lambda: emit(self.positionUpdated, info))


class FixedPosition:
    """A source factory whose position can be moved: `FixedPosition()(parent)` -> a source."""

    def __init__(self, fix: tuple[float, float, float] | None = None) -> None:
        self.fix = fix

    def __call__(self, parent: Any) -> FixedPositionSource:
        return FixedPositionSource(parent, lambda: self.fix)
