"""The customers' side of the team figures: appointments fieldapp arranged that start in the
period, per agent (the agent the appointment was for), and what the customers said.

- appointments: not cancelled (a proposal replaced by another is not counted);
- confirmed / reschedule requests: appointments the customer confirmed / asked to move at
  any point (the audit log keeps every answer, even after the state moved on);
- declined: the customer asked for a phone call instead;
- visited / no-shows / missed: a visit was recorded / it found nobody (contact not made) /
  no visit was recorded;
- ratings and their total (satisfaction is the average), and complaints, about those
  appointments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldapp.protocol.lead import AgentFigures
from fieldapp.server.models import Appointment, AuditEntry, Visit
from fieldapp.server.models_appointments import Complaint, Feedback


def fill(session: Session, rows: dict[str, AgentFigures], total: AgentFigures, start: dt.datetime,
         end: dt.datetime, agent_ids: Iterable[str] | None = None) -> None:
    """Add the appointment figures to `rows` (by agent id; agents missing from `rows` count
    in the total only when `agent_ids` is None, i.e. every team)."""
    stmt = (select(Appointment.id, Appointment.agent_id, Appointment.state, Appointment.visit_id)
            .where(Appointment.start >= start, Appointment.start < end, Appointment.state != "arranged",
                   Appointment.state != "cancelled", Appointment.agent_id.is_not(None)))
    if agent_ids is not None:
        stmt = stmt.where(Appointment.agent_id.in_(list(agent_ids)))
    found = session.execute(stmt).all()
    if not found:
        return
    ids = [r.id for r in found]
    answered: dict[str, set[str]] = {}
    no_contact: set[str] = set()
    ratings: dict[str, int] = {}
    complaints: dict[str, int] = {}
    for chunk in _chunks(ids):
        for action, appt_id in session.execute(
                select(AuditEntry.action, AuditEntry.object_id)
                .where(AuditEntry.object_type == "appointment", AuditEntry.object_id.in_(chunk),
                       AuditEntry.action.in_(("appointment.confirmed", "appointment.reschedule_requested")))):
            answered.setdefault(appt_id, set()).add(action.split(".", 1)[1])
        ratings.update(session.execute(select(Feedback.appointment_id, Feedback.rating)
                                       .where(Feedback.appointment_id.in_(chunk),
                                              Feedback.rating.is_not(None))).all())
        complaints.update(session.execute(select(Complaint.appointment_id, func.count(Complaint.id))
                                          .where(Complaint.appointment_id.in_(chunk))
                                          .group_by(Complaint.appointment_id)).all())
    visit_ids = [r.visit_id for r in found if r.visit_id]
    for chunk in _chunks(visit_ids):
        no_contact.update(session.scalars(select(Visit.id).where(Visit.id.in_(chunk), Visit.contact_made.is_(False))))
    for appt_id, agent_id, state, visit_id in found:
        targets = [total] + ([rows[agent_id]] if agent_id in rows else [])
        said = answered.get(appt_id, set())
        for row in targets:
            row.appointments += 1
            row.confirmed += "confirmed" in said
            row.reschedule_requests += "reschedule_requested" in said
            row.declined += state == "declined"
            row.visited += state == "visited"
            row.no_shows += state == "visited" and visit_id in no_contact
            row.missed += state == "missed"
            if appt_id in ratings:
                row.ratings += 1
                row.rating_total += int(ratings[appt_id])
            row.complaints += int(complaints.get(appt_id, 0))


def _chunks(items: list[str], size: int = 500):  # type: ignore[no-untyped-def]
    for i in range(0, len(items), size):
        yield items[i:i + size]
