"""POST /api/v1/auth/login, /api/v1/auth/logout."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request

from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import LoginRequest, LoginResponse, OkResponse
from fieldapp.server import auth
from fieldapp.server.deps import PrincipalDep, SessionDep, SettingsDep, client_ip
from fieldapp.server.errors import ApiError
from fieldapp.server.observability.context import note_user
from fieldapp.server.openapi import SIGNED_IN, WITH_BODY, errors
from fieldapp.server.services.users import user_info

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", response_model=LoginResponse, responses=errors(*WITH_BODY, 401, 426, 429, 503))
def login(body: LoginRequest, request: Request, session: SessionDep, settings: SettingsDep) -> LoginResponse:
    throttle = auth.Throttle(
        max_failures=settings.login_max_failures, max_failures_user=settings.login_max_failures_user,
        max_failures_ip=settings.login_max_failures_ip,
        window=dt.timedelta(minutes=settings.login_window_minutes),
        backoff_max=dt.timedelta(seconds=settings.login_backoff_max_seconds),
        slowdown_max=dt.timedelta(seconds=settings.login_slowdown_max_seconds))
    try:
        result = auth.login(session, body.username, body.password, body.device_id, body.device_name,
                            client_ip=client_ip(request, settings),
                            ttl=dt.timedelta(days=settings.token_ttl_days), throttle=throttle)
    except ApiError:
        session.commit()  # the failure counts towards throttling even though the request fails
        raise
    note_user(result.user.id)
    return LoginResponse(token=result.token, expires_at=result.expires_at, user=user_info(result.user),
                         server_time=utcnow())


@router.post("/logout", response_model=OkResponse, responses=errors(*SIGNED_IN))
def logout(session: SessionDep, principal: PrincipalDep) -> OkResponse:
    auth.logout(session, principal)
    return OkResponse(server_time=utcnow())
