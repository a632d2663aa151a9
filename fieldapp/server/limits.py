"""Request limits, enforced before the application parses anything (a pure ASGI
middleware): a huge or endless upload is refused with 413 `too_large` before it fills
memory; a JSON body nested deeper than `MAX_JSON_DEPTH` with 422 `invalid` naming where
(deep nesting otherwise exhausts the parser's or the validator's stack); a NUL character
in the path, the query or a JSON string with 422 naming where (PostgreSQL cannot store one,
and C code ends strings at it)."""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any, Callable

import anyio
from starlette.exceptions import HTTPException

from fieldapp.protocol.v1 import MAX_JSON_DEPTH
from fieldapp.server.errors import error_response

Scope = dict[str, Any]

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}:,]')


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> str | None:
    """None when `body` nests at most `limit` deep, else where it goes deeper, e.g.
    'body.items.0.payload.planning_decision.a.a (…): nested deeper than 32 levels'.
    Runs at C speed over the brackets; the path is worked out only for a body that fails."""
    brackets = _STRING.sub(b'""', body).translate(None, _NOT_BRACKET)
    if not brackets or max(accumulate(map(_STEP.__getitem__, brackets))) <= limit:
        return None
    return f"{_path_at_depth(body, limit + 1)}: nested deeper than {limit} levels"


_NUL_ESCAPE = re.compile(rb'(?<!\\)(?:\\\\)*\\u0000')


def json_nul(body: bytes) -> str | None:
    """None unless a string in the JSON `body` holds U+0000; then where (the body is known
    to nest at most MAX_JSON_DEPTH deep, so parsing it is safe)."""
    if not _NUL_ESCAPE.search(body):
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None  # not JSON: the application says so
    stack: list[tuple[Any, list[str]]] = [(value, ["body"])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                if "\x00" in key:
                    return ".".join(path) + ": a NUL character (U+0000) in a name is not allowed"
                stack.append((child, [*path, str(key)[:40]]))
        elif isinstance(node, list):
            stack.extend((child, [*path, str(i)]) for i, child in enumerate(node))
        elif isinstance(node, str) and "\x00" in node:
            return ".".join(path) + ": a NUL character (U+0000) is not allowed"
    return None


def _path_at_depth(body: bytes, depth: int) -> str:
    path: list[str] = []          # one entry per open container: its key or index so far
    kinds: list[bytes] = []       # b"{" or b"["
    last_string: bytes | None = None
    for match in _TOKEN.finditer(body):
        token = match.group()
        if token in (b"{", b"["):
            if len(kinds) + 1 >= depth:
                break
            kinds.append(token)
            path.append("0" if token == b"[" else "")
        elif token in (b"}", b"]"):
            if kinds:
                kinds.pop()
                path.pop()
        elif token == b":":
            if kinds and kinds[-1] == b"{" and last_string is not None:
                path[-1] = last_string[1:-1].decode("utf-8", "replace")[:40]
        elif token == b",":
            if kinds and kinds[-1] == b"[":
                path[-1] = str(int(path[-1]) + 1)
        else:
            last_string = token
    parts = ["body", *path]
    if len(parts) > 10:
        parts = parts[:7] + ["(…)"] + parts[-2:]
    return ".".join(parts)


def _body_problem(body: bytes) -> str | None:
    return json_too_deep(body) or json_nul(body)


class TooLarge(HTTPException):
    """Raised from `receive`: the app's exception handlers turn it into 413 too_large."""

    def __init__(self, limit: int):
        super().__init__(413, f"the body exceeds {limit} bytes")


class BodyLimit:
    def __init__(self, app: Callable[..., Any], *, default: int, per_prefix: dict[str, int],
                 raw_prefixes: tuple[str, ...] = ()):
        self.app = app
        self.default = default
        self.per_prefix = per_prefix
        self.raw_prefixes = raw_prefixes  # bodies that are bytes, never parsed as JSON

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.per_prefix.items():
            if path.startswith(prefix):
                return limit
        return self.default

    def _json_body(self, scope: Scope, headers: dict[bytes, bytes]) -> bool:
        """Whether the app may parse this body as JSON (FastAPI does so for a JSON content
        type, or none at all)."""
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return False
        if scope.get("path", "").startswith(self.raw_prefixes):
            return False
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        return not ctype or ctype == b"application/json" or ctype.endswith(b"+json")

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        where = "path" if "\x00" in scope.get("path", "") else (
            "query" if re.search(rb"%00|\x00", scope.get("query_string") or b"") else None)
        if where:
            await error_response("invalid", f"{where}: a NUL character (U+0000) is not allowed", 422)(
                scope, receive, send)
            return
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
        if self._json_body(scope, headers):
            await self._json(scope, receive, send, limit)
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

    async def _json(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any],
                    limit: int) -> None:
        """Read the whole (bounded) JSON body, check its nesting, then hand it on."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await error_response("too_large", f"the body exceeds {limit} bytes")(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        # Megabytes take a moment to scan: off the event loop, so other requests go on.
        problem = _body_problem(body) if size < 256 * 1024 else await anyio.to_thread.run_sync(_body_problem, body)
        if problem:
            await error_response("invalid", problem, 422)(scope, receive, send)
            return
        delivered = False

        async def replay() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
