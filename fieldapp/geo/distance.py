"""Geodesic distance on the WGS-84 ellipsoid and the check-in geofence.

`geopy.distance.geodesic` (Karney's algorithm) is the reference, but it costs about 75 µs
a call, more than a whole policy evaluation may take. Near the address, where a geofence
is decided, the distance is computed instead from the ellipsoid's radii of curvature at
the mean latitude; up to 5 km this agrees with geopy's geodesic within 2 cm (see
tests/policy/test_distance.py). Farther away, and whenever that estimate lies within 5 cm
of a limit being decided, geopy's geodesic is used, so a pass or fail never rests on the
approximation.
"""

from __future__ import annotations

import math

from fieldapp.core.errors import BadInput
from fieldapp.core.records import record

# WGS-84, as geopy.distance.ELLIPSOIDS["WGS-84"] (a test keeps them equal). geopy itself is
# imported on the first far or borderline distance: importing it loads its geocoders and
# their HTTP clients, most of a `fieldapp check`'s start-up.
_A_KM, _B_KM, _F = 6378.137, 6356.7523142, 1 / 298.257223563
_A = _A_KM * 1000.0
_E2 = _F * (2.0 - _F)
NEAR_RANGE_M = 5000.0
"""Up to this distance the local formula is used (error below 2 cm)."""
EXACT_MARGIN_M = 0.05
"""A local estimate this close to a limit is recomputed with geopy's geodesic."""
NEAR_MAX_LATITUDE = 85.0
"""Closer to the poles, geopy's geodesic is always used."""

DEFAULT_MAX_DISTANCE_M = 300.0


def check_point(lat: object, lon: object, *, field: str = "location", where: str | None = None) -> tuple[float, float]:
    """Validate a latitude/longitude pair given as numbers; returns floats."""
    for name, value, bound in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadInput(f"expected a number, got {type(value).__name__}", where=where, field=f"{field}.{name}")
        if not math.isfinite(value) or not -bound <= value <= bound:
            raise BadInput(f"{value!r} is out of range (-{bound:g} to {bound:g})", where=where,
                           field=f"{field}.{name}")
    return float(lat), float(lon)  # type: ignore[arg-type]


def _near(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi = math.radians((lat1 + lat2) * 0.5)
    s = math.sin(phi)
    w = 1.0 - _E2 * s * s
    n = _A / math.sqrt(w)                  # prime-vertical radius of curvature
    m = _A * (1.0 - _E2) / (w * math.sqrt(w))  # meridional radius of curvature
    dlon = (lon2 - lon1 + 540.0) % 360.0 - 180.0
    return math.hypot(n * math.cos(phi) * math.radians(dlon), m * math.radians(lat2 - lat1))


def exact_distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """geopy's geodesic distance in metres (the reference, slower)."""
    from geopy.distance import geodesic

    return geodesic(a, b).meters


def distance_m(a: tuple[float, float], b: tuple[float, float], *, limit: float | None = None) -> float:
    """Geodesic distance in metres between two (lat, lon) points.

    With `limit`, an estimate close enough to it to matter is replaced by the exact value.
    """
    if max(abs(a[0]), abs(b[0])) <= NEAR_MAX_LATITUDE:
        d = _near(a[0], a[1], b[0], b[1])
        if d <= NEAR_RANGE_M and (limit is None or abs(d - limit) > EXACT_MARGIN_M):
            return d
    return exact_distance_m(a, b)


@record
class GeofenceCheck:
    """The outcome of comparing an agent's position with the address.

    `inside`: the best estimate lies within the limit. `conclusive`: the position is precise
    enough to say so (its accuracy radius is not larger than the limit itself).
    """

    distance_m: float
    max_distance_m: float
    accuracy_m: float | None
    inside: bool
    conclusive: bool


def check_geofence(agent: tuple[float, float], target: tuple[float, float], *,
                   max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
                   accuracy_m: float | None = None) -> GeofenceCheck:
    """Is the agent within `max_distance_m` of the target (distance <= limit)?"""
    d = distance_m(agent, target, limit=max_distance_m)
    conclusive = accuracy_m is None or accuracy_m <= max_distance_m
    return GeofenceCheck(d, max_distance_m, accuracy_m, d <= max_distance_m, conclusive)


__all__ = ["DEFAULT_MAX_DISTANCE_M", "GeofenceCheck", "check_geofence", "check_point",
           "distance_m", "exact_distance_m"]
