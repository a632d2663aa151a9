"""A tiny Nominatim look-alike on loopback: answers /search for known addresses, counts
the requests it gets."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class NominatimStub:
    def __init__(self, places: dict[str, tuple[float, float]], fail: bool = False):
        self.places = places
        self.fail = fail
        self.queries: list[dict[str, list[str]]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                stub.queries.append(query)
                if stub.fail:
                    self.send_response(503)
                    self.end_headers()
                    return
                q = query.get("q", [""])[0]
                hit = stub.places.get(q)
                body = json.dumps([{"lat": str(hit[0]), "lon": str(hit[1]), "display_name": q,
                                    "place_id": 1}] if hit and url.path == "/search" else [])
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "NominatimStub":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
