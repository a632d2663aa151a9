"""The day's route on a map, and the stops in a list whose order the agent changes by
dragging (travel time between stops recomputed each time).

The map is QtLocation's Map with the OSM plugin, pointed at the institution's tile server,
reading first the tiles this laptop cached at sync (exported for Qt's offline tile
directory), so it works in the field without a network. Without a tile server the map
says so; the route list works all the same.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, QUrl, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.context import AppContext
from fieldapp.ui.formatting import window_text
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.visit.style import MUTED, WARN

CASE_ROLE = Qt.ItemDataRole.UserRole + 1


def prepare_tiles(service: Any, folder: str) -> tuple[str | None, int]:
    """(the tile server's URL template, tiles written to `folder`) — runs on the database worker."""
    template = service.tile_template()
    return template, service.export_map_tiles(folder) if template else 0


def _qml(host: str, offline: Path, cache: Path, stops: list[dict[str, Any]]) -> str:
    from fieldapp.geo.tiles import ZOOMS

    lats = [s["lat"] for s in stops] or [0.0]
    lons = [s["lon"] for s in stops] or [0.0]
    values = {"@HOST@": host, "@OFFLINE@": str(offline), "@CACHE@": str(cache),
              "@MINZOOM@": str(min(ZOOMS)), "@MAXZOOM@": str(max(ZOOMS)), "@ZOOM@": "14",
              "@LAT@": f"{(min(lats) + max(lats)) / 2:.6f}", "@LON@": f"{(min(lons) + max(lons)) / 2:.6f}"}
    from fieldapp.ui.map.qml import MAP_QML

    text = MAP_QML
    for key, value in values.items():
        text = text.replace(key, value.replace("\\", "/").replace('"', ""))
    return text


def fit_zoom(stops: list[dict[str, Any]], width: int, height: int) -> float:
    """The largest cached zoom level that shows every stop in a view of this size."""
    import math

    from fieldapp.geo.tiles import ZOOMS

    if len(stops) < 2:
        return 14.0
    lats, lons = [s["lat"] for s in stops], [s["lon"] for s in stops]

    def merc(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    for z in sorted(ZOOMS, reverse=True):
        scale = 256 * 2 ** z
        dx = (max(lons) - min(lons)) / 360 * scale
        dy = (merc(max(lats)) - merc(min(lats))) / (2 * math.pi) * scale
        if dx <= width * 0.8 and dy <= height * 0.8:
            return float(z)
    return float(min(ZOOMS))


class DayMap(QWidget):
    order_changed = Signal(list)  # case ids in the agent's order
    case_activated = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dayMap")
        self._ctx, self._lang = ctx, ctx.language
        self.plan: Any = None
        self.order: list[Any] = []   # DayStops in the agent's order
        self.template: str | None = None
        self.tiles = 0
        self.view: Any = None        # the QQuickWidget, once there is a map to show
        self._folder = Path(tempfile.mkdtemp(prefix="fieldapp-map-"))
        self.title = QLabel(self)
        self.title.setObjectName("mapTitle")
        self.stops = QListWidget(self)
        self.stops.setObjectName("mapStops")
        self.stops.setWordWrap(True)
        self.stops.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.stops.model().rowsMoved.connect(lambda *_: self._reordered())
        self.stops.itemDoubleClicked.connect(lambda item: emit(self.case_activated, item.data(CASE_ROLE)))
        self.total = QLabel(self)
        self.total.setObjectName("routeTotal")
        self.total.setWordWrap(True)
        self.note = QLabel(self)
        self.note.setObjectName("mapNote")
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.map_box = QVBoxLayout()
        self.map_box.addWidget(self.note, 1)
        side = QVBoxLayout()
        side.addWidget(self.title)
        side.addWidget(self.stops, 1)
        side.addWidget(self.total)
        layout = QHBoxLayout(self)
        layout.addLayout(side, 2)
        layout.addLayout(self.map_box, 5)
        self.destroyed.connect(lambda *_: shutil.rmtree(self._folder, ignore_errors=True))
        self._lang.changed.connect(lambda *_: self._fill())
        self.retranslate()

    # ------------------------------------------------------------------ public
    def show_plan(self, plan: Any) -> None:
        self.plan = plan
        self.order = [s for s in plan.stops]
        self._fill()
        service = self._ctx.service
        if service is None or not hasattr(service, "tile_template"):
            self._map_ready((None, 0))
            return
        (self._ctx.tasks.db(prepare_tiles, service, str(self._folder / "tiles"), label="map_tiles")
         .with_parent(self).success(self._map_ready).start())

    def move_stop(self, source: int, target: int) -> None:
        """Move the stop at `source` to `target` (what dragging does)."""
        item = self.stops.takeItem(source)
        self.stops.insertItem(target, item)
        self._reordered()

    def case_ids(self) -> list[str]:
        return [s.record.id for s in self.order]

    def map_points(self) -> list[dict[str, Any]]:
        points = []
        for i, stop in enumerate(self.order, 1):
            loc = stop.record.customer.location
            if loc is not None:
                points.append({"lat": loc.lat, "lon": loc.lon, "label": str(i), "fence": self._fence(stop)})
        return points

    # ------------------------------------------------------------------ internals
    def _fence(self, stop: Any) -> float:
        decision = getattr(stop.verdict, "decision", None)
        try:
            from fieldapp.policy import load_policy

            return float(load_policy(stop.record.policy_id).geofence.max_distance_m)
        except Exception:  # noqa: BLE001 - a circle is a help; without the policy, none
            return 0.0 if decision is None else 0.0

    def _map_ready(self, prepared: tuple[str | None, int]) -> None:
        from fieldapp.geo.tiles import qt_osm_host

        self.template, self.tiles = prepared
        host = qt_osm_host(self.template) if self.template else None
        if host is None or not self.map_points():
            self.retranslate()
            return
        try:
            from PySide6.QtQuick import QQuickWindow, QSGRendererInterface
            from PySide6.QtQuickWidgets import QQuickWidget
        except ImportError:  # an installation built without Qt Quick and Qt Location
            self.no_map_module = True
            self.retranslate()
            return

        # Software rendering: the same picture on every laptop, offscreen included.
        QQuickWindow.setGraphicsApi(QSGRendererInterface.GraphicsApi.Software)
        if self.view is None:
            self.view = QQuickWidget(self)
            self.view.setObjectName("mapView")
            self.view.setResizeMode(QQuickWidget.ResizeMode.SizeRootObjectToView)
            self.view.setMinimumSize(420, 360)
            self.map_box.insertWidget(0, self.view, 1)
            self.map_box.setStretchFactor(self.note, 0)
        qml = self._folder / "map.qml"
        qml.write_text(_qml(host, self._folder / "tiles", self._folder / "cache", self.map_points()),
                       encoding="utf-8")
        self.view.setSource(QUrl.fromLocalFile(str(qml)))
        self._push_route()
        self.retranslate()

    def _push_route(self) -> None:
        root = self.view.rootObject() if self.view is not None else None
        if root is None:
            return
        root.setProperty("stops", self.map_points())
        self._zoom()

    def _zoom(self) -> None:
        root = self.view.rootObject() if self.view is not None else None
        the_map = root.findChild(object, "map") if root is not None else None
        points = self.map_points()
        if the_map is not None and points:
            size = self.view.size()
            the_map.setProperty("zoomLevel", fit_zoom(points, max(size.width(), 420), max(size.height(), 360)))

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._zoom()

    def _reordered(self) -> None:
        by_id = {s.record.id: s for s in self.order}
        self.order = [by_id[self.stops.item(i).data(CASE_ROLE)] for i in range(self.stops.count())]
        self._fill()
        self._push_route()
        emit(self.order_changed, self.case_ids())

    def _fill(self) -> None:
        from fieldapp.geo.distance import distance_m
        from fieldapp.geo.travel import travel_minutes

        tr = self._lang.tr
        self.stops.blockSignals(True)
        self.stops.clear()
        previous = None
        total_min, total_m = 0, 0.0
        for i, stop in enumerate(self.order, 1):
            loc = stop.record.customer.location
            here = (loc.lat, loc.lon) if loc is not None else None
            if i == 1:
                leg = tr("first stop")
            else:
                minutes = travel_minutes(previous, here)
                total_min += minutes
                if previous is not None and here is not None:
                    metres = distance_m(previous, here)
                    total_m += metres
                    leg = tr("{minutes} min from the stop before ({km} km)", minutes=minutes, km=f"{metres / 1000:.1f}")
                else:
                    leg = tr("{minutes} min from the stop before (a place unknown)", minutes=minutes)
            text = (f"{i}. {window_text(stop.start, stop.end, stop.timezone)}\n"
                    f"{stop.record.customer.name} · {stop.record.customer.address}\n{leg}")
            item = QListWidgetItem(text)
            item.setData(CASE_ROLE, stop.record.id)
            item.setSizeHint(QSize(0, self.stops.fontMetrics().lineSpacing() * 3 + 12))
            self.stops.addItem(item)
            previous = here
        self.stops.blockSignals(False)
        self._totals = (total_min, total_m)
        self.retranslate()

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.title.setText(tr("The day's route ({count} stops); drag a stop to change the order",
                              count=len(self.order)))
        minutes, metres = getattr(self, "_totals", (0, 0.0))
        self.total.setText(tr("Travel between stops: about {minutes} min, {km} km in a straight line.",
                              minutes=minutes, km=f"{metres / 1000:.1f}") if len(self.order) > 1 else "")
        if self.plan is None:
            self._say(tr("No day chosen."), MUTED)
        elif not self.template:
            self._say(tr("No map: the institution has set no tile server. The route list works without it."), WARN)
        elif not self.map_points():
            self._say(tr("No map: none of the day's addresses has a map position."), WARN)
        elif getattr(self, "no_map_module", False):
            self._say(tr("No map in this installation (it lacks Qt Location). The route list works without it."),
                      WARN)
        elif self.view is None:
            self._say(tr("Preparing the map…"), MUTED)
        elif self.tiles:
            self._say(tr("Map tiles on this laptop: {count}, from the last sync; the map works offline.",
                         count=self.tiles), MUTED)
        else:
            self._say(tr("No map tiles on this laptop yet: sync once with a network to take the map along."), WARN)

    def _say(self, text: str, colour: str) -> None:
        self.note.setText(text)
        self.note.setStyleSheet(f"color: {colour};")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter if self.view is None else Qt.AlignmentFlag.AlignLeft)
        self.note.setSizePolicy(self.note.sizePolicy())


class DayMapDialog(QDialog):
    def __init__(self, ctx: AppContext, plan: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dayMapDialog")
        self.map = DayMap(ctx, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.map, 1)
        layout.addWidget(buttons)
        self.setWindowTitle(ctx.language.tr("The day on a map"))
        self.resize(1100, 680)
        self.map.show_plan(plan)
