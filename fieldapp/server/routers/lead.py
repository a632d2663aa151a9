"""/api/v1/lead/*: the team lead's review queue (pull), one visit's evidence, team figures.

Team leads see their own team's visits; administrators may read every team; agents get
403 `forbidden` on every endpoint here. Decisions are outbox items (POST /sync/push).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from fieldapp.core.timeutil import iso, utcnow
from fieldapp.protocol.lead import FiguresResponse, LeadPullResponse, LeadVisitResponse, figures_csv
from fieldapp.protocol.v1 import MAX_PULL_LIMIT
from fieldapp.server.auth import Principal
from fieldapp.server.deps import PrincipalDep, SessionDep, TranslatorDep, current_principal
from fieldapp.server.openapi import SIGNED_IN, errors
from fieldapp.server.services import figures as figures_service
from fieldapp.server.services import review as review_service


def require_reviewer(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    review_service.require_reviewer(principal.user)
    return principal


router = APIRouter(prefix="/api/v1/lead", tags=["lead"], dependencies=[Depends(require_reviewer)],
                   responses=errors(*SIGNED_IN, 403))


@router.get("/pull", response_model=LeadPullResponse, responses=errors(409))
def pull(session: SessionDep, principal: PrincipalDep,
         cursor: Annotated[int, Query(ge=0, le=2**62)] = 0,
         limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = 200) -> LeadPullResponse:
    return review_service.pull(session, principal.user, cursor, limit)


@router.get("/visits/{visit_id}", response_model=LeadVisitResponse, responses=errors(404))
def visit(visit_id: Annotated[str, Path(min_length=1, max_length=64)], session: SessionDep,
          principal: PrincipalDep) -> LeadVisitResponse:
    return LeadVisitResponse(item=review_service.visit_item(session, principal.user, visit_id),
                             server_time=utcnow())


@router.get("/figures", response_model=FiguresResponse,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **errors(404)})
def figures(session: SessionDep, principal: PrincipalDep, tr: TranslatorDep,
            date_from: Annotated[dt.date, Query(alias="from")],
            date_to: Annotated[dt.date, Query(alias="to")],
            tz: Annotated[str, Query(min_length=1, max_length=64)] = "UTC",
            team: Annotated[str | None, Query(max_length=100)] = None,
            format: Annotated[Literal["json", "csv"], Query()] = "json") -> FiguresResponse | Response:
    result = figures_service.figures(session, principal.user, date_from, date_to, tz, team)
    if format == "json":
        return result
    name = f"team-figures-{date_from.isoformat()}-{date_to.isoformat()}.csv"
    # The BOM lets spreadsheet programs read UTF-8 (Chinese names) without asking.
    return Response(content="\ufeff" + figures_csv(result, tr), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "X-Server-Time": iso(utcnow())})
