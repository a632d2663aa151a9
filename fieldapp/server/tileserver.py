"""A loopback tile server that serves generated map tiles (PNG), for tests and the demo: a
light background with a grid, the tile's z/x/y written on it, so a map drawn from it is
plainly a stand-in. An institution runs or buys a real tile service and sets its URL
(`fieldapp server institution --tile-url`, or PUT /api/v1/admin/institution)."""

from __future__ import annotations

import io
import threading
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PALETTE = ((236, 240, 228), (228, 236, 242), (242, 236, 226), (232, 242, 232), (240, 232, 240))


@lru_cache(maxsize=512)
def generated_tile(z: int, x: int, y: int) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (256, 256), PALETTE[(x + y) % len(PALETTE)])
    draw = ImageDraw.Draw(img)
    for i in range(0, 256, 32):
        draw.line([(i, 0), (i, 255)], fill=(210, 214, 206))
        draw.line([(0, i), (255, i)], fill=(210, 214, 206))
    draw.line([(0, 128), (255, 128)], fill=(250, 250, 250), width=6)  # a "road"
    draw.line([(128, 0), (128, 255)], fill=(250, 250, 250), width=6)
    draw.rectangle([0, 0, 255, 255], outline=(180, 186, 176))
    draw.text((8, 8), f"{z}/{x}/{y}", fill=(120, 124, 118))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


class LoopbackTileServer:
    """`with LoopbackTileServer() as tiles: tiles.url` -> 'http://127.0.0.1:PORT/{z}/{x}/{y}.png'.
    `hits` lists the paths asked for."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = self.path.split("?", 1)[0].strip("/").split("/")
                try:
                    z, x, y = int(parts[0]), int(parts[1]), int(parts[2].removesuffix(".png"))
                    if len(parts) != 3 or not (0 <= z <= 20 and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
                        raise ValueError
                except (ValueError, IndexError):
                    self.send_error(404)
                    return
                hits.append(self.path)
                body = generated_tile(z, x, y)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "max-age=86400")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/{{z}}/{{x}}/{{y}}.png"

    def start(self) -> "LoopbackTileServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="tiles", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "LoopbackTileServer":
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def use_tiles(live: object, url: str) -> None:
    """Point the institution of a running LiveServer (the demo, the tour) at `url`."""
    from fieldapp.protocol.v1 import InstitutionInfo
    from fieldapp.server.services import institution

    with live.session() as s, s.begin():  # type: ignore[attr-defined]
        current = institution.current(s)
        names = dict(current.names) if current is not None else {"en": "Nanjing Demo Bank"}
        institution.update(s, InstitutionInfo(names=names, tile_url=url), merge=True)  # type: ignore[arg-type]
