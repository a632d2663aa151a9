"""GET /api/v1/cases/{case_id}: one case as its agent receives it (agent: own cases; lead:
the team's; admin: all)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from fieldapp.core.timeutil import utcnow
from fieldapp.server.compliance import Assessor
from fieldapp.server.deps import PrincipalDep, SessionDep
from fieldapp.server.errors import ApiError
from fieldapp.server.openapi import SIGNED_IN, errors
from fieldapp.server.schemas import CaseResponse
from fieldapp.server.services.access import can_see_case
from fieldapp.server.services.records import case_record, load_cases

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


@router.get("/{case_id}", response_model=CaseResponse, responses=errors(*SIGNED_IN, 403, 404))
def get_case(case_id: Annotated[str, Path(min_length=1, max_length=64)], session: SessionDep,
             principal: PrincipalDep) -> CaseResponse:
    case = load_cases(session, [case_id]).get(case_id)
    if case is None:
        raise ApiError("not_found", "no such case")
    if not can_see_case(session, principal.user, case):
        raise ApiError("forbidden", "this case is neither yours nor your team's")
    return CaseResponse(case=case_record(case, Assessor()),
                        assigned_to=case.agent.username if case.agent else None, server_time=utcnow())
