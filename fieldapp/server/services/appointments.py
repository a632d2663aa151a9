"""Appointments fieldapp arranges: proposing a slot, and every step of its lifecycle.

    proposed -> notice_sent -> delivered -> confirmed | reschedule_requested | declined
             -> visited | missed                      (and cancelled from any active state)

A slot is proposed only when the policy allows it as if its notice went out now
(`fieldapp.policy.slots`) and the agent's other appointments leave room for the travel; a
refused slot raises `SlotRefused` with the rules' own sentences. Proposing replaces the
case's active appointment and queues the customer's notices (services/notices.py). Every
change is written to the audit log and reaches the agent's laptop through the case's
change (its document carries the state). Functions take a Session and never commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.core.errors import BadInput, Conflict, FieldappError, NotFound
from fieldapp.core.i18n import LANGUAGES, normalise_language
from fieldapp.core.timeutil import utcnow
from fieldapp.server import audit
from fieldapp.server.models import Appointment, Case, Customer, User
from fieldapp.server.services.appointment_records import ACTIVE, MANAGED_ACTIVE, STATUS_OF
from fieldapp.server.services.changes import case_changed
from fieldapp.server.services.records import current_appointment
from fieldapp.server.settings import ServerSettings

# How far each state has come; notice_sent and delivered only ever move forward.
RANK = {"arranged": 0, "proposed": 0, "notice_sent": 1, "delivered": 2, "confirmed": 3,
        "reschedule_requested": 3, "declined": 4, "visited": 5, "missed": 5, "cancelled": 6}
ANSWERS = ("confirmed", "reschedule_requested", "declined")
VIA = ("back_office", "lead", "agent", "customer")
VISIT_MATCH = dt.timedelta(hours=12)  # a visit this close to the appointment is its visit


class SlotRefused(FieldappError):
    """The slot may not be proposed; `reasons` are the rules' sentences in the asked language."""

    def __init__(self, reasons: list[str]):
        super().__init__(" ".join(reasons) or "the slot is not allowed")
        self.reasons = reasons


@dataclass(frozen=True)
class Planning:
    """What judging a slot for a case needs: its policy, the customer's context, the
    channels a notice can go out on, the agent's other appointments, the rules."""

    policy: object
    base: object
    channels: list[str]
    busy: list
    rules: object
    language: str


def customer_language(customer: Customer) -> str:
    """The language the customer's notices and page use."""
    try:
        lang = normalise_language(customer.language) if customer.language else None
    except BadInput:
        lang = None
    if lang in LANGUAGES:
        return lang  # type: ignore[return-value]
    return "zh_CN" if customer.region.upper().startswith("CN") else "en"


def channels_for(customer: Customer, settings: ServerSettings, accepted: frozenset[str] | None = None) -> list[str]:
    """The channels a notice to this customer can go out on: an address or number to send
    to, a configured channel, and (when given) one the policy accepts."""
    out = []
    if customer.email and settings.smtp_url:
        out.append("email")
    if customer.phone and settings.sms_gateway_url:
        out.append("sms")
    return [c for c in out if accepted is None or c in accepted]


def slot_rules(settings: ServerSettings):  # type: ignore[no-untyped-def]
    from fieldapp.geo.travel import TravelModel
    from fieldapp.policy.slots import SlotRules

    return SlotRules(duration=dt.timedelta(minutes=settings.appointment_minutes),
                     step=dt.timedelta(minutes=settings.slot_step_minutes),
                     notice_margin=dt.timedelta(minutes=settings.notice_margin_minutes),
                     travel=TravelModel(speed_kmh=settings.travel_speed_kmh))


def planning(session: Session, case: Case, settings: ServerSettings, lang: str | None = None,
             now: dt.datetime | None = None) -> Planning:
    from fieldapp.policy import PastVisit, load_policy
    from fieldapp.policy.slots import Busy, customer_context

    now = now or utcnow()
    try:
        policy = load_policy(case.policy_id)
    except (NotFound, BadInput) as exc:
        raise BadInput(f"the case's policy {case.policy_id!r} cannot be loaded: {exc}", field="policy_id") from None
    c = case.customer
    location = (c.lat, c.lon) if c.lat is not None and c.lon is not None else None
    base = customer_context(timezone=c.timezone, region=c.region, location=location, flags=c.flags or [],
                            visits=[PastVisit(v.checked_in_at or v.started_at, v.contact_made) for v in case.visits],
                            where=f"case {case.external_id}")
    rules = slot_rules(settings)
    busy = []
    if case.assigned_agent_id is not None:
        horizon = now + dt.timedelta(days=rules.horizon_days + 2)
        rows = session.execute(
            select(Appointment.id, Appointment.start, Appointment.end, Case.reference, Customer.lat, Customer.lon)
            .join(Case, Case.id == Appointment.case_id).join(Customer, Customer.id == Case.customer_id)
            .where(Case.assigned_agent_id == case.assigned_agent_id, Case.id != case.id, Case.status == "open",
                   Appointment.state.in_(ACTIVE), Appointment.status == "scheduled",
                   Appointment.end > now - dt.timedelta(days=1), Appointment.start < horizon)).all()
        busy = [Busy(r.id, r.start, r.end, (r.lat, r.lon) if r.lat is not None else None, r.reference)
                for r in rows]
    channels = channels_for(c, settings, policy.notice.channels if policy.notice.required else None)
    return Planning(policy, base, channels, busy, rules, normalise_language(lang or "en"))


def check(session: Session, case: Case, start: dt.datetime, end: dt.datetime, settings: ServerSettings,
          lang: str | None = None, now: dt.datetime | None = None):  # type: ignore[no-untyped-def]
    """The slot judged for this case now (a `fieldapp.policy.slots.SlotCheck`)."""
    from fieldapp.policy.slots import check_slot

    now = now or utcnow()
    p = planning(session, case, settings, lang, now)
    return check_slot(p.base, p.policy, start, end, now=now, channels=p.channels, busy=p.busy,  # type: ignore[arg-type]
                      rules=p.rules, lang=p.language)  # type: ignore[arg-type]


def offer(session: Session, case: Case, settings: ServerSettings, lang: str | None = None, count: int = 5,
          now: dt.datetime | None = None, after: dt.datetime | None = None):  # type: ignore[no-untyped-def]
    """The next allowed slots for this case (a `fieldapp.policy.slots.SlotSearch`)."""
    from fieldapp.policy.slots import find_slots

    now = now or utcnow()
    p = planning(session, case, settings, lang, now)
    return find_slots(p.base, p.policy, now=now, channels=p.channels, busy=p.busy, rules=p.rules,  # type: ignore[arg-type]
                      count=count, lang=p.language, after=after)


def _open_case(case: Case) -> None:
    if case.status != "open":
        raise BadInput(f"case {case.external_id} is closed", field="case")
    if case.assigned_agent_id is None:
        raise BadInput(f"case {case.external_id} has no agent to visit", field="case")


def propose(session: Session, case: Case, start: dt.datetime, end: dt.datetime, *, settings: ServerSettings,
            actor: User | None, via: str, lang: str | None = None, appointment_id: str | None = None,
            outbox_item_id: str | None = None, replaces_id: str | None = None,
            now: dt.datetime | None = None) -> Appointment:
    """Propose `start`-`end` for the case: checked, then the active appointment is replaced
    and the customer's notices are queued. Raises SlotRefused with the reasons."""
    from fieldapp.server.services import notices

    if via not in VIA:
        raise BadInput(f"unknown proposer {via!r}", field="via")
    if start.tzinfo is None or end.tzinfo is None:
        raise BadInput("times need a UTC offset", field="start")
    _open_case(case)
    now = now or utcnow()
    judged = check(session, case, start, end, settings, lang, now)
    if not judged.allowed:
        raise SlotRefused(judged.reasons(lang or "en"))
    appointment_id = appointment_id or str(uuid.uuid4())
    if session.get(Appointment, appointment_id) is not None:
        raise Conflict(f"appointment {appointment_id} already exists")
    for old in list(case.appointments):
        if old.status == "scheduled":
            _set(session, old, "cancelled", actor.id if actor else None, now, reason="replaced",
                 by=appointment_id)
            notices.cancel_pending(session, old.id, now)
    appt = Appointment(id=appointment_id, case_id=case.id, start=start.astimezone(dt.timezone.utc),
                       end=end.astimezone(dt.timezone.utc), status="scheduled", state="proposed", state_at=now,
                       agent_id=case.assigned_agent_id, proposed_by=actor.id if actor else None,
                       proposed_via=via, outbox_item_id=outbox_item_id, replaces_id=replaces_id, created_at=now)
    session.add(appt)
    session.flush()
    channels = channels_for(case.customer, settings)
    audit.record(session, "appointment.proposed", "appointment", appt.id, actor.id if actor else None,
                 case_id=case.id, via=via, channels=channels)
    notices.enqueue(session, appt, case, channels, customer_language(case.customer), now)
    session.expire(case, ["appointments", "notifications"])
    case_changed(session, case)
    return appt


def _set(session: Session, appt: Appointment, state: str, actor_id: str | None, now: dt.datetime,
         **detail: object) -> None:
    appt.state, appt.state_at, appt.status = state, now, STATUS_OF[state]
    session.flush()
    audit.record(session, f"appointment.{state}", "appointment", appt.id, actor_id, case_id=appt.case_id,
                 **detail)


def advance(session: Session, appt: Appointment, state: str, *, actor_id: str | None = None,
            now: dt.datetime | None = None, **detail: object) -> bool:
    """notice_sent / delivered: move forward only, never back (a receipt may come late)."""
    if state not in ("notice_sent", "delivered") or appt.state not in MANAGED_ACTIVE:
        return False
    if RANK[appt.state] >= RANK[state]:
        return False
    _set(session, appt, state, actor_id, now or utcnow(), **detail)
    _changed(session, appt)
    return True


class AlreadyAnswered(FieldappError):
    """The customer gave this answer before (at `at`): nothing changes."""

    def __init__(self, state: str, at: dt.datetime | None):
        super().__init__(f"already {state}")
        self.state, self.at = state, at


def answer(session: Session, appt: Appointment, state: str, *, now: dt.datetime | None = None,
           requested: tuple[dt.datetime, dt.datetime] | None = None, **detail: object) -> None:
    """The customer's answer from the page: confirmed, another time asked for, or declined
    (a phone call instead). Confirming twice raises AlreadyAnswered; an appointment that is
    no longer active raises Conflict."""
    if state not in ANSWERS:
        raise BadInput(f"unknown answer {state!r}", field="answer")
    if appt.state == state and state != "reschedule_requested":
        raise AlreadyAnswered(state, appt.state_at)
    if appt.state not in MANAGED_ACTIVE or appt.state == "proposed":
        raise Conflict(f"the appointment is {appt.state}; it cannot be answered now")
    now = now or utcnow()
    if state == "reschedule_requested":
        if requested is None:
            raise BadInput("another time needs a start and an end", field="slot")
        appt.requested_start, appt.requested_end = requested
    else:
        appt.requested_start = appt.requested_end = None  # the earlier request no longer stands
    if RANK[appt.state] < RANK["delivered"]:  # opening the link proves the notice arrived
        _set(session, appt, "delivered", None, now, via="page")
    _set(session, appt, state, None, now, via="customer", **detail)
    _changed(session, appt)


def cancel(session: Session, appt: Appointment, actor: User | None, *, now: dt.datetime | None = None,
           reason: str = "cancelled") -> None:
    from fieldapp.server.services import notices

    if appt.status != "scheduled":
        raise Conflict(f"the appointment is {appt.state}; only an active one can be cancelled")
    now = now or utcnow()
    _set(session, appt, "cancelled", actor.id if actor else None, now, reason=reason)
    notices.cancel_pending(session, appt.id, now)
    _changed(session, appt)


def mark_missed(session: Session, appt: Appointment, actor: User | None, *, now: dt.datetime | None = None) -> None:
    if appt.status != "scheduled":
        raise Conflict(f"the appointment is {appt.state}; only an active one can be missed")
    now = now or utcnow()
    if appt.start > now:
        raise BadInput("the appointment has not started yet", field="state")
    _set(session, appt, "missed", actor.id if actor else None, now)
    _changed(session, appt)


def visit_recorded(session: Session, case: Case, visit_id: str, at: dt.datetime, actor_id: str | None) -> None:
    """A visit of the case arrived: the active appointment it belongs to was visited."""
    appt = current_appointment(case.appointments)
    if appt is None or appt.status != "scheduled" or appt.visit_id is not None:
        return
    if not (appt.start - VISIT_MATCH <= at <= appt.end + VISIT_MATCH):
        return
    appt.visit_id = visit_id
    _set(session, appt, "visited", actor_id, utcnow(), visit_id=visit_id)


def sweep_missed(session: Session, now: dt.datetime | None = None,
                 grace: dt.timedelta = dt.timedelta(hours=12)) -> int:
    """Appointments fieldapp arranged that ended more than `grace` ago without a visit."""
    now = now or utcnow()
    rows = list(session.scalars(select(Appointment).where(Appointment.state.in_(MANAGED_ACTIVE),
                                                          Appointment.end < now - grace)
                                .order_by(Appointment.id).limit(200)))
    for appt in rows:
        _set(session, appt, "missed", None, now, by="sweep")
        _changed(session, appt)
    return len(rows)


def _changed(session: Session, appt: Appointment) -> None:
    case = session.get(Case, appt.case_id)
    assert case is not None
    session.expire(case, ["appointments", "notifications"])
    case_changed(session, case)


def find_case(session: Session, ref: str) -> Case:
    """A case by its id or its external id."""
    case = session.get(Case, ref) or session.scalar(select(Case).where(Case.external_id == ref))
    if case is None:
        raise NotFound(f"no case {ref!r}")
    return case


def find(session: Session, appointment_id: str) -> Appointment:
    appt = session.get(Appointment, appointment_id)
    if appt is None:
        raise NotFound(f"no appointment {appointment_id!r}")
    return appt
