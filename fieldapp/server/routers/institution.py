"""The institution's settings: GET /api/v1/institution for every signed-in user (the
laptops take the creditor's details at sync), PUT /api/v1/admin/institution for
administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import InstitutionInfo, InstitutionResponse
from fieldapp.server.auth import Principal
from fieldapp.server.deps import PrincipalDep, SessionDep
from fieldapp.server.openapi import SIGNED_IN, WITH_BODY, errors
from fieldapp.server.routers.admin import require_admin
from fieldapp.server.services import institution as service

router = APIRouter(prefix="/api/v1", tags=["institution"])


@router.get("/institution", response_model=InstitutionResponse, responses=errors(*SIGNED_IN))
def get_institution(session: SessionDep, principal: PrincipalDep) -> InstitutionResponse:
    return InstitutionResponse(institution=service.current(session), server_time=utcnow())


@router.put("/admin/institution", response_model=InstitutionResponse,
            responses=errors(*SIGNED_IN, *WITH_BODY, 403))
def put_institution(body: InstitutionInfo, session: SessionDep,
                    principal: Annotated[Principal, Depends(require_admin)]) -> InstitutionResponse:
    info = service.update(session, body, principal.user.id)
    return InstitutionResponse(institution=info, server_time=utcnow())
