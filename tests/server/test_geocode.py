"""The geocoder adapter (fieldapp.geo.geocode) against a Nominatim stub on loopback."""

from __future__ import annotations

import json

import pytest

from fieldapp.core.errors import BadInput
from fieldapp.geo.geocode import (
    CachedAnswer,
    Geocoder,
    GeocodingUnavailable,
    GeoPoint,
    JsonFileCache,
    MemoryCache,
    cache_key,
)

from .nominatim_stub import NominatimStub

PLACES = {"南京市玄武区中山路1号": (32.0603, 118.7969), "1 Main St, Boston": (42.36, -71.06)}


def _geocoder(stub, cache=None):
    return Geocoder(domain=stub.domain, scheme="http", user_agent="fieldapp-tests", min_delay_seconds=0,
                    cache=cache, max_retries=0)


def test_locates_and_never_asks_twice():
    with NominatimStub(PLACES) as stub:
        geo = _geocoder(stub)
        assert geo.locate("南京市玄武区中山路1号", "CN") == GeoPoint(32.0603, 118.7969)
        assert geo.locate("  南京市玄武区中山路1号 ", "CN") == GeoPoint(32.0603, 118.7969)
        assert geo.locate("nowhere at all", "CN") is None
        assert geo.locate("NOWHERE  at all", "CN") is None  # "not found" is cached too
        assert geo.lookups == 2 and len(stub.queries) == 2
        assert stub.queries[0]["countrycodes"] == ["cn"]


def test_json_file_cache_survives_a_restart(tmp_path):
    path = tmp_path / "geo.json"
    with NominatimStub(PLACES) as stub:
        _geocoder(stub, JsonFileCache(path)).locate("1 Main St, Boston", "US-MA")
        again = _geocoder(stub, JsonFileCache(path))
        assert again.locate("1 main st, boston", "US") == GeoPoint(42.36, -71.06)
        assert again.lookups == 0 and len(stub.queries) == 1
    raw = json.loads(path.read_text())
    assert list(raw) == [cache_key("1 Main St, Boston", "US")] and "Boston" not in path.read_text()


def test_bad_cache_file_names_the_file(tmp_path):
    path = tmp_path / "geo.json"
    path.write_text("[1, 2]")
    with pytest.raises(BadInput, match="geo.json"):
        JsonFileCache(path)


def test_service_failure_is_reported_and_not_cached():
    cache = MemoryCache()
    with NominatimStub(PLACES, fail=True) as stub:
        with pytest.raises(GeocodingUnavailable):
            _geocoder(stub, cache).locate("1 Main St, Boston", "US")
    assert cache.entries == {}


def test_empty_address_is_bad_input():
    geo = Geocoder(min_delay_seconds=0, cache=MemoryCache())
    with pytest.raises(BadInput):
        geo.locate("   ")


def test_cache_protocol_is_simple():
    cache = MemoryCache()
    cache.put("k", CachedAnswer(None))
    assert cache.get("k") == CachedAnswer(None) and cache.get("other") is None
