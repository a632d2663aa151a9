"""Operating the server: request ids, JSON logs, Prometheus metrics, health and readiness.

`install(app, settings, engine)` is the one call `create_app` makes, last (so the request
middleware is the outermost of ours and sees every answer, 413s included):

- /healthz and /readyz (routers/health.py, services/health.py);
- the request middleware (middleware.py): `X-Request-Id`, one access line per request,
  request metrics;
- the database pool gauges (metrics.py);
- the request id on the 500 answer of an unexpected error, and on its log line.

Logging is configured by `server run` (logs.py); the metrics listener and the metrics
folder of several workers too (metrics.py, multiproc.py; README "Operations").
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import Engine

# Submodules are imported where used: prometheus-client must not be imported before
# `server run` has chosen the metrics folder (multiproc.py).


def install(app: "FastAPI", settings: Any, engine: "Engine") -> None:
    from fieldapp.server.observability import metrics
    from fieldapp.server.observability.middleware import RequestObserver
    from fieldapp.server.routers import health
    from fieldapp.server.services.health import Readiness

    app.include_router(health.router)
    app.state.readiness = Readiness(engine.url, timeout_s=settings.readiness_timeout_seconds)
    metrics.watch_pool(engine)
    _tag_unexpected_errors(app)
    app.add_middleware(RequestObserver)  # type: ignore[arg-type]


def _tag_unexpected_errors(app: "FastAPI") -> None:
    """The handler of unexpected errors runs outside every middleware (Starlette calls it
    from its outermost layer), after the request's context has closed: reopen it there, so
    the error's log line and its 500 answer carry the request id too."""
    from fieldapp.server.observability import context
    from fieldapp.server.observability.middleware import SCOPE_KEY

    original = app.exception_handlers.get(Exception)
    if original is None:
        return

    async def handler(request, exc: Exception):  # type: ignore[no-untyped-def]
        ctx = request.scope.get(SCOPE_KEY)
        token = context.activate(ctx) if ctx is not None else None
        try:
            response = original(request, exc)
            if inspect.isawaitable(response):
                response = await response
        finally:
            if token is not None:
                context.end(token)
        if ctx is not None:
            response.headers[context.REQUEST_ID_HEADER] = ctx.request_id
        return response

    app.exception_handlers[Exception] = handler
