"""/api/v1/admin/*: user, case and device administration, for admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy import select

from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import OkResponse
from fieldapp.server import admin
from fieldapp.server.auth import Principal
from fieldapp.server.compliance import Assessor
from fieldapp.server.deps import PrincipalDep, SessionDep, current_principal
from fieldapp.server.errors import ApiError
from fieldapp.server.models import User
from fieldapp.server.openapi import SIGNED_IN, WITH_BODY, errors
from fieldapp.server.schemas import (
    CaseResponse,
    CreateUserRequest,
    PasswordRequest,
    ReassignRequest,
    RevokeDeviceRequest,
    UsersResponse,
)
from fieldapp.server.services.records import case_record, load_cases
from fieldapp.server.services.users import user_info


def require_admin(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if principal.user.role != "admin":
        raise ApiError("forbidden", "administrators only")
    return principal


router = APIRouter(prefix="/api/v1/admin", tags=["admin"], dependencies=[Depends(require_admin)],
                   responses=errors(*SIGNED_IN, 403))
ExternalId = Annotated[str, Path(min_length=1, max_length=100)]
Username = Annotated[str, Path(min_length=1, max_length=100)]


@router.get("/users", response_model=UsersResponse)
def list_users(session: SessionDep) -> UsersResponse:
    users = session.scalars(select(User).order_by(User.username)).all()
    return UsersResponse(users=[user_info(u) for u in users], server_time=utcnow())


@router.post("/users", response_model=UsersResponse, status_code=201, responses=errors(*WITH_BODY, 409))
def create_user(body: CreateUserRequest, session: SessionDep, principal: PrincipalDep) -> UsersResponse:
    user = admin.create_user(session, body.username, body.password, body.role.value, body.team,
                             body.display_name)
    return UsersResponse(users=[user_info(user)], server_time=utcnow())


@router.put("/users/{username}/password", response_model=OkResponse, responses=errors(*WITH_BODY, 404))
def set_password(username: Username, body: PasswordRequest, session: SessionDep,
                 principal: PrincipalDep) -> OkResponse:
    """Set a user's password (the same rules as at creation: no common or name-like ones)."""
    admin.set_password(session, username, body.password, actor_id=principal.user.id)
    return OkResponse(server_time=utcnow())


def _case_response(session: SessionDep, case_id: str) -> CaseResponse:
    case = load_cases(session, [case_id])[case_id]
    return CaseResponse(case=case_record(case, Assessor()),
                        assigned_to=case.agent.username if case.agent else None, server_time=utcnow())


@router.post("/cases/{external_id}/reassign", response_model=CaseResponse, responses=errors(*WITH_BODY, 404))
def reassign(external_id: ExternalId, body: ReassignRequest, session: SessionDep) -> CaseResponse:
    case = admin.reassign_case(session, external_id, body.username)
    return _case_response(session, case.id)


@router.post("/cases/{external_id}/close", response_model=CaseResponse, responses=errors(404))
def close(external_id: ExternalId, session: SessionDep) -> CaseResponse:
    case = admin.close_case(session, external_id)
    return _case_response(session, case.id)


@router.post("/devices/revoke", response_model=OkResponse, responses=errors(*WITH_BODY, 404))
def revoke(body: RevokeDeviceRequest, session: SessionDep) -> OkResponse:
    admin.revoke_device(session, body.username, body.device_id)
    return OkResponse(server_time=utcnow())
