"""The day's visits in the order to drive them: appointment windows first, then distance.

An agent cannot move an appointment the customer agreed to, so the time windows decide
the order; distance only decides among visits booked for the same slot (nearest first,
from where the agent is then), and orders visits that have no appointment, which come
last (nearest next). Without a starting point, the day starts at whichever visit of the
first slot gives the shortest route. Distances are geodesic on the WGS-84 ellipsoid
(`fieldapp.geo.distance`, geopy's geodesic far away). Pure: no Qt, no I/O.

A stop without a known location keeps its place by time but has no leg distance; the
next leg is measured from the last place the agent is known to be.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import groupby
from typing import Iterable, Sequence

from fieldapp.core.errors import BadInput
from fieldapp.geo.distance import check_point, distance_m

Point = tuple[float, float]


@dataclass(frozen=True)
class Stop:
    """One visit to place: `start`/`end` are the appointment window (timezone-aware)."""

    id: str
    location: Point | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None


@dataclass(frozen=True)
class Leg:
    """A stop in route order with the distance from the point before it (None: unknown)."""

    stop: Stop
    distance_m: float | None


@dataclass(frozen=True)
class Route:
    legs: tuple[Leg, ...]
    overlaps: tuple[tuple[str, str], ...] = ()  # (earlier, later) whose windows overlap

    @property
    def stops(self) -> tuple[Stop, ...]:
        return tuple(leg.stop for leg in self.legs)

    @property
    def total_m(self) -> float:
        """The known distance: the sum of the legs whose two ends are known."""
        return sum(leg.distance_m for leg in self.legs if leg.distance_m is not None)

    @property
    def complete(self) -> bool:
        """False when some stop has no location, so the total leaves part of the way out."""
        return all(leg.stop.location is not None for leg in self.legs)


def _check(stop: Stop, index: int) -> None:
    where = f"stop {index} ({stop.id})"
    if stop.location is not None:
        check_point(stop.location[0], stop.location[1], field="location", where=where)
    for name in ("start", "end"):
        value = getattr(stop, name)
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise BadInput("the time must carry a timezone", where=where, field=name)
    if stop.start is not None and stop.end is not None and stop.end < stop.start:
        raise BadInput("the window ends before it starts", where=where, field="end")
    if stop.start is None and stop.end is not None:
        raise BadInput("a window with an end needs a start", where=where, field="start")


def _nearest_first(stops: Sequence[Stop], here: Point | None) -> list[Stop]:
    """Greedy nearest neighbour from `here`; ties and unknown places by id, unlocated last."""
    located = sorted((s for s in stops if s.location is not None), key=lambda s: s.id)
    ordered: list[Stop] = []
    while located:
        if here is None:
            chosen = located[0]
        else:
            origin = here
            chosen = min(located, key=lambda s: (distance_m(origin, s.location), s.id))  # type: ignore[arg-type]
        located.remove(chosen)
        ordered.append(chosen)
        here = chosen.location
    ordered += sorted((s for s in stops if s.location is None), key=lambda s: s.id)
    return ordered


def _ordered(groups: Sequence[Sequence[Stop]], here: Point | None) -> list[Stop]:
    """Slot by slot, nearest first from wherever the agent is by then."""
    ordered: list[Stop] = []
    for group in groups:
        for stop in _nearest_first(group, here):
            ordered.append(stop)
            here = stop.location or here
    return ordered


def _legs(ordered: Sequence[Stop], origin: Point | None) -> list[Leg]:
    legs: list[Leg] = []
    here = origin
    for stop in ordered:
        distance = None
        if stop.location is not None and here is not None:
            distance = distance_m(here, stop.location)
        legs.append(Leg(stop, distance))
        here = stop.location or here
    return legs


def plan_route(stops: Iterable[Stop], *, origin: Point | None = None) -> Route:
    """Order `stops` into a day's route, starting from `origin` when it is known."""
    stops = list(stops)
    seen: set[str] = set()
    for index, stop in enumerate(stops):
        _check(stop, index)
        if stop.id in seen:
            raise BadInput(f"stop {stop.id} is listed twice", where=f"stop {index}", field="id")
        seen.add(stop.id)
    if origin is not None:
        origin = check_point(origin[0], origin[1], field="origin")

    timed = sorted((s for s in stops if s.start is not None), key=lambda s: s.start)  # type: ignore[arg-type, return-value]
    untimed = [s for s in stops if s.start is None]
    groups = [list(group) for _slot, group in groupby(timed, key=lambda s: s.start)] + [untimed]
    groups = [g for g in groups if g]
    if origin is not None or not groups:
        legs = _legs(_ordered(groups, origin), origin)
    else:
        # No starting point: try each placed visit of the first slot as the first stop.
        firsts = sorted((s for s in groups[0] if s.location is not None), key=lambda s: s.id) or [None]
        candidates = []
        for first in firsts:
            if first is None:
                order = _ordered(groups, None)
            else:
                rest = [s for s in groups[0] if s is not first]
                order = [first] + _ordered([rest, *groups[1:]], first.location)
            candidates.append(_legs(order, None))
        legs = min(candidates, key=lambda ls: sum(leg.distance_m or 0.0 for leg in ls))

    overlaps = []
    for i, earlier in enumerate(timed):
        for later in timed[i + 1:]:
            if earlier.end is None or later.start >= earlier.end:  # type: ignore[operator]
                break  # sorted by start: no later one starts before this one ends
            overlaps.append((earlier.id, later.id))
    return Route(tuple(legs), tuple(overlaps))


def apply_order(planned: list[str], saved: list[str] | None) -> list[str]:
    """`planned` rearranged as the agent saved it: stops the agent ordered in that order,
    stops added since at the end (in planned order), stops gone since dropped."""
    if not saved:
        return list(planned)
    present = set(planned)
    kept = [case_id for case_id in dict.fromkeys(saved) if case_id in present]
    placed = set(kept)
    return kept + [case_id for case_id in planned if case_id not in placed]


__all__ = ["Leg", "Point", "Route", "Stop", "apply_order", "plan_route"]
