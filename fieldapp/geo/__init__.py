"""Geography with geopy, Qt-free:

- `distance`: geodesic distance and the geofence test used by the policy engine;
- `route`: ordering the day's visits into a route (appointment windows, then distance);
- `geocode`: an adapter around a geopy geocoder with a cache (used by the server's import).

Import the modules directly (`from fieldapp.geo.distance import ...`): importing this package
loads nothing, so the policy engine does not pay for the geocoder and its HTTP client.
"""
