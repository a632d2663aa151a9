"""/api/v1/lead/complaints and /api/v1/lead/notices: what customers told the institution, and
the notices that need a person (cut off by a crash, refused, or retrying after errors).

Team leads see their own team's; administrators (the back office) see every team's.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.appointments import (
    AnswerRequest,
    ComplaintItem,
    ComplaintsResponse,
    NoticeDecision,
    NoticeInfo,
    NoticesResponse,
)
from fieldapp.server.deps import PrincipalDep, SessionDep
from fieldapp.server.errors import ApiError
from fieldapp.server.models import Case
from fieldapp.server.openapi import SIGNED_IN, WITH_BODY, errors
from fieldapp.server.routers.appointments import notice_info
from fieldapp.server.routers.lead import require_reviewer
from fieldapp.server.services import feedback, notices
from fieldapp.server.services.access import can_see_case, visible_cases

router = APIRouter(prefix="/api/v1/lead", tags=["lead"], dependencies=[Depends(require_reviewer)],
                   responses=errors(*SIGNED_IN, 403))
Id = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/complaints", response_model=ComplaintsResponse)
def complaints(session: SessionDep, principal: PrincipalDep,
               state: Annotated[Literal["open", "answered"] | None, Query()] = None) -> ComplaintsResponse:
    return ComplaintsResponse(items=feedback.complaints_for(session, principal.user, state), server_time=utcnow())


@router.post("/complaints/{complaint_id}/answer", response_model=ComplaintItem, responses=errors(*WITH_BODY, 404, 409))
def answer(complaint_id: Id, body: AnswerRequest, session: SessionDep, principal: PrincipalDep) -> ComplaintItem:
    return feedback.answer_complaint(session, principal.user, complaint_id, body.answer)


@router.get("/notices", response_model=NoticesResponse)
def attention(session: SessionDep, principal: PrincipalDep) -> NoticesResponse:
    found = notices.needing_attention(session, visible_cases(principal.user))
    return NoticesResponse(items=[notice_info(n, session.get(Case, n.case_id)) for n in found],  # type: ignore[arg-type]
                           server_time=utcnow())


@router.post("/notices/{notice_id}/decide", response_model=NoticeInfo, responses=errors(*WITH_BODY, 404, 409))
def decide(notice_id: Id, body: NoticeDecision, session: SessionDep, principal: PrincipalDep) -> NoticeInfo:
    from fieldapp.server.models_appointments import Notice

    notice = session.get(Notice, notice_id)
    case = session.get(Case, notice.case_id) if notice is not None else None
    if notice is None or case is None or not can_see_case(session, principal.user, case):
        raise ApiError("not_found", "no such notice in your team")
    notice = notices.decide(session, notice_id, body.decision, principal.user)
    return notice_info(notice, case)
