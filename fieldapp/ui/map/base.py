"""What the day's map and a case's map share: QtLocation's Map (OSM plugin) in a
QQuickWidget, pointed at the institution's tile server and reading first the tiles this
laptop cached at sync (exported for Qt's offline tile directory), drawn with software
rendering so every laptop (offscreen included) shows the same picture.

`MapCanvas` is the map with the note under it; its `state` says why there is no map when
there is none (no tile server, no position to show, no Qt Location in this installation),
and the owner words that in its own sentence, so the rest of its screen keeps working.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from fieldapp.ui.context import AppContext
from fieldapp.ui.qt_compat import emit

M_PER_DEGREE = 111_320.0

# MapCanvas.state
WAITING, NO_SERVER, NO_POINTS, NO_MODULE, PREPARING, OFFLINE, NO_TILES = (
    "waiting", "no_server", "no_points", "no_module", "preparing", "offline", "no_tiles")


def prepare_tiles(service: Any, folder: str) -> tuple[str | None, int]:
    """(the tile server's URL template, tiles written to `folder`) — runs on the database worker."""
    template = service.tile_template()
    return template, service.export_map_tiles(folder) if template else 0


def fence_m(policy_id: str) -> float:
    """The policy's geofence radius in metres (0: the policy cannot be read, no circle)."""
    try:
        from fieldapp.policy import load_policy

        return float(load_policy(policy_id).geofence.max_distance_m)
    except Exception:  # noqa: BLE001 - a circle is a help; without the policy, none
        return 0.0


def _bounds(points: list[dict[str, Any]]) -> tuple[float, float, float, float]:
    """(south, north, west, east) of the points with their fence circles."""
    south = north = west = east = None
    for p in points:
        r = float(p.get("fence") or 0.0)
        dlat = r / M_PER_DEGREE
        dlon = r / (M_PER_DEGREE * max(math.cos(math.radians(p["lat"])), 0.01))
        south = p["lat"] - dlat if south is None else min(south, p["lat"] - dlat)
        north = p["lat"] + dlat if north is None else max(north, p["lat"] + dlat)
        west = p["lon"] - dlon if west is None else min(west, p["lon"] - dlon)
        east = p["lon"] + dlon if east is None else max(east, p["lon"] + dlon)
    return (south or 0.0, north or 0.0, west or 0.0, east or 0.0)


def centre(points: list[dict[str, Any]]) -> tuple[float, float]:
    if not points:
        return 0.0, 0.0
    south, north, west, east = _bounds(points)
    return (south + north) / 2, (west + east) / 2


def fit_zoom(points: list[dict[str, Any]], width: int, height: int) -> float:
    """The largest cached zoom level that shows every point (and its fence circle) in a view
    of this size; a single point without a circle gets the middle level."""
    from fieldapp.geo.tiles import ZOOMS

    if not points or (len(points) < 2 and not any(p.get("fence") for p in points)):
        return 14.0
    south, north, west, east = _bounds(points)

    def merc(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    for z in sorted(ZOOMS, reverse=True):
        scale = 256 * 2 ** z
        dx = (east - west) / 360 * scale
        dy = (merc(north) - merc(south)) / (2 * math.pi) * scale
        if dx <= width * 0.8 and dy <= height * 0.8:
            return float(z)
    return float(min(ZOOMS))


def map_qml(host: str, offline: Path, cache: Path, points: list[dict[str, Any]]) -> str:
    from fieldapp.geo.tiles import ZOOMS
    from fieldapp.ui.map.qml import MAP_QML

    lat, lon = centre(points)
    values = {"@HOST@": host, "@OFFLINE@": str(offline), "@CACHE@": str(cache),
              "@MINZOOM@": str(min(ZOOMS)), "@MAXZOOM@": str(max(ZOOMS)), "@ZOOM@": "14",
              "@LAT@": f"{lat:.6f}", "@LON@": f"{lon:.6f}"}
    text = MAP_QML
    for key, value in values.items():
        text = text.replace(key, value.replace("\\", "/").replace('"', ""))
    return text


class MapCanvas(QWidget):
    """The map and a note under it. `show_points` gives what to draw (QML root properties:
    `stops` numbered circles with their fences, `checkins` square markers, `showRoute`),
    `start` reads the tile server and the cached tiles on the database worker; `changed`
    fires when `state` changed, for the owner to word it (`say`)."""

    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, min_size: tuple[int, int] = (420, 360)):
        super().__init__(parent)
        self._ctx = ctx
        self._min_size = min_size
        self.template: str | None = None
        self.tiles = 0
        self.view: Any = None        # the QQuickWidget, once there is a map to show
        self.no_map_module = False
        self._asked = self._ready = False
        self.properties: dict[str, Any] = {"stops": [], "checkins": [], "showRoute": True}
        self._folder = Path(tempfile.mkdtemp(prefix="fieldapp-map-"))
        self.note = QLabel(self)
        self.note.setObjectName("mapNote")
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.addWidget(self.note, 1)
        folder = self._folder
        self.destroyed.connect(lambda *_: shutil.rmtree(folder, ignore_errors=True))

    # ------------------------------------------------------------------ public
    def points(self) -> list[dict[str, Any]]:
        return list(self.properties["stops"]) + list(self.properties["checkins"])

    def show_points(self, **properties: Any) -> None:
        self.properties.update(properties)
        if self._ready and self.view is None and self.points():
            self._build()  # the first position to show arrived after the tiles
        self._push()

    def start(self) -> None:
        """Read the tile server and export the cached tiles (once), then draw."""
        if self._asked:
            return
        self._asked = True
        service = self._ctx.service
        if service is None or not hasattr(service, "tile_template"):
            self._tiles_ready((None, 0))
            return
        (self._ctx.tasks.db(prepare_tiles, service, str(self._folder / "tiles"), label="map_tiles")
         .with_parent(self).success(self._tiles_ready).start())

    @property
    def state(self) -> str:
        if not self._ready:
            return WAITING
        if not self.template:
            return NO_SERVER
        if not self.points():
            return NO_POINTS
        if self.no_map_module:
            return NO_MODULE
        if self.view is None:
            return PREPARING
        return OFFLINE if self.tiles else NO_TILES

    def root(self) -> Any:
        return self.view.rootObject() if self.view is not None else None

    def say(self, text: str, colour: str) -> None:
        self.note.setText(text)
        self.note.setStyleSheet(f"color: {colour};")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter if self.view is None else Qt.AlignmentFlag.AlignLeft)

    # ------------------------------------------------------------------ internals
    def _tiles_ready(self, prepared: tuple[str | None, int]) -> None:
        self.template, self.tiles = prepared
        self._ready = True
        self._build()
        emit(self.changed)

    def _build(self) -> None:
        from fieldapp.geo.tiles import qt_osm_host

        host = qt_osm_host(self.template) if self.template else None
        if host is None or not self.points():
            return
        try:
            from PySide6.QtQuick import QQuickWindow, QSGRendererInterface
            from PySide6.QtQuickWidgets import QQuickWidget
        except ImportError:  # an installation built without Qt Quick and Qt Location
            self.no_map_module = True
            return
        # Software rendering: the same picture on every laptop, offscreen included.
        QQuickWindow.setGraphicsApi(QSGRendererInterface.GraphicsApi.Software)
        if self.view is None:
            self.view = QQuickWidget(self)
            self.view.setObjectName("mapView")
            self.view.setResizeMode(QQuickWidget.ResizeMode.SizeRootObjectToView)
            self.view.setMinimumSize(*self._min_size)
            self.view.installEventFilter(self)  # fit the points again once the view has its size
            self.box.insertWidget(0, self.view, 1)
            self.box.setStretchFactor(self.note, 0)
        qml = self._folder / "map.qml"
        qml.write_text(map_qml(host, self._folder / "tiles", self._folder / "cache", self.points()),
                       encoding="utf-8")
        self.view.setSource(QUrl.fromLocalFile(str(qml)))
        self._push()
        emit(self.changed)

    def _push(self) -> None:
        root = self.root()
        if root is None:
            return
        for name, value in self.properties.items():
            root.setProperty(name, value)
        self._zoom()

    def _zoom(self) -> None:
        root = self.root()
        the_map = root.findChild(object, "map") if root is not None else None
        points = self.points()
        if the_map is None or not points:
            return
        from PySide6.QtPositioning import QGeoCoordinate

        size = self.view.size()
        width, height = max(size.width(), self._min_size[0]), max(size.height(), self._min_size[1])
        the_map.setProperty("zoomLevel", fit_zoom(points, width, height))
        the_map.setProperty("center", QGeoCoordinate(*centre(points)))

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
        from PySide6.QtCore import QEvent

        if watched is self.view and event.type() == QEvent.Type.Resize:
            self._zoom()
        return super().eventFilter(watched, event)


def say_map_state(canvas: "MapCanvas", tr: Any, no_server: str, no_points: str, no_module: str,
                  muted: str, warn: str) -> None:
    """The sentence under a map for its canvas's state; each map names what works without it."""
    state, say = canvas.state, canvas.say
    if state in (WAITING, PREPARING):
        say(tr("Preparing the map…"), muted)
    elif state == NO_SERVER:
        say(no_server, warn)
    elif state == NO_POINTS:
        say(no_points, warn)
    elif state == NO_MODULE:
        say(no_module, warn)
    elif state == OFFLINE:
        say(tr("Map tiles on this laptop: {count}, from the last sync; the map works offline.",
               count=canvas.tiles), muted)
    else:
        say(tr("No map tiles on this laptop yet: sync once with a network to take the map along."), warn)


class MapDialog(QDialog):
    """A map widget and a Close button; the window title follows the language."""

    def __init__(self, ctx: AppContext, widget: QWidget, title: str, width: int, height: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.map = widget
        widget.setParent(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(widget, 1)
        layout.addWidget(buttons)
        self._lang, self._title = ctx.language, title
        self._lang.changed.connect(self.retranslate)
        self.retranslate()
        self.resize(width, height)

    def retranslate(self, *_: object) -> None:
        self.setWindowTitle(self._lang.tr(self._title))
