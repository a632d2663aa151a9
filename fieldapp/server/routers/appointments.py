"""/api/v1/appointments and /api/v1/cases/{id}/slots: proposing visits (back office, leads,
agents) and moving them along their lifecycle. Wire types: fieldapp.protocol.appointments."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.appointments import AppointmentResponse, NoticeInfo, ProposeRequest, Slot, SlotsResponse
from fieldapp.server.deps import PrincipalDep, SessionDep, SettingsDep, TranslatorDep
from fieldapp.server.errors import ApiError
from fieldapp.server.models import Appointment, Case, User
from fieldapp.server.models_appointments import Notice
from fieldapp.server.openapi import SIGNED_IN, WITH_BODY, errors
from fieldapp.server.services import appointments
from fieldapp.server.services.access import can_see_case
from fieldapp.server.services.appointment_records import appointment_record

router = APIRouter(prefix="/api/v1", tags=["appointments"], responses=errors(*SIGNED_IN, 403, 404))
Id = Annotated[str, Path(min_length=1, max_length=100)]


def _case(session: Session, user: User, ref: str) -> Case:
    try:
        case = appointments.find_case(session, ref)
    except Exception:  # noqa: BLE001 - NotFound: the same answer as a case one may not see
        raise ApiError("not_found", "no such case") from None
    if not can_see_case(session, user, case):
        raise ApiError("forbidden", "this case is neither yours nor your team's")
    return case


def via_of(user: User) -> str:
    return {"admin": "back_office", "lead": "lead"}.get(user.role, "agent")


def notice_info(notice: Notice, case: Case) -> NoticeInfo:
    return NoticeInfo(id=notice.id, appointment_id=notice.appointment_id, case_reference=case.reference,
                      channel=notice.channel, state=notice.state, attempts=notice.attempts,  # type: ignore[arg-type]
                      last_error=notice.last_error, created_at=notice.created_at, sent_at=notice.sent_at,
                      delivered_at=notice.delivered_at, agent=case.agent.username if case.agent else None)


def _answer(session: Session, appt: Appointment) -> AppointmentResponse:
    case = session.get(Case, appt.case_id)
    assert case is not None
    found = session.scalars(select(Notice).where(Notice.appointment_id == appt.id).order_by(Notice.created_at))
    return AppointmentResponse(case_id=case.id, external_id=case.external_id, appointment=appointment_record(appt),
                               notices=[notice_info(n, case) for n in found], server_time=utcnow())


@router.get("/cases/{case_id}/slots", response_model=SlotsResponse)
def slots(case_id: Id, session: SessionDep, principal: PrincipalDep, settings: SettingsDep, tr: TranslatorDep,
          count: Annotated[int, Query(ge=1, le=50)] = 5,
          after: Annotated[dt.datetime | None, Query()] = None) -> SlotsResponse:
    """The next allowed slots for the case, under its policy and the agent's other appointments."""
    case = _case(session, principal.user, case_id)
    if after is not None and after.tzinfo is None:
        raise ApiError("invalid", "after: give the time with a UTC offset")
    found = appointments.offer(session, case, settings, tr.language, count=count, after=after)
    return SlotsResponse(case_id=case.id, timezone=case.customer.timezone,
                         slots=[Slot(start=s.start, end=s.end) for s in found.slots], why_none=found.why_none,
                         server_time=utcnow())


@router.post("/appointments", response_model=AppointmentResponse, status_code=201,
             responses=errors(*WITH_BODY, 409))
def propose(body: ProposeRequest, session: SessionDep, principal: PrincipalDep, settings: SettingsDep,
            tr: TranslatorDep) -> AppointmentResponse:
    """Propose a slot; a slot the policy forbids is refused (422 `not_allowed`) with the reasons."""
    case = _case(session, principal.user, body.case_id)
    try:
        appt = appointments.propose(session, case, body.start, body.end, settings=settings, actor=principal.user,
                                    via=via_of(principal.user), lang=tr.language)
    except appointments.SlotRefused as refused:
        raise ApiError("not_allowed", " ".join(refused.reasons)) from None
    return _answer(session, appt)


def _appointment(session: Session, user: User, appointment_id: str) -> Appointment:
    appt = session.get(Appointment, appointment_id)
    if appt is None:
        raise ApiError("not_found", "no such appointment")
    _case(session, user, appt.case_id)
    return appt


@router.get("/appointments/{appointment_id}", response_model=AppointmentResponse)
def get(appointment_id: Id, session: SessionDep, principal: PrincipalDep) -> AppointmentResponse:
    return _answer(session, _appointment(session, principal.user, appointment_id))


@router.post("/appointments/{appointment_id}/cancel", response_model=AppointmentResponse, responses=errors(409))
def cancel(appointment_id: Id, session: SessionDep, principal: PrincipalDep) -> AppointmentResponse:
    appt = _appointment(session, principal.user, appointment_id)
    appointments.cancel(session, appt, principal.user)
    return _answer(session, appt)


@router.post("/appointments/{appointment_id}/missed", response_model=AppointmentResponse, responses=errors(409))
def missed(appointment_id: Id, session: SessionDep, principal: PrincipalDep) -> AppointmentResponse:
    appt = _appointment(session, principal.user, appointment_id)
    appointments.mark_missed(session, appt, principal.user)
    return _answer(session, appt)
