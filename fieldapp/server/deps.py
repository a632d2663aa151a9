"""Request-scoped dependencies: the session (the request owns the transaction), the
calling user, the API version check."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any

import anyio
from fastapi import Depends, Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import Translator
from fieldapp.protocol.v1 import API_VERSION
from fieldapp.server.auth import Caller, Principal, authenticate, authenticate_caller
from fieldapp.server.errors import ApiError
from fieldapp.server.observability.context import note_user
from fieldapp.server.settings import ServerSettings

SUPPORTED_VERSIONS = (API_VERSION,)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session and one transaction per request: committed when the handler returns,
    rolled back when it raises. Services never commit. (A handler that mostly only reads,
    the pull, reads outside a transaction first and commits before it writes:
    `db.reads_outside_transaction`.)

    Opening a session does no I/O, so this runs on the event loop; the commit or rollback
    goes to the thread pool only when the handler left a transaction open. A handler that
    commits in its own thread (`commit`) saves the request that hop."""
    session = request.app.state.sessions()
    try:
        yield session
        if session.in_transaction():
            await run_in_threadpool(session.commit)
    except BaseException:
        if session.in_transaction():
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(session.rollback)
        raise
    finally:
        if session.in_transaction():  # (a rollback that failed): closing talks to the database
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(session.close)
        else:
            session.close()


def commit(session: Session) -> None:
    """Commit the request's transaction now, in the handler's thread (see `get_session`)."""
    session.commit()


# Dependencies that only read the request are coroutines: FastAPI runs a plain function in
# the thread pool, a hop per dependency per request that costs more than their work.
async def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(get_session, scope="function")]  # commit before responding
SettingsDep = Annotated[ServerSettings, Depends(get_settings)]


_bearer = HTTPBearer(auto_error=False, description="The token from POST /api/v1/auth/login")


def current_principal(request: Request, session: SessionDep,
                      _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None) -> Principal:
    """The caller, from `Authorization: Bearer <token>` (declared as the bearer security
    scheme; read here as sent, so a missing or malformed header gets its own error)."""
    return principal_of(session, request.headers.get("authorization"))


def principal_of(session: Session, authorization: str | None) -> Principal:
    principal = authenticate(session, authorization)
    note_user(principal.user.id)  # the request's log lines carry the user's id
    return principal


def caller_of(session: Session, authorization: str | None, statement: Select[Any],
              values: Mapping[str, Any] | None = None) -> tuple[Caller, tuple[Any, ...]]:
    """`principal_of` as ids only, for a handler that needs no more than who calls from
    which device, with what it reads in the same round trip (`auth.authenticate_caller`)."""
    caller, read = authenticate_caller(session, authorization, statement, values)
    note_user(caller.user_id)
    return caller, read


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def bearer(request: Request,
                 _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None) -> str | None:
    """The Authorization header as sent, for a handler that signs the caller in itself with
    `principal_of`, in its own thread (the busiest endpoints: one thread-pool hop a request
    instead of two). The same check as `PrincipalDep`, declared the same way."""
    return request.headers.get("authorization")


BearerDep = Annotated[str | None, Depends(bearer)]


VersionHeader = Header(description="The API version the client speaks; without it the current one. "
                                   "Any other value is answered 426 incompatible_version.",
                       json_schema_extra={"enum": [str(v) for v in SUPPORTED_VERSIONS]})


async def check_api_version(x_fieldapp_api: Annotated[str, VersionHeader] = None) -> None:  # type: ignore[assignment]
    """Clients say which API version they speak; none means the current one."""
    if x_fieldapp_api is None:
        return
    try:
        version = int(x_fieldapp_api.strip())
    except ValueError:
        version = None
    if version not in SUPPORTED_VERSIONS:
        raise ApiError("incompatible_version",
                       f"this server speaks API version(s) {', '.join(map(str, SUPPORTED_VERSIONS))}, "
                       f"not {x_fieldapp_api[:20]!r}; update the app")


async def get_translator(accept_language: Annotated[str | None, Header()] = None) -> Translator:
    """The first language of Accept-Language that we ship (en, zh_CN); English otherwise."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip()
        if not tag or tag == "*":
            continue
        try:
            return Translator.for_language(tag)
        except BadInput:
            continue
    return Translator.for_language("en")


TranslatorDep = Annotated[Translator, Depends(get_translator)]


def client_ip(request: Request, settings: ServerSettings) -> str | None:
    """The address login throttling counts.

    Behind a reverse proxy (`trusted_proxy_header`, e.g. x-forwarded-for) it is the entry
    our proxy appended: each proxy appends the address it received the request from on
    the right (nginx `$proxy_add_x_forwarded_for`), so with `trusted_proxy_hops` proxies of
    ours the client's address is that many entries from the right. Entries further left
    were written by the client and are not believed. An entry that is not an address
    falls back to the connection's peer."""
    if settings.trusted_proxy_header:
        entries = [part.strip() for value in request.headers.getlist(settings.trusted_proxy_header)
                   for part in value.split(",") if part.strip()]
        if entries:
            hops = settings.trusted_proxy_hops
            chosen = entries[-hops] if len(entries) >= hops else entries[0]
            address = _address(chosen)
            if address:
                return address
    return request.client.host if request.client else None


def _address(entry: str) -> str | None:
    """'203.0.113.7', '203.0.113.7:5555', '[2001:db8::1]:443' -> the address; else None."""
    text = entry.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None
