"""The day's route on a map, and the stops in a list whose order the agent changes by
dragging (travel time between stops recomputed each time). The agent's order is kept on
this laptop per day (`save_route_order`), so the day opens again in it, after a restart too.

The map is QtLocation's Map with the OSM plugin, pointed at the institution's tile server,
reading first the tiles this laptop cached at sync (exported for Qt's offline tile
directory), so it works in the field without a network. Without a tile server the map
says so; the route list works all the same.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.context import AppContext
from fieldapp.ui.formatting import window_text
from fieldapp.ui.i18n import N_
from fieldapp.ui.map import base
from fieldapp.ui.map.base import MapCanvas, fence_m
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.visit.style import MUTED, WARN

CASE_ROLE = Qt.ItemDataRole.UserRole + 1


class DayMap(QWidget):
    order_changed = Signal(list)  # case ids in the agent's order
    order_saved = Signal()        # ... and kept on this laptop (the day's list shows it too)
    case_activated = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dayMap")
        self._ctx, self._lang = ctx, ctx.language
        self.plan: Any = None
        self.order: list[Any] = []   # DayStops in the agent's order
        self.canvas = MapCanvas(ctx, self)
        self.canvas.changed.connect(self.retranslate)
        self.note = self.canvas.note
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
        side = QVBoxLayout()
        side.addWidget(self.title)
        side.addWidget(self.stops, 1)
        side.addWidget(self.total)
        layout = QHBoxLayout(self)
        layout.addLayout(side, 2)
        layout.addWidget(self.canvas, 5)
        self._lang.changed.connect(lambda *_: self._fill())
        self.retranslate()

    # ------------------------------------------------------------------ public
    def show_plan(self, plan: Any) -> None:
        self.plan = plan
        self.order = [s for s in plan.stops]
        self._fill()
        self.canvas.show_points(stops=self.map_points(), showRoute=True)
        self.canvas.start()

    @property
    def view(self) -> Any:
        return self.canvas.view

    @property
    def template(self) -> str | None:
        return self.canvas.template

    @property
    def tiles(self) -> int:
        return self.canvas.tiles

    @property
    def no_map_module(self) -> bool:
        return self.canvas.no_map_module

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
                points.append({"lat": loc.lat, "lon": loc.lon, "label": str(i),
                               "fence": fence_m(stop.record.policy_id)})
        return points

    # ------------------------------------------------------------------ internals
    def _reordered(self) -> None:
        by_id = {s.record.id: s for s in self.order}
        self.order = [by_id[self.stops.item(i).data(CASE_ROLE)] for i in range(self.stops.count())]
        self._fill()
        self.canvas.show_points(stops=self.map_points())
        emit(self.order_changed, self.case_ids())
        service = self._ctx.service
        if self.plan is not None and service is not None and hasattr(service, "save_route_order"):
            (self._ctx.tasks.db(service.save_route_order, self.plan.day, self.case_ids(), label="save_route_order")
             .with_parent(self).success(lambda _r: emit(self.order_saved)).start())

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
            self.canvas.say(tr("No day chosen."), MUTED)
            return
        base.say_map_state(
            self.canvas, tr,
            no_server=tr("No map: the institution has set no tile server. The route list works without it."),
            no_points=tr("No map: none of the day's addresses has a map position."),
            no_module=tr("No map in this installation (it lacks Qt Location). The route list works without it."),
            muted=MUTED, warn=WARN)


class DayMapDialog(base.MapDialog):
    def __init__(self, ctx: AppContext, plan: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, DayMap(ctx), N_("The day on a map"), 1100, 680, parent)
        self.setObjectName("dayMapDialog")
        self.map.show_plan(plan)
