"""Geography: geodesic distance and geofence (distance), geocoding with a cache (geocode)."""

from fieldapp.geo.geocode import (  # noqa: F401
    CachedAnswer,
    GeocodeCache,
    Geocoder,
    GeocodingUnavailable,
    GeoPoint,
    JsonFileCache,
    MemoryCache,
    cache_key,
)
