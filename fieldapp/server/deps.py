"""Request-scoped dependencies: the session (the request owns the transaction), the
calling user, the API version check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import Translator
from fieldapp.protocol.v1 import API_VERSION
from fieldapp.server.auth import Principal, authenticate
from fieldapp.server.errors import ApiError
from fieldapp.server.observability.context import note_user
from fieldapp.server.settings import ServerSettings

SUPPORTED_VERSIONS = (API_VERSION,)


def get_session(request: Request) -> Iterator[Session]:
    """One session and one transaction per request: committed when the handler returns,
    rolled back when it raises. Services never commit."""
    with request.app.state.sessions() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(get_session, scope="function")]  # commit before responding
SettingsDep = Annotated[ServerSettings, Depends(get_settings)]


def current_principal(session: SessionDep,
                      authorization: Annotated[str | None, Header()] = None) -> Principal:
    principal = authenticate(session, authorization)
    note_user(principal.user.id)  # the request's log lines carry the user's id
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def check_api_version(x_fieldapp_api: Annotated[str | None, Header()] = None) -> None:
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


def get_translator(accept_language: Annotated[str | None, Header()] = None) -> Translator:
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
    if settings.trusted_proxy_header:
        forwarded = request.headers.get(settings.trusted_proxy_header)
        if forwarded:
            return forwarded.split(",")[0].strip()[:100]
    return request.client.host if request.client else None
