"""Travel time between two addresses, for planning appointments back to back.

A planning estimate, not a route: the geodesic distance stretched by a detour factor (roads
are not straight lines), at a city speed, plus a fixed buffer for parking and finding the
door, rounded up to whole steps. When either address has no map position the answer is a
cautious fixed time. Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fieldapp.geo.distance import distance_m

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class TravelModel:
    speed_kmh: float = 20.0        # door to door in a city, traffic included
    detour: float = 1.4            # road distance / straight-line distance
    buffer_minutes: int = 10       # parking, finding the entrance, the lift
    unknown_minutes: int = 45      # when an address has no map position
    step_minutes: int = 5

    def minutes(self, a: Point | None, b: Point | None) -> int:
        """Whole minutes to allow between leaving `a` and arriving at `b`."""
        if a is None or b is None:
            return self.unknown_minutes
        metres = distance_m(a, b) * self.detour
        moving = metres / (self.speed_kmh * 1000.0 / 60.0) if self.speed_kmh > 0 else 0.0
        total = moving + self.buffer_minutes
        return int(math.ceil(total / self.step_minutes - 1e-9) * self.step_minutes)


def travel_minutes(a: Point | None, b: Point | None, model: TravelModel | None = None) -> int:
    return (model or TravelModel()).minutes(a, b)


__all__ = ["Point", "TravelModel", "travel_minutes"]
