"""Case rows -> `CaseRecord`, the case as an agent's laptop receives it.

Each open case also keeps that record ready to send (`cases.document`, JSON with the
planning check), rewritten whenever the case changes: a pull then copies documents
instead of building thousands of records and checks per request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fieldapp.core.errors import BadInput
from fieldapp.core.money import quantum
from fieldapp.protocol.v1 import (
    CaseRecord,
    CustomerRecord,
    Location,
    TaskRecord,
    VisitHistoryRecord,
)
from fieldapp.server.compliance import Assessor
from fieldapp.server.models import Appointment, Case, Review, Visit
from fieldapp.server.services import contacts
from fieldapp.server.services.appointment_records import (
    appointment_record,
    appointment_tasks,
    notifications_for,
)


# Bumped whenever case_record() changes what it writes: older documents are then rebuilt.
DOCUMENT_FORMAT = 5  # 2: the planning decision carries only the rules that did not pass
#                      3: appointment states; visits carry their review, people their display names
#                      4: both of those, and late visits (work done before a handover)
#                      5: calls and messages to the customer (contact attempts)


def load_cases(session: Session, case_ids: Iterable[str], *, fresh: bool = False) -> dict[str, Case]:
    """Cases with everything a record needs. `fresh` re-reads objects the session already
    holds (their collections may predate rows added in this transaction)."""
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        return {}
    stmt = select(Case).where(Case.id.in_(ids)).options(
        selectinload(Case.appointments), selectinload(Case.notifications),
        selectinload(Case.visits).selectinload(Visit.review).joinedload(Review.decider),
        selectinload(Case.contact_attempts))
    if fresh:
        stmt = stmt.execution_options(populate_existing=True)
    rows = session.scalars(stmt).unique().all()
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
                   created_by=v.review.decider.username if v.review.decider else "",
                   created_by_name=v.review.decider.display_name if v.review.decider else None)
        for v in visits
        if v.review is not None and v.review.state == "returned" and v.id not in corrected
    ] + appointment_tasks(appt)
    record = CaseRecord(
        id=case.id, external_id=case.external_id, reference=case.reference, status=case.status,
        customer=CustomerRecord(
            id=cust.id, name=cust.name, phone=cust.phone, id_tail=cust.id_tail, address=cust.address,
            location=location, timezone=cust.timezone, region=cust.region, language=cust.language,
            flags=list(cust.flags or [])),
        amount_due=_amount(case), currency=case.currency, days_past_due=case.days_past_due,
        tier=case.tier, product=case.product, policy_id=case.policy_id,
        appointment=appointment_record(appt) if appt else None,
        notifications=notifications_for(case.notifications, appt),
        visits=[_history(v) for v in visits],
        contact_attempts=contacts.history(case),
        tasks=tasks,
        updated_at=case.updated_at,
    )
    if assessor is not None:
        record.compliance = assessor.assess(record)
    return record


def _history(v: Visit) -> VisitHistoryRecord:
    """One earlier visit as its agent sees it, with the lead's decision once taken."""
    review = v.review if v.review is not None and v.review.state != "pending" else None
    decider = review.decider if review is not None else None
    return VisitHistoryRecord(
        id=v.id, at=v.checked_in_at or v.started_at, contact_made=v.contact_made, outcome=v.outcome,
        agent=v.agent.username if v.agent else None, agent_name=v.agent.display_name if v.agent else None,
        review=review.state if review is not None else None,
        reviewed_by=(decider.display_name or decider.username) if decider is not None else None,
        reviewed_at=review.decided_at if review is not None else None, late=v.late is not None)


def document_stamp(policy_id: str, assessor: Assessor) -> str:
    return f"{DOCUMENT_FORMAT}|{assessor.policy_key(policy_id)}"


def case_document(case: Case, assessor: Assessor) -> tuple[str, str]:
    """(document, stamp) of a case: its CaseRecord as wire JSON, and what it was built with."""
    return case_record(case, assessor).model_dump_json(), document_stamp(case.policy_id, assessor)


def refresh_documents(session: Session, case_ids: Iterable[str], assessor: Assessor | None = None) -> int:
    """Rewrite the documents of these cases from the database as it is in this transaction
    (open cases get one, closed cases lose theirs). Call after the case's rows are flushed.
    Also the way to fill documents in bulk, e.g. after an upgrade. Returns how many."""
    assessor = assessor or Assessor()
    ids = list(dict.fromkeys(case_ids))
    done = 0
    for i in range(0, len(ids), 500):
        for case in load_cases(session, ids[i:i + 500], fresh=True).values():
            if case.status == "open":
                case.document, case.document_stamp = case_document(case, assessor)
            else:
                case.document, case.document_stamp = None, None
            done += 1
    session.flush()
    return done
