"""Web-map tiles (the "slippy map" scheme every OSM-style tile server uses): which tiles
cover the cases' area at which zoom levels, and their URLs from the institution's template
(`https://tiles.example.org/{z}/{x}/{y}.png`)."""

from __future__ import annotations

import math
from collections.abc import Iterable

Point = tuple[float, float]
ZOOMS = (11, 12, 13, 14, 15)
MAX_TILES = 800  # per sync: the area of a day's work, not a country


def tile_of(lat: float, lon: float, z: int) -> tuple[int, int]:
    lat = max(min(lat, 85.0511), -85.0511)
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tiles_for(points: Iterable[Point], zooms: Iterable[int] = ZOOMS, *, margin: int = 1,
              limit: int = MAX_TILES) -> list[tuple[int, int, int]]:
    """The tiles (z, x, y) covering the points' bounding box plus `margin` tiles around, from
    the coarsest zoom up; zoom levels that would pass `limit` are left out."""
    pts = [(lat, lon) for lat, lon in points]
    if not pts:
        return []
    south, north = min(p[0] for p in pts), max(p[0] for p in pts)
    west, east = min(p[1] for p in pts), max(p[1] for p in pts)
    out: list[tuple[int, int, int]] = []
    for z in sorted(zooms):
        x0, y0 = tile_of(north, west, z)
        x1, y1 = tile_of(south, east, z)
        n = 2 ** z
        xs = range(max(x0 - margin, 0), min(x1 + margin, n - 1) + 1)
        ys = range(max(y0 - margin, 0), min(y1 + margin, n - 1) + 1)
        if len(out) + len(xs) * len(ys) > limit:
            break
        out += [(z, x, y) for x in xs for y in ys]
    return out


def tile_url(template: str, z: int, x: int, y: int) -> str:
    return template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))


def qt_osm_host(template: str) -> str | None:
    """The `osm.mapping.custom.host` Qt's OSM plugin takes (it appends "z/x/y.png"), or None
    when the template has another shape."""
    suffix = "{z}/{x}/{y}.png"
    return template[: -len(suffix)] if template.endswith(suffix) else None


__all__ = ["MAX_TILES", "ZOOMS", "qt_osm_host", "tile_of", "tile_url", "tiles_for"]
