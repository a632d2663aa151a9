"""What the customer's page shows and does, without HTTP: the view of one link's appointment,
the customer's answers, and the rate limit every worker shares.

The page shows no personal data beyond the masked name: the window in the customer's own
zone, the agent's name and staff number (so the customer can check the visitor is genuine),
the appointment's state and the state of the customer's complaints.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow, zone
from fieldapp.server.models import Appointment, Case, User
from fieldapp.server.models_appointments import CustomerLink, PageHit
from fieldapp.server.notify.words import (
    date_text,
    full_date_text,
    institution_phone,
    masked_name,
    staff_number,
    window_text,
)
from fieldapp.server.services import appointments, feedback, institution
from fieldapp.server.services.appointment_records import MANAGED_ACTIVE
from fieldapp.server.settings import ServerSettings


@dataclass(frozen=True)
class ComplaintView:
    reference: str
    state: str
    filed: str
    due: str
    answered: str | None
    answer: str


@dataclass(frozen=True)
class SlotChoice:
    value: str  # the start, ISO 8601
    label: str


@dataclass
class PageView:
    institution: str
    phone: str
    customer: str          # masked
    window: str
    date: str
    agent_name: str
    staff_number: str
    state: str
    state_at: str | None
    requested: str | None  # the window the customer asked for instead
    rating: int | None
    comment: str
    complaints: list[ComplaintView] = field(default_factory=list)

    @property
    def can_answer(self) -> bool:
        return self.state in ("notice_sent", "delivered", "confirmed", "reschedule_requested")

    @property
    def can_rate(self) -> bool:
        return self.state == "visited" and self.rating is None


@dataclass(frozen=True)
class Loaded:
    link: CustomerLink
    appointment: Appointment
    case: Case


def load(session: Session, link: CustomerLink) -> Loaded:
    appt = session.get(Appointment, link.appointment_id)
    case = session.get(Case, link.case_id)
    assert appt is not None and case is not None
    return Loaded(link, appt, case)


def _stamp(moment: dt.datetime | None, timezone: str) -> str | None:
    if moment is None:
        return None
    local = moment.astimezone(zone(timezone))
    return f"{local:%Y-%m-%d %H:%M}"


def view(session: Session, loaded: Loaded, settings: ServerSettings, lang: str) -> PageView:
    appt, case = loaded.appointment, loaded.case
    customer = case.customer
    tz = customer.timezone
    agent = session.get(User, appt.agent_id) if appt.agent_id else case.agent
    rated = feedback.feedback_of(session, appt.id)
    requested = None
    if appt.requested_start is not None and appt.requested_end is not None:
        requested = window_text(appt.requested_start, appt.requested_end, tz, lang)
    complaints = [ComplaintView(c.reference, c.state, _stamp(c.created_at, tz) or "",
                                full_date_text(c.due_at.astimezone(zone(tz)).date(), lang),
                                _stamp(c.answered_at, tz), c.answer)
                  for c in feedback.complaints_of(session, appt.id)]
    creditor = institution.name_in(session, lang, settings.institution_name)
    return PageView(
        institution=creditor,
        phone=institution_phone(settings.institution_phone, creditor, lang),
        customer=masked_name(customer.name), window=window_text(appt.start, appt.end, tz, lang),
        date=date_text(appt.start.astimezone(zone(tz)).date(), lang),
        agent_name=agent.display_name if agent else "", staff_number=staff_number(agent),
        state=appt.state, state_at=_stamp(appt.state_at, tz), requested=requested,
        rating=rated.rating if rated else None, comment=rated.comment if rated else "", complaints=complaints)


def other_slots(session: Session, loaded: Loaded, settings: ServerSettings, lang: str,
                count: int = 6) -> list[SlotChoice]:
    """Times the customer may pick instead: allowed under the policy and free for the agent,
    spread out (at most two a day, hours apart) so the few choices differ."""
    found = appointments.offer(session, loaded.case, settings, lang, count=200)
    tz = zone(loaded.case.customer.timezone)
    chosen: list = []
    for slot in found.slots:
        if slot.start == loaded.appointment.start:
            continue
        same_day = [c for c in chosen if c.start.astimezone(tz).date() == slot.start.astimezone(tz).date()]
        if len(same_day) >= 2 or any(abs(slot.start - c.start) < dt.timedelta(hours=3) for c in same_day):
            continue
        chosen.append(slot)
        if len(chosen) == count:
            break
    name = loaded.case.customer.timezone
    return [SlotChoice(s.start.isoformat(), window_text(s.start, s.end, name, lang)) for s in chosen]


def pick_slot(session: Session, loaded: Loaded, settings: ServerSettings, value: str,
              lang: str) -> tuple[dt.datetime, dt.datetime] | None:
    """The slot the customer chose, if it is (still) allowed."""
    try:
        start = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if start.tzinfo is None:
        return None
    end = start + dt.timedelta(minutes=settings.appointment_minutes)
    judged = appointments.check(session, loaded.case, start, end, settings, lang)
    return (start, end) if judged.allowed else None


def active(loaded: Loaded) -> bool:
    return loaded.appointment.state in MANAGED_ACTIVE


# ---------------------------------------------------------------------- rate limit
def forget_old_hits(session: Session, older_than: dt.timedelta = dt.timedelta(days=1),
                    now: dt.datetime | None = None) -> int:
    """Rate-limit rows of addresses not seen again (the worker's round clears them)."""
    return session.execute(delete(PageHit).where(PageHit.at < (now or utcnow()) - older_than)).rowcount or 0


def over_limit(session: Session, key: str, limit: int, window: dt.timedelta,
               now: dt.datetime | None = None, record: bool = True) -> int | None:
    """Count this request under `key`; the seconds to wait when over `limit` in `window`."""
    now = now or utcnow()
    since = now - window
    session.execute(delete(PageHit).where(PageHit.key == key, PageHit.at <= since))
    count, oldest = session.execute(select(func.count(PageHit.id), func.min(PageHit.at))
                                    .where(PageHit.key == key, PageHit.at > since)).one()
    if count >= limit:
        return max(1, int((oldest + window - now).total_seconds()) + 1)
    if record:
        session.add(PageHit(key=key[:120], at=now))
        session.flush()
    return None
