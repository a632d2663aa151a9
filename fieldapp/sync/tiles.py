"""The map's tiles on the laptop: at sync, the tiles of the cases' area are fetched from
the institution's tile server (its URL comes with the institution's settings) and kept in
the store, so the map works offline in the field. A tile that cannot be had is skipped; a
map problem never fails a sync. Mixed into `AgentService`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from fieldapp.core.timeutil import utcnow
from fieldapp.geo.tiles import tile_url, tiles_for
from fieldapp.store import cases as case_repo
from fieldapp.store import field as field_repo

log = logging.getLogger(__name__)
MAX_TILE_BYTES = 512 * 1024
QT_NAME = "osm_100-l-8-{z}-{x}-{y}.png"  # how Qt's OSM plugin names tiles of its custom map (id 8) offline


@dataclass
class TileSummary:
    wanted: int = 0
    fetched: int = 0
    failed: int = 0


def source_key(template: str) -> str:
    return hashlib.sha256(template.encode()).hexdigest()


class MapTiles:
    """Needs `store` and `institution` (AgentService)."""

    _tiles_complete: tuple[tuple[object, str, int], int] | None = None  # (store, tile server, cursor), tiles wanted

    def route_order(self, day: dt.date) -> list[str] | None:
        """The agent's own order of `day`'s stops (case ids), or None when never changed."""
        return self.store.routes.get(day)  # type: ignore[attr-defined]

    def save_route_order(self, day: dt.date, case_ids: list[str]) -> None:
        """Keep the agent's order of `day`'s stops on this laptop (across restarts)."""
        self.store.routes.put(day, [str(i) for i in case_ids])  # type: ignore[attr-defined]

    def tile_template(self) -> str | None:
        info = self.institution()  # type: ignore[attr-defined]
        return info.tile_url if info is not None else None

    def case_points(self) -> list[tuple[float, float]]:
        """The customers' places of the cases not withdrawn (each case opened once)."""
        with self.store.read() as s:  # type: ignore[attr-defined]
            return case_repo.locations(s, self.store.cipher)  # type: ignore[attr-defined]

    def cache_map_tiles(self, timeout_s: float = 5.0) -> TileSummary:
        """Fetch the tiles of the cases' area this laptop does not hold yet. After a pass
        that left none missing, the next ones are skipped until a pull moves the cursor
        (only pulled cases bring places): the app runs this after every sync, and reading
        every case of a 20,000-case store each time would make a sync with nothing to do
        grow with the store."""
        import httpx

        template = self.tile_template()
        summary = TileSummary()
        if not template:
            return summary
        mark = (self.store, template, self.store.meta().cursor)  # type: ignore[attr-defined]
        if self._tiles_complete is not None and self._tiles_complete[0] == mark:
            summary.wanted = self._tiles_complete[1]
            return summary
        key = source_key(template)
        wanted = tiles_for(self.case_points())
        summary.wanted = len(wanted)
        with self.store.read() as s:  # type: ignore[attr-defined]
            have = field_repo.tile_keys(s, key)
        missing = [t for t in wanted if t not in have]
        if not missing:
            self._tiles_complete = (mark, summary.wanted)
            return summary
        with httpx.Client(timeout=timeout_s, follow_redirects=False) as client:
            for z, x, y in missing:
                try:
                    response = client.get(tile_url(template, z, x, y))
                except httpx.HTTPError:
                    summary.failed += 1
                    if summary.failed >= 3 and summary.fetched == 0:
                        break  # the tile server is not there: try again at the next sync
                    continue
                body = response.content
                if response.status_code != 200 or len(body) > MAX_TILE_BYTES or not body.startswith(b"\x89PNG"):
                    summary.failed += 1
                    continue
                with self.store.write() as s:  # type: ignore[attr-defined]
                    field_repo.put_tile(s, z, x, y, key, body, utcnow())
                summary.fetched += 1
        log.info("map tiles: %d wanted, %d fetched, %d failed", summary.wanted, summary.fetched, summary.failed)
        if summary.failed == 0:
            self._tiles_complete = (mark, summary.wanted)
        return summary

    def export_map_tiles(self, directory: Path | str) -> int:
        """Write the cached tiles of the current tile server into `directory`, named as Qt's
        OSM plugin reads tiles offline. Returns how many."""
        template = self.tile_template()
        if not template:
            return 0
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = source_key(template)
        count = 0
        with self.store.read() as s:  # type: ignore[attr-defined]
            for z, x, y in sorted(field_repo.tile_keys(s, key)):
                png = field_repo.tile(s, z, x, y, key)
                if png is not None:
                    (folder / QT_NAME.format(z=z, x=x, y=y)).write_bytes(png)
                    count += 1
        return count
