"""One case on a map: the customer's address (a blue circle) with the policy's fence around
it, and where the agent checked in at each of the case's visits recorded on this laptop (a
square: green inside the fence, red outside), with the words beside the map saying how far
each check-in was from the customer and whether it was inside the fence.

The check-in positions come from the visits as this laptop recorded them (the outbox keeps
them while the case is here); the case's history from the server carries no position, so a
visit recorded on another laptop has none to show, and the list says so. The map is the
day map's (`fieldapp.ui.map.base.MapCanvas`): the same tiles cached at sync, and the same
sentence instead of a map when there is no tile server, no position or no Qt Location.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.context import AppContext
from fieldapp.ui.formatting import time_text
from fieldapp.ui.i18n import N_
from fieldapp.ui.map import base
from fieldapp.ui.map.base import MapCanvas, fence_m
from fieldapp.ui.visit.style import MUTED, WARN

INSIDE, OUTSIDE = "#2e7d32", "#c62828"


@dataclass(frozen=True)
class CheckIn:
    """One visit of the case recorded on this laptop: where (None: no position) and when."""

    visit_id: str
    at: dt.datetime | None
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None


def load_checkins(service: Any, case_id: str) -> list[CheckIn]:
    """The case's visits recorded on this laptop with their check-in position, oldest first
    (runs on the database worker)."""
    found = []
    for item in service.outbox():
        if item.case_id != case_id or item.kind != "visit":
            continue
        try:
            payload = service.outbox_payload(item.id)
        except Exception:  # noqa: BLE001 - an unreadable payload: that visit shows no position
            payload = None
        if not isinstance(payload, dict):
            continue
        when = payload.get("checked_in_at") or payload.get("agent_started_at")
        at = dt.datetime.fromisoformat(when) if isinstance(when, str) else None
        loc = payload.get("location") if isinstance(payload.get("location"), dict) else {}
        lat, lon = loc.get("lat"), loc.get("lon")
        has = isinstance(lat, (int, float)) and isinstance(lon, (int, float))
        found.append(CheckIn(str(payload.get("visit_id") or item.id), at,
                             float(lat) if has else None, float(lon) if has else None,
                             loc.get("accuracy_m") if has else None))
    return sorted(found, key=lambda c: (c.at is None, c.at or dt.datetime.min.replace(tzinfo=dt.timezone.utc)))


class CaseMap(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caseMap")
        self._ctx, self._lang = ctx, ctx.language
        self.record: Any = None
        self.checkins: list[CheckIn] | None = None  # None: not read yet
        self.fence = 0.0
        self.canvas = MapCanvas(ctx, self, min_size=(420, 380))
        self.canvas.changed.connect(self.retranslate)
        self.note = self.canvas.note
        self.title = QLabel(self)
        self.title.setObjectName("caseMapTitle")
        self.title.setWordWrap(True)
        bold = self.title.font()
        bold.setBold(True)
        self.title.setFont(bold)
        self.key = QLabel(self)
        self.key.setObjectName("caseMapKey")
        self.key.setWordWrap(True)
        self.key.setTextFormat(Qt.TextFormat.RichText)
        self.legend = QListWidget(self)
        self.legend.setObjectName("caseMapLegend")
        self.legend.setWordWrap(True)
        self.legend.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.legend.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.legend.setSpacing(4)
        side = QVBoxLayout()
        side.addWidget(self.title)
        side.addWidget(self.key)
        side.addWidget(self.legend, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(side, 2)
        layout.addWidget(self.canvas, 4)
        self._lang.changed.connect(self.retranslate)
        self.retranslate()

    # ------------------------------------------------------------------ public
    def show_case(self, record: Any) -> None:
        """Draw `record`'s customer and fence, then read its check-ins and the tiles."""
        self.record = record
        self.fence = fence_m(record.policy_id)
        self._draw()
        service = self._ctx.service
        if service is not None and hasattr(service, "outbox_payload"):
            (self._ctx.tasks.db(load_checkins, service, record.id, label="case_checkins")
             .with_parent(self).success(self._checkins_read).start())
        else:
            self._checkins_read([])

    def map_checkins(self) -> list[dict[str, Any]]:
        """The check-ins with a position, as the map draws them (numbered in time order)."""
        out = []
        for number, c in self._numbered():
            if c.lat is not None and c.lon is not None:
                out.append({"lat": c.lat, "lon": c.lon, "label": str(number), "inside": self._judge(c)[1]})
        return out

    def customer_point(self) -> dict[str, Any] | None:
        loc = self.record.customer.location if self.record is not None else None
        return None if loc is None else {"lat": loc.lat, "lon": loc.lon, "label": "", "fence": self.fence}

    # ------------------------------------------------------------------ internals
    def _checkins_read(self, checkins: list[CheckIn]) -> None:
        self.checkins = checkins
        self._draw()
        self.canvas.start()

    def _draw(self) -> None:
        customer = self.customer_point()
        self.canvas.show_points(stops=[customer] if customer else [], checkins=self.map_checkins(),
                                showRoute=False)
        self.retranslate()

    def _numbered(self) -> list[tuple[int, CheckIn]]:
        return list(enumerate(self.checkins or [], 1))

    def _judge(self, c: CheckIn) -> tuple[float | None, bool, bool]:
        """(metres from the customer, inside the fence, the position precise enough to say)."""
        customer = self.customer_point()
        if customer is None or c.lat is None or c.lon is None:
            return None, False, False
        from fieldapp.geo.distance import check_geofence, distance_m

        if self.fence <= 0:
            return distance_m((c.lat, c.lon), (customer["lat"], customer["lon"])), False, False
        check = check_geofence((c.lat, c.lon), (customer["lat"], customer["lon"]), max_distance_m=self.fence,
                               accuracy_m=c.accuracy_m)
        return check.distance_m, check.inside, check.conclusive

    def _line(self, number: int, c: CheckIn) -> tuple[str, str]:
        tr = self._lang.tr
        zone = self.record.customer.timezone
        when = time_text(c.at, zone)
        if c.lat is None:
            return tr("{number}. {when}: checked in without a position.", number=number, when=when), WARN
        metres, inside, conclusive = self._judge(c)
        if metres is None:
            return tr("{number}. {when}: checked in here; the customer's address has no map position, so no "
                      "distance.", number=number, when=when), MUTED
        distance = f"{metres:.0f}"
        if self.fence <= 0:
            return tr("{number}. {when}: {distance} m from the customer.", number=number, when=when,
                      distance=distance), MUTED
        if not inside:
            return tr("{number}. {when}: {distance} m from the customer, outside the fence ({fence} m).",
                      number=number, when=when, distance=distance, fence=f"{self.fence:.0f}"), OUTSIDE
        if not conclusive:
            return tr("{number}. {when}: {distance} m from the customer, inside the fence, but the position "
                      "was only accurate to {accuracy} m.", number=number, when=when, distance=distance,
                      accuracy=f"{c.accuracy_m:.0f}"), WARN
        return tr("{number}. {when}: {distance} m from the customer, inside the fence ({fence} m).",
                  number=number, when=when, distance=distance, fence=f"{self.fence:.0f}"), INSIDE

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        record = self.record
        self.title.setText(tr("{name}: the address and the visits' check-ins", name=record.customer.name)
                           if record is not None else "")
        fence = (tr("the shaded ring is the policy's fence, {fence} m around it", fence=f"{self.fence:.0f}")
                 if self.fence > 0 else tr("the policy's fence is not known here"))
        address = tr("The customer's address; {fence}.", fence=fence)
        inside, outside = tr("A check-in inside the fence"), tr("A check-in outside the fence")
        self.key.setText(f"<span style='color:#1565c0'>◯</span> {escape(address)}<br>"
                         f"<span style='color:{INSIDE}'>■</span> {escape(inside)}<br>"
                         f"<span style='color:{OUTSIDE}'>■</span> {escape(outside)}")
        self.legend.clear()
        if record is not None and record.customer.location is None:
            self._item(tr("The customer's address has no map position."), WARN)
        if self.checkins is None:
            self._item(tr("Reading the visits recorded on this laptop…"), MUTED)
        elif not self.checkins:
            self._item(tr("No visit of this case was recorded on this laptop, so no check-in to show "
                          "(visits recorded elsewhere keep their position on the server)."), MUTED)
        for number, c in self._numbered():
            self._item(*self._line(number, c))
        self._say()

    def _item(self, text: str, colour: str) -> None:
        from PySide6.QtGui import QColor

        item = QListWidgetItem(text)
        item.setForeground(QColor(colour))
        self.legend.addItem(item)

    def _say(self) -> None:
        tr = self._lang.tr
        if self.record is None:
            self.canvas.say(tr("No case chosen."), MUTED)
            return
        base.say_map_state(
            self.canvas, tr,
            no_server=tr("No map: the institution has set no tile server. The list beside works without it."),
            no_points=tr("No map: neither the customer's address nor a check-in has a map position."),
            no_module=tr("No map in this installation (it lacks Qt Location). The list beside works without it."),
            muted=MUTED, warn=WARN)


class CaseMapDialog(base.MapDialog):
    def __init__(self, ctx: AppContext, record: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, CaseMap(ctx), N_("The case on a map"), 1000, 620, parent)
        self.setObjectName("caseMapDialog")
        self.map.show_case(record)
