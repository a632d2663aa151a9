"""The day on a map: QtLocation's Map (OSM plugin) in a QQuickWidget, drawn from the tiles
the laptop cached at sync from the institution's tile server, with the route list beside."""
