"""Case rows -> `CaseRecord`, the case as an agent's laptop receives it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fieldapp.core.errors import BadInput
from fieldapp.core.money import quantum
from fieldapp.protocol.v1 import (
    AppointmentRecord,
    CaseRecord,
    CustomerRecord,
    Location,
    NotificationRecord,
    TaskRecord,
    VisitHistoryRecord,
)
from fieldapp.server.compliance import Assessor
from fieldapp.server.models import Appointment, Case, Review, Visit


def load_cases(session: Session, case_ids: Iterable[str]) -> dict[str, Case]:
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        return {}
    rows = session.scalars(
        select(Case).where(Case.id.in_(ids)).options(
            selectinload(Case.appointments), selectinload(Case.notifications),
            selectinload(Case.visits).selectinload(Visit.review).joinedload(Review.decider))
    ).unique().all()
    return {c.id: c for c in rows}


def current_appointment(appointments: Sequence[Appointment]) -> Appointment | None:
    scheduled = [a for a in appointments if a.status == "scheduled"]
    pool = scheduled or list(appointments)
    return max(pool, key=lambda a: (a.created_at, a.start)) if pool else None


def _amount(case: Case) -> str:
    try:
        return format(case.amount_due.quantize(quantum(case.currency)), "f")
    except BadInput:  # a currency we do not know the minor units of: send the digits as stored
        return format(case.amount_due.normalize(), "f")


def case_record(case: Case, assessor: Assessor | None = None) -> CaseRecord:
    cust = case.customer
    location = Location(lat=cust.lat, lon=cust.lon) if cust.lat is not None and cust.lon is not None else None
    appt = current_appointment(case.appointments)
    visits = sorted(case.visits, key=lambda v: v.started_at)
    corrected = {v.corrects_visit_id for v in visits if v.corrects_visit_id}
    tasks = [
        TaskRecord(id=v.review.id, kind="visit_returned", visit_id=v.id, comment=v.review.comment,
                   created_at=v.review.decided_at or v.review.created_at,
                   created_by=v.review.decider.username if v.review.decider else "")
        for v in visits
        if v.review is not None and v.review.state == "returned" and v.id not in corrected
    ]
    record = CaseRecord(
        id=case.id, external_id=case.external_id, reference=case.reference, status=case.status,
        customer=CustomerRecord(
            id=cust.id, name=cust.name, phone=cust.phone, id_tail=cust.id_tail, address=cust.address,
            location=location, timezone=cust.timezone, region=cust.region, language=cust.language,
            flags=list(cust.flags or [])),
        amount_due=_amount(case), currency=case.currency, days_past_due=case.days_past_due,
        tier=case.tier, product=case.product, policy_id=case.policy_id,
        appointment=AppointmentRecord(id=appt.id, start=appt.start, end=appt.end, status=appt.status)
        if appt else None,
        notifications=[NotificationRecord(id=n.id, channel=n.channel, sent_at=n.sent_at,
                                          delivered_at=n.delivered_at) for n in case.notifications],
        visits=[VisitHistoryRecord(id=v.id, at=v.checked_in_at or v.started_at,
                                   contact_made=v.contact_made, outcome=v.outcome,
                                   agent=v.agent.username if v.agent else None) for v in visits],
        tasks=tasks,
        updated_at=case.updated_at,
    )
    if assessor is not None:
        record.compliance = assessor.assess(record)
    return record
