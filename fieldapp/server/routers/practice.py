"""/api/v1/lead/practice: who in the team has practised which conversation script version.

Leads see their own team; administrators any team (`?team=`) or all; agents get 403.
Agents' practices arrive as outbox items of kind `practice` (POST /sync/push).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from fieldapp.protocol.lead import PracticeStatusResponse
from fieldapp.server.deps import PrincipalDep, SessionDep
from fieldapp.server.openapi import SIGNED_IN, errors
from fieldapp.server.routers.lead import require_reviewer
from fieldapp.server.services import practice as practice_service

router = APIRouter(prefix="/api/v1/lead", tags=["lead"], dependencies=[Depends(require_reviewer)],
                   responses=errors(*SIGNED_IN, 403, 404))


@router.get("/practice", response_model=PracticeStatusResponse)
def practice(session: SessionDep, principal: PrincipalDep,
             team: Annotated[str | None, Query(max_length=100)] = None) -> PracticeStatusResponse:
    return practice_service.team_status(session, principal.user, team)
