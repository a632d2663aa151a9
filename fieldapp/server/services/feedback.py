"""What customers tell the institution about a visit: a rating (1-5) with a comment, and
complaints, which wait in the lead's queue with a due date for the answer.

Ratings are given once the appointment was visited; a complaint can be filed whenever the
customer's link is valid (about the notice too). Leads see the complaints about their
team's agents; administrators see all.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.core.errors import BadInput, Conflict
from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.appointments import ComplaintItem
from fieldapp.server import audit
from fieldapp.server.errors import ApiError
from fieldapp.server.models import Appointment, Case, User
from fieldapp.server.models_appointments import Complaint, Feedback
from fieldapp.server.services.access import team_member_ids
from fieldapp.server.settings import ServerSettings

MAX_TEXT = 5000
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone


def _reference() -> str:
    return "C-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def _agent_of(session: Session, appt: Appointment) -> str | None:
    if appt.agent_id:
        return appt.agent_id
    case = session.get(Case, appt.case_id)
    return case.assigned_agent_id if case else None


def _text(text: str, field: str, *, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise BadInput("required", field=field)
    if len(text) > MAX_TEXT:
        raise BadInput(f"at most {MAX_TEXT} characters", field=field)
    return text


def feedback_of(session: Session, appointment_id: str) -> Feedback | None:
    return session.scalar(select(Feedback).where(Feedback.appointment_id == appointment_id))


def rate(session: Session, appt: Appointment, rating: int, now: dt.datetime | None = None) -> Feedback:
    """The customer's rating of the visit. Given once; a second rating is refused (Conflict)."""
    if appt.state != "visited":
        raise Conflict("the visit has not taken place yet")
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise BadInput("choose 1 to 5", field="rating")
    now = now or utcnow()
    found = feedback_of(session, appt.id)
    if found is not None and found.rating is not None:
        raise Conflict("the visit was rated already")
    if found is None:
        found = Feedback(appointment_id=appt.id, case_id=appt.case_id, agent_id=_agent_of(session, appt),
                         rating=rating, comment="", created_at=now, updated_at=now)
        session.add(found)
    else:
        found.rating, found.updated_at = rating, now
    session.flush()
    audit.record(session, "feedback.rated", "appointment", appt.id, None, rating=rating)
    return found


def comment(session: Session, appt: Appointment, text: str, now: dt.datetime | None = None) -> Feedback:
    now = now or utcnow()
    text = _text(text, "comment", required=False)
    found = feedback_of(session, appt.id)
    if found is None:
        raise Conflict("rate the visit first")
    found.comment, found.updated_at = text, now
    session.flush()
    audit.record(session, "feedback.commented", "appointment", appt.id, None, chars=len(text))
    return found


def file_complaint(session: Session, appt: Appointment, text: str, settings: ServerSettings,
                   now: dt.datetime | None = None) -> Complaint:
    now = now or utcnow()
    text = _text(text, "complaint", required=True)
    for _ in range(5):
        reference = _reference()
        if session.scalar(select(Complaint.id).where(Complaint.reference == reference)) is None:
            break
    complaint = Complaint(reference=reference, case_id=appt.case_id, appointment_id=appt.id,
                          agent_id=_agent_of(session, appt), text=text, state="open",
                          due_at=now + dt.timedelta(days=settings.complaint_answer_days), answer="", created_at=now)
    session.add(complaint)
    session.flush()
    audit.record(session, "complaint.filed", "complaint", complaint.id, None, appointment_id=appt.id,
                 agent_id=complaint.agent_id)
    return complaint


def complaints_of(session: Session, appointment_id: str) -> list[Complaint]:
    return list(session.scalars(select(Complaint).where(Complaint.appointment_id == appointment_id)
                                .order_by(Complaint.created_at)))


def _visible(user: User):  # type: ignore[no-untyped-def]
    if user.role == "admin":
        return None
    if user.team_id is None:
        return Complaint.id.is_(None)
    return Complaint.agent_id.in_(team_member_ids(user.team_id))


def _item(session: Session, c: Complaint) -> ComplaintItem:
    case = session.get(Case, c.case_id)
    agent = session.get(User, c.agent_id) if c.agent_id else None
    answered = session.get(User, c.answered_by) if c.answered_by else None
    rated = feedback_of(session, c.appointment_id)
    return ComplaintItem(id=c.id, reference=c.reference, case_id=c.case_id,
                         case_reference=case.reference if case else "", agent=agent.username if agent else None,
                         agent_name=agent.display_name if agent else None, text=c.text, state=c.state,  # type: ignore[arg-type]
                         created_at=c.created_at, due_at=c.due_at, answer=c.answer,
                         answered_by=answered.username if answered else None, answered_at=c.answered_at,
                         rating=rated.rating if rated else None)


def complaints_for(session: Session, user: User, state: str | None = None) -> list[ComplaintItem]:
    """The lead's queue: open complaints first, the earliest due first."""
    stmt = select(Complaint).order_by(Complaint.state.desc(), Complaint.due_at)
    where = _visible(user)
    if where is not None:
        stmt = stmt.where(where)
    if state:
        stmt = stmt.where(Complaint.state == state)
    return [_item(session, c) for c in session.scalars(stmt.limit(1000))]


def answer_complaint(session: Session, user: User, complaint_id: str, answer: str,
                     now: dt.datetime | None = None) -> ComplaintItem:
    complaint = session.scalar(select(Complaint).where(Complaint.id == complaint_id).with_for_update())
    where = _visible(user)
    if complaint is None or (where is not None and not session.scalar(
            select(Complaint.id).where(Complaint.id == complaint_id, where))):
        raise ApiError("not_found", "no such complaint in your team")
    if complaint.state == "answered":
        raise Conflict(f"complaint {complaint.reference} was answered already")
    complaint.answer = _text(answer, "answer", required=True)
    complaint.state, complaint.answered_by, complaint.answered_at = "answered", user.id, now or utcnow()
    session.flush()
    audit.record(session, "complaint.answered", "complaint", complaint.id, user.id)
    return _item(session, complaint)
