"""API errors: every failure is an `ErrorBody` {error, detail, server_time} with a stable
code from `protocol.v1.ERROR_CODES`; malformed requests are 4xx naming the field, never 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from fieldapp.core.errors import BadInput, Conflict, NotFound
from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import ERROR_CODES, ErrorBody

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Raise from anywhere in a request: becomes ErrorBody with the code's HTTP status."""

    def __init__(self, code: str, detail: str, *, status: int | None = None,
                 headers: dict[str, str] | None = None, retry_after: int | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status or ERROR_CODES.get(code, 400)
        self.headers = headers
        self.retry_after = retry_after


def error_response(code: str, detail: str, status: int | None = None,
                   headers: dict[str, str] | None = None, retry_after: int | None = None) -> JSONResponse:
    body = ErrorBody(error=code, detail=detail, server_time=utcnow(), retry_after=retry_after)
    return JSONResponse(body.model_dump(mode="json"), status_code=status or ERROR_CODES.get(code, 400),
                        headers=headers)


def describe_validation(errors: list[dict[str, Any]]) -> str:
    """'body.items.0.payload: Field required; query.limit: ...' (at most three, briefly)."""
    parts = []
    for err in errors[:3]:
        loc = ".".join(str(x) for x in err.get("loc", ()))
        msg = str(err.get("msg", "invalid"))
        parts.append(f"{loc}: {msg}" if loc else msg)
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(parts)[:1000] + more


_STATUS_CODES = {401: "token_invalid", 403: "forbidden", 404: "not_found", 409: "conflict",
                 413: "too_large", 422: "invalid", 426: "incompatible_version", 429: "rate_limited"}


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.code, exc.detail, exc.status, exc.headers, exc.retry_after)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response("invalid", describe_validation(list(exc.errors())), 422)

    @app.exception_handler(BadInput)
    async def _bad_input(_request: Request, exc: BadInput) -> JSONResponse:
        return error_response("invalid", str(exc), 422)

    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return error_response("not_found", str(exc), 404)

    @app.exception_handler(Conflict)
    async def _conflict(_request: Request, exc: Conflict) -> JSONResponse:
        return error_response("conflict", str(exc), 409)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "invalid" if exc.status_code < 500 else "server_error")
        detail = exc.detail if isinstance(exc.detail, str) else code
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such endpoint"
        return error_response(code, detail, exc.status_code, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        return unexpected_response(exc)


LOST_DATABASE_RETRY_S = 2


def unexpected_response(exc: BaseException) -> JSONResponse:
    """The 500 for an error nobody expected, logged with its traceback (never the request).
    A database connection that broke under the request (the database restarted, the link
    dropped) is a 503 `busy` instead: nothing was applied, the pool has dropped its
    connections, and the client tries again shortly."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        log.warning("the database connection broke under a request (%s); answered 503, nothing applied",
                    type(exc.orig).__name__)
        retry = LOST_DATABASE_RETRY_S
        return error_response("busy", f"the server lost its database connection; nothing was applied: try "
                                      f"again in {retry} s", 503, headers={"Retry-After": str(retry)},
                              retry_after=retry)
    log.error("unexpected server error (%s)", type(exc).__name__, exc_info=exc)
    return error_response("server_error", "the server failed; the request was not applied", 500)
