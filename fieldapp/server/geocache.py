"""The geocoder cache in the server's database (table geocode_cache; keys are hashes, so no
address text is stored). Writes go through the caller's session and transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.geo.geocode import CachedAnswer, GeoPoint
from fieldapp.server.models import GeocodeCacheRow


class DbGeocodeCache:
    def __init__(self, session: Session):
        self.session = session

    def get(self, key: str) -> CachedAnswer | None:
        row = self.session.get(GeocodeCacheRow, key)
        if row is None:
            return None
        point = GeoPoint(row.lat, row.lon) if row.lat is not None and row.lon is not None else None
        return CachedAnswer(point)

    def put(self, key: str, answer: CachedAnswer) -> None:
        row = self.session.get(GeocodeCacheRow, key) or GeocodeCacheRow(key=key)
        row.lat = answer.point.lat if answer.point else None
        row.lon = answer.point.lon if answer.point else None
        row.created_at = utcnow()
        self.session.add(row)
        self.session.flush()
