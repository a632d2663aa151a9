"""One pure ASGI middleware around the whole API: a request id for every request (the
proxy's `X-Request-Id` when sane, else a new one), returned in the `X-Request-Id` header;
one access line per request; the request metrics.

The route is the template the router matched (`/api/v1/cases/{case_id}`), never the raw
path, so ids stay out of metric labels and log lines; a path no route knows is
`<unmatched>`.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

from starlette.datastructures import MutableHeaders

from fieldapp.server.observability import context, metrics

Scope = dict[str, Any]
log = logging.getLogger("fieldapp.access")

SCOPE_KEY = "fieldapp.request"
UNMATCHED = "<unmatched>"
LOGIN_ROUTE = "/api/v1/auth/login"
PROBES = frozenset({"/healthz", "/readyz"})


def route_template(scope: Scope) -> str:
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            return value.decode("latin-1")
    return None


class RequestObserver:
    def __init__(self, app: Callable[..., Any]):
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ctx = context.RequestContext(context.request_id_from(_incoming_id(scope)))
        scope[SCOPE_KEY] = ctx
        token = context.activate(ctx)
        started = time.monotonic()
        status = 500
        finished = False
        answering = False  # the response's start has been sent

        def finish() -> None:
            """Count and log the request once: before its last bytes leave (so whoever
            received the answer can already see it counted), or when it failed."""
            nonlocal finished
            if finished:
                return
            finished = True
            metrics.IN_PROGRESS.dec()
            seconds = time.monotonic() - started
            route = ctx.route = route_template(scope)
            method = scope.get("method", "?")
            metrics.request_done(method, route, status, seconds)
            if route == LOGIN_ROUTE and status == 429:
                metrics.LOGIN_THROTTLED.inc()
            level = logging.DEBUG if route in PROBES and status < 400 else \
                logging.WARNING if status >= 500 else logging.INFO
            log.log(level, "%s %s %d", method, route, status,
                    extra={"method": method, "route": route, "status": status,
                           "duration_ms": round(seconds * 1000, 1)})

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status, answering
            if message["type"] == "http.response.start":
                answering = True
                status = int(message["status"])
                MutableHeaders(scope=message)[context.REQUEST_ID_HEADER] = ctx.request_id
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                finish()
            await send(message)

        metrics.IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if answering:  # an answer was already on its way: nothing can follow it
                raise
            # Answered here rather than by Starlette's outermost handler, which re-raises after
            # answering: the server would then drop the connection under the client's next request.
            from fieldapp.server.errors import unexpected_response

            await unexpected_response(exc)(scope, receive, send_with_id)
        except BaseException:
            if not finished:
                status = 500  # the error handler outside answers 500 (with this request's id)
            raise
        finally:
            finish()
            context.end(token)
