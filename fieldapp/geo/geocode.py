"""Addresses -> coordinates through a geopy geocoder, with a cache and a rate limit.

`Geocoder` wraps geopy's Nominatim by default (domain and scheme configurable, so an
institution can use its own Nominatim and tests a stub on loopback) or any geopy geocoder
passed in. Every answer, including "not found", goes into a `GeocodeCache`, so the same
address is never looked up twice; the cache key is a SHA-256 of the normalised address
and region, so a cache holds no address text. Calls are spaced by `min_delay_seconds`
(Nominatim's usage policy asks for at most one request a second).

Cache implementations here: `MemoryCache` and `JsonFileCache`; the server passes one
backed by a database table.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from fieldapp.core.errors import BadInput, FieldappError


@dataclass(frozen=True)
class GeoPoint:
    lat: float
    lon: float


@dataclass(frozen=True)
class CachedAnswer:
    """What the geocoder said: a point, or None for "no such place"."""

    point: GeoPoint | None


class GeocodeCache(Protocol):
    def get(self, key: str) -> CachedAnswer | None: ...  # None: never asked
    def put(self, key: str, answer: CachedAnswer) -> None: ...


class GeocodingUnavailable(FieldappError):
    """The geocoding service could not be reached or refused; nothing was cached."""


def normalise_address(address: str) -> str:
    text = unicodedata.normalize("NFKC", address).casefold()
    return re.sub(r"\s+", " ", text).strip()


def cache_key(address: str, region: str | None = None) -> str:
    country = (region or "").split("-")[0].strip().upper()
    return hashlib.sha256(f"{country}|{normalise_address(address)}".encode("utf-8")).hexdigest()


class MemoryCache:
    def __init__(self) -> None:
        self.entries: dict[str, CachedAnswer] = {}

    def get(self, key: str) -> CachedAnswer | None:
        return self.entries.get(key)

    def put(self, key: str, answer: CachedAnswer) -> None:
        self.entries[key] = answer


class JsonFileCache:
    """A JSON file {key: [lat, lon] | null}; rewritten atomically on every new answer."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.entries: dict[str, CachedAnswer] = {}
        if self.path.exists():
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
                if not isinstance(raw, dict):
                    raise ValueError("expected an object")
                for key, value in raw.items():
                    point = GeoPoint(float(value[0]), float(value[1])) if value else None
                    self.entries[str(key)] = CachedAnswer(point)
            except (ValueError, TypeError, IndexError) as exc:
                raise BadInput(f"geocode cache is not valid JSON of the expected shape ({exc})",
                               where=str(self.path)) from None

    def get(self, key: str) -> CachedAnswer | None:
        return self.entries.get(key)

    def put(self, key: str, answer: CachedAnswer) -> None:
        self.entries[key] = answer
        data = {k: ([a.point.lat, a.point.lon] if a.point else None) for k, a in self.entries.items()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".geocode-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, sort_keys=True)
        os.replace(tmp, self.path)


class Geocoder:
    """Look addresses up once each; `lookups` counts the calls that reached the service."""

    def __init__(self, *, domain: str = "nominatim.openstreetmap.org", scheme: str = "https",
                 user_agent: str = "fieldapp", min_delay_seconds: float = 1.0, timeout: float = 10.0,
                 cache: GeocodeCache | None = None, geocoder: Any = None, max_retries: int = 2,
                 error_wait_seconds: float = 2.0):
        from geopy.extra.rate_limiter import RateLimiter

        if geocoder is None:
            from geopy.geocoders import Nominatim

            geocoder = Nominatim(domain=domain, scheme=scheme, user_agent=user_agent, timeout=timeout)
        self.service = geocoder
        self.cache: GeocodeCache = cache if cache is not None else MemoryCache()
        self._geocode = RateLimiter(geocoder.geocode, min_delay_seconds=min_delay_seconds,
                                    max_retries=max_retries, error_wait_seconds=error_wait_seconds,
                                    swallow_exceptions=False)
        self.lookups = 0

    def with_cache(self, cache: GeocodeCache) -> "Geocoder":
        self.cache = cache
        return self

    def locate(self, address: str, region: str | None = None) -> GeoPoint | None:
        """The address's coordinates, or None when the service knows no such place."""
        from geopy.exc import GeopyError

        if not address or not address.strip():
            raise BadInput("an empty address cannot be located", field="address")
        key = cache_key(address, region)
        cached = self.cache.get(key)
        if cached is not None:
            return cached.point
        kwargs: dict[str, Any] = {"exactly_one": True}
        country = (region or "").split("-")[0].strip().lower()
        if country and _accepts_country_codes(self.service):
            kwargs["country_codes"] = country
        self.lookups += 1
        try:
            found = self._geocode(address.strip(), **kwargs)
        except GeopyError as exc:
            raise GeocodingUnavailable(f"geocoding failed ({type(exc).__name__}: {exc})") from None
        point = GeoPoint(float(found.latitude), float(found.longitude)) if found else None
        self.cache.put(key, CachedAnswer(point))
        return point


def _accepts_country_codes(service: Any) -> bool:
    import inspect

    try:
        return "country_codes" in inspect.signature(service.geocode).parameters
    except (TypeError, ValueError):
        return False
