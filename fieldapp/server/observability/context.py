"""Who and what a log line belongs to: the request being served, in a context variable.

The request middleware opens a `RequestContext` per request; everything that runs for that
request (the handler, its dependencies in the thread pool, the services they call) sees the
same object, so the sign-in dependency can note the user's id and every log line written
meanwhile carries the request id and the user id. Only ids: never names or other data.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

REQUEST_ID_HEADER = "X-Request-Id"
# What we accept from the proxy: a token of ordinary characters (nginx's $request_id is 32
# hex digits); anything else is replaced by an id of our own.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,99}")


@dataclass
class RequestContext:
    request_id: str
    route: str | None = None
    user_id: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("fieldapp_request", default=None)


def request_id_from(incoming: str | None) -> str:
    """The proxy's id when it is sane, else a new one (32 hex digits)."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def activate(ctx: RequestContext):  # type: ignore[no-untyped-def]
    """Make `ctx` the current request's context; returns the token for `end`."""
    return _current.set(ctx)


def end(token) -> None:  # type: ignore[no-untyped-def]
    _current.reset(token)


def current() -> RequestContext | None:
    return _current.get()


def note_user(user_id: str | None) -> None:
    """Record the signed-in user's id on the current request (for its log lines)."""
    ctx = _current.get()
    if ctx is not None and user_id:
        ctx.user_id = user_id
