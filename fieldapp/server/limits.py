"""Request body limits, enforced while the body streams in (a pure ASGI middleware), so a
huge or endless upload is refused with 413 `too_large` before it fills memory."""

from __future__ import annotations

from typing import Any, Callable

from starlette.exceptions import HTTPException

from fieldapp.server.errors import error_response

Scope = dict[str, Any]


class TooLarge(HTTPException):
    """Raised from `receive`: the app's exception handlers turn it into 413 too_large."""

    def __init__(self, limit: int):
        super().__init__(413, f"the body exceeds {limit} bytes")


class BodyLimit:
    def __init__(self, app: Callable[..., Any], *, default: int, per_prefix: dict[str, int]):
        self.app = app
        self.default = default
        self.per_prefix = per_prefix

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.per_prefix.items():
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                response = error_response("invalid", "Content-Length is not a number", 400)
                await response(scope, receive, send)
                return
            if too_big:
                response = error_response("too_large", f"the body exceeds {limit} bytes")
                await response(scope, receive, send)
                return
        seen = 0

        async def counting_receive() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge(limit)
            return message

        await self.app(scope, counting_receive, send)
