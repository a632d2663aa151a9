"""The FastAPI application factory.

`create_app(settings)` builds an app bound to one database; it keeps no other state in
process memory (tokens, cursors, throttling all live in the database), so any number of
workers and machines can serve the same PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy import Engine

from fieldapp import __version__
from fieldapp.server import errors, observability
from fieldapp.server.concurrency import ConcurrencyLimit
from fieldapp.server.db import make_engine, session_factory
from fieldapp.server.deps import check_api_version
from fieldapp.server.limits import BodyLimit
from fieldapp.server.routers import (admin, appointments, attachments, auth, cases, documents, institution, lead,
                                      lead_customers, meta, pki, practice, sync, verify)
from fieldapp.server.settings import ServerSettings


def create_app(settings: ServerSettings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """An app serving `settings.database_url` (or the given engine, which the caller owns)."""
    settings = settings or ServerSettings.load()
    own_engine = engine is None
    engine = engine or make_engine(settings.database_url, pool_size=settings.db_pool_size,
                                   max_overflow=settings.db_max_overflow)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        from fieldapp.server.notify import worker

        notices = worker.NoticeWorker(settings, engine).start() if worker.should_run(settings) else None
        yield
        if notices is not None:
            notices.stop()
        if own_engine:
            engine.dispose()

    app = FastAPI(title="fieldapp sync server", version=__version__, lifespan=lifespan,
                  description="Sync API v1 for the fieldapp desktop app (see fieldapp.protocol.v1).")
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    errors.install(app)
    app.include_router(meta.router)
    app.include_router(verify.router)  # a public page: no API version header
    versioned = [Depends(check_api_version)]
    for module in (auth, sync, attachments, cases, admin, lead, institution, practice, pki, appointments,
                   lead_customers, documents):
        app.include_router(module.router, dependencies=versioned)
    from fieldapp.server.customer import install as install_customer_page

    install_customer_page(app)
    app.add_middleware(BodyLimit, default=settings.max_json_bytes,  # type: ignore[arg-type]
                       per_prefix={"/api/v1/attachments/": settings.max_attachment_bytes},
                       raw_prefixes=("/api/v1/attachments/",))
    app.add_middleware(ConcurrencyLimit, limit=settings.db_pool_size + settings.db_max_overflow,  # type: ignore[arg-type]
                       wait_seconds=settings.request_queue_seconds)
    observability.install(app, settings, engine)  # last: its middleware is the outermost
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` / several workers: settings from the environment."""
    return create_app(ServerSettings.load())
