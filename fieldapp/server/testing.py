"""`LiveServer`: the real server on 127.0.0.1 in a background thread, for tests, the demo
and embedding.

    with LiveServer(database_url) as server:      # upgrades the database first
        httpx.get(server.url + "/api/v1/meta")
        with server.session() as s: ...            # direct database access

Port 0 (the default) picks a free port; `.url` tells the real one. Leaving the block
stops uvicorn and waits for its thread.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fieldapp.server.app import create_app
from fieldapp.server.db import make_engine, session_factory, upgrade
from fieldapp.server.notify.loopback import reserve_socket
from fieldapp.server.settings import ServerSettings


class LiveServer:
    def __init__(self, database_url: str | None = None, *, settings: ServerSettings | None = None,
                 host: str = "127.0.0.1", port: int = 0, upgrade_db: bool = True,
                 seed_demo: bool = False, signing_ca: bool = False, startup_timeout: float = 20.0,
                 sock: socket.socket | None = None, **overrides: Any):
        """`sock`: a socket already bound (its port reserved by the caller, who needed the
        server's URL before starting it): used as it is, so no other process can take the
        port in between."""
        if settings is None:
            extra = dict(overrides)
            if database_url:
                extra["database_url"] = database_url
            settings = ServerSettings.load(**extra)
        elif database_url:
            settings = settings.model_copy(update={"database_url": database_url})
        self.settings = settings
        self.host = host
        self.port = port
        self.upgrade_db = upgrade_db
        self.seed_demo = seed_demo
        self.signing_ca = signing_ca
        if signing_ca and settings.ca_passphrase is None and settings.ca_passphrase_file is None:
            # an embedded server (demo, tour) gets a CA whose passphrase lives only in memory
            import secrets

            from pydantic import SecretStr

            self.settings = settings.model_copy(update={"ca_passphrase": SecretStr(secrets.token_urlsafe(24))})
        self.startup_timeout = startup_timeout
        self.engine: Engine | None = None
        self.app: Any = None  # the FastAPI app, once started
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._reserved = sock
        if sock is not None:
            self.host, self.port = sock.getsockname()[:2]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def database_url(self) -> str:
        return self.settings.database_url

    def start(self) -> "LiveServer":
        if self.upgrade_db:
            upgrade(self.settings.database_url)
        self.engine = make_engine(self.settings.database_url, pool_size=self.settings.db_pool_size,
                                  max_overflow=self.settings.db_max_overflow)
        if self.seed_demo:
            from fieldapp.server.demo import seed_demo

            with self.session() as s, s.begin():
                seed_demo(s)
        if self.signing_ca:
            from fieldapp.server.services import signing

            with self.session() as s, s.begin():
                if not signing.exists(s):
                    signing.init_authority(s, signing.passphrase(self.settings), self.settings.institution)
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and
        # without it keep-alive requests stall ~40 ms on Nagle + delayed ACK.
        sock = self._reserved or reserve_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        self._socket = sock
        app = self.app = create_app(self.settings, engine=self.engine)
        # log_config=None: uvicorn installs no terminal handlers of its own; its records
        # go where the process routes library logs (fieldapp/logsetup.py: the log file).
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                                timeout_graceful_shutdown=5, log_config=None)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name=f"fieldapp-server-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        self._server = None

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session on the server's database; commit it yourself (or use `s.begin()`)."""
        if self.engine is None:
            raise RuntimeError("the server is not running")
        with session_factory(self.engine)() as s:
            yield s
