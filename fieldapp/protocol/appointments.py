"""Wire types of appointments, notices and complaints (API version 1), shared by client and server.

Endpoints (agent: own cases; lead: the team's; admin, the back office: all)
- GET  /api/v1/cases/{case_id}/slots?count=N[&after=ISO]   -> SlotsResponse
- POST /api/v1/appointments         ProposeRequest         -> AppointmentResponse (201)
                                    a slot the policy forbids: 422 `not_allowed`, the rules' reasons
- GET  /api/v1/appointments/{id}                           -> AppointmentResponse
- POST /api/v1/appointments/{id}/cancel | /missed          -> AppointmentResponse
Team leads (and admins):
- GET  /api/v1/lead/complaints[?state=open|answered]       -> ComplaintsResponse
- POST /api/v1/lead/complaints/{id}/answer  AnswerRequest  -> ComplaintItem
- GET  /api/v1/lead/notices                                -> NoticesResponse (needing a person)
- POST /api/v1/lead/notices/{id}/decide  NoticeDecision    -> NoticeInfo
Agents propose from the laptop with an outbox item of kind `appointment_proposal`
(`fieldapp.protocol.v1.AppointmentProposal`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from fieldapp.protocol.v1 import AppointmentRecord, Wire

NoticeState = Literal["queued", "sending", "sent", "delivered", "failed", "needs_decision", "cancelled"]


class Slot(Wire):
    start: AwareDatetime
    end: AwareDatetime


class SlotsResponse(Wire):
    case_id: str
    timezone: str       # the customer's zone: show the times in it
    slots: list[Slot]
    why_none: list[str] = []  # when there is no slot: why, in the asked language
    server_time: AwareDatetime


class ProposeRequest(Wire):
    case_id: str = Field(min_length=1, max_length=100)  # the case id or its external id
    start: AwareDatetime
    end: AwareDatetime


class NoticeInfo(Wire):
    id: str
    appointment_id: str
    case_reference: str
    channel: Literal["email", "sms"]
    state: NoticeState
    attempts: int
    last_error: str | None = None
    created_at: AwareDatetime
    sent_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
    agent: str | None = None


class AppointmentResponse(Wire):
    case_id: str
    external_id: str
    appointment: AppointmentRecord
    notices: list[NoticeInfo] = []
    server_time: AwareDatetime


class ComplaintItem(Wire):
    id: str
    reference: str            # what the customer was told (e.g. C-7K3Q9M)
    case_id: str
    case_reference: str
    agent: str | None = None  # the agent the complaint is about
    agent_name: str | None = None
    text: str
    state: Literal["open", "answered"]
    created_at: AwareDatetime
    due_at: AwareDatetime      # the answer is due by then
    answer: str = ""
    answered_by: str | None = None
    answered_at: AwareDatetime | None = None
    rating: int | None = None  # the customer's rating of that visit, if given


class ComplaintsResponse(Wire):
    items: list[ComplaintItem]
    server_time: AwareDatetime


class AnswerRequest(Wire):
    answer: str = Field(min_length=1, max_length=5000)


class NoticesResponse(Wire):
    items: list[NoticeInfo]
    server_time: AwareDatetime


class NoticeDecision(Wire):
    decision: Literal["resend", "mark_sent", "drop"]


__all__ = [name for name in dir() if not name.startswith("_")]
