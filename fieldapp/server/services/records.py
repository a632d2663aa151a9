"""Case rows -> `CaseRecord`, the case as an agent's laptop receives it.

Each open case also keeps that record ready to send (`cases.document`, JSON with the
planning check), rewritten whenever the case changes: a pull then copies documents
instead of building thousands of records and checks per request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from pydantic import TypeAdapter

from sqlalchemy import bindparam, func, select
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
    notices_key,
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
    visits = sorted(case.visits, key=lambda v: v.started_at)
    corrected = {v.corrects_visit_id for v in visits if v.corrects_visit_id}
    appt = current_appointment(case.appointments)
    tasks = [
        _task(v) for v in visits
        if v.review is not None and v.review.state == "returned" and v.id not in corrected
    ] + appointment_tasks(appt)
    record = _record(case, appt, [_history(v) for v in visits], tasks)
    if assessor is not None:
        record.compliance = assessor.assess(record)
    return record


def _task(v: Visit) -> TaskRecord:
    review = v.review
    assert review is not None
    return TaskRecord(id=review.id, kind="visit_returned", visit_id=v.id, comment=review.comment,
                      created_at=review.decided_at or review.created_at,
                      created_by=review.decider.username if review.decider else "",
                      created_by_name=review.decider.display_name if review.decider else None)


def _record(case: Case, appt: Appointment | None, visits: list[VisitHistoryRecord],
            tasks: list[TaskRecord], stored: CaseRecord | None = None) -> CaseRecord:
    """The case's record from its rows; with `stored` (its document as stored), the customer,
    the calls and (for the same appointment) the notices are taken from that instead."""
    appointment = appointment_record(appt) if appt else None
    if stored is not None and notices_key(appt) == notices_key(stored.appointment):
        notifications = stored.notifications
    else:
        notifications = notifications_for(case.notifications, appt)
    return CaseRecord(
        id=case.id, external_id=case.external_id, reference=case.reference, status=case.status,
        customer=stored.customer if stored is not None else _customer(case),
        amount_due=_amount(case), currency=case.currency, days_past_due=case.days_past_due,
        tier=case.tier, product=case.product, policy_id=case.policy_id,
        appointment=appointment,
        notifications=notifications,
        visits=visits,
        contact_attempts=stored.contact_attempts if stored is not None else contacts.history(case),
        tasks=tasks,
        updated_at=case.updated_at,
    )


def _customer(case: Case) -> CustomerRecord:
    cust = case.customer
    location = Location(lat=cust.lat, lon=cust.lon) if cust.lat is not None and cust.lon is not None else None
    return CustomerRecord(
        id=cust.id, name=cust.name, phone=cust.phone, id_tail=cust.id_tail, address=cust.address,
        location=location, timezone=cust.timezone, region=cust.region, language=cust.language,
        flags=list(cust.flags or []))


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


# A stored document is the CaseRecord's JSON: the fields before `visits`, the visits, then
# `tasks`, `compliance` and `updated_at`. A quote inside a string value is escaped, so a
# quoted key is always structure: these markers find the visits and the tasks.
_HEAD_FIELDS = frozenset(list(CaseRecord.model_fields)[:list(CaseRecord.model_fields).index("visits")])
_TAIL_FIELDS = frozenset({"tasks", "compliance", "contact_attempts", "updated_at"})
_VISITS_AT, _TASKS_AT, _COMPLIANCE_AT = ',"visits":[', '],"tasks":[', '],"compliance":'


def _compose(record: CaseRecord, visits_json: str) -> str:
    """The document of `record` with `visits_json` (the visits' JSON objects, comma-joined)
    as its visits: the same bytes as the record's own JSON with those visits in it."""
    head = record.model_dump_json(include=_HEAD_FIELDS)
    tail = record.model_dump_json(include=_TAIL_FIELDS)
    return f"{head[:-1]}{_VISITS_AT}{visits_json}],{tail[1:]}"


# Built once (every pushed visit asks): some visit of the case, not among the new ones, that
# started after the earliest of them (then they do not go at the end of the document's
# visits). Its values come from `later_visit_values`.
LATER_VISIT = (select(Visit.id).where(Visit.case_id == bindparam("later_case"),
                                      Visit.id.not_in(bindparam("later_ids", expanding=True)),
                                      Visit.started_at > bindparam("later_than"))
               .limit(1).scalar_subquery())


def later_visit_values(case_id: str, visits: Sequence[Visit]) -> dict[str, object]:
    return {"later_case": case_id, "later_ids": [v.id for v in visits],
            "later_than": min(v.started_at for v in visits)}


def append_visits(session: Session, case: Case, visits: Sequence[Visit], assessor: Assessor | None = None,
                  *, later: str | None | bool = False) -> bool:
    """Add newly recorded visits of an open case to its stored document without reading its
    earlier visits: the visits part of the document is extended, the rest (appointment,
    tasks, planning check) rebuilt from the case's own rows and the visits the planning
    check counts; the customer, the notices and the calls are taken from the document as
    stored (a change to any of them rebuilds it). The result is what `case_document` would
    write. False when this cannot be done (no current document, a visit older than one
    already recorded, a closed case): the caller rebuilds the document instead. `later` is
    `LATER_VISIT` as the caller read it (False: not read yet). Call after the visits are
    flushed."""
    if not visits or case.status != "open":
        return False
    assessor = assessor or Assessor()
    stamp = document_stamp(case.policy_id, assessor)
    document = case.document
    if document is None or case.document_stamp != stamp:
        return False
    start, end = document.find(_VISITS_AT), document.rfind(_TASKS_AT)
    stop = document.rfind(_COMPLIANCE_AT)
    if start < 0 or not start < end < stop:
        return False
    if later is False:
        later = session.scalar(select(LATER_VISIT), later_visit_values(case.id, visits))
    if later is not None:  # the new visits go somewhere in the middle: rebuild
        return False
    earlier = document[start + len(_VISITS_AT):end]
    added = ",".join(_history(v).model_dump_json() for v in sorted(visits, key=lambda v: v.started_at))
    corrected = {v.corrects_visit_id for v in visits if v.corrects_visit_id}
    stored = _STORED.validate_json(document[:start] + document[end + 1:])  # all but the visits
    returned = [t for t in stored.tasks if t.kind == "visit_returned" and t.visit_id not in corrected]
    appt = current_appointment(case.appointments)
    record = _record(case, appt, _counted_visits(session, case, appt, assessor),
                     returned + appointment_tasks(appt), stored=stored)
    record.compliance = assessor.assess(record)
    record.visits = []
    case.document = _compose(record, f"{earlier},{added}" if earlier else added)
    case.document_stamp = stamp
    session.flush()
    return True


class _Stored(CaseRecord):
    """A stored document read without its visits (what `append_visits` keeps)."""

    visits: list[VisitHistoryRecord] = []


_STORED = TypeAdapter(_Stored)


def _counted_visits(session: Session, case: Case, appt: Appointment | None,
                    assessor: Assessor) -> list[VisitHistoryRecord]:
    """The case's visits the planning check can count: those in the days before the
    appointment that its policy's visit limit looks at."""
    days = assessor.history_days(case.policy_id)
    if appt is None or not days:
        return []
    at = func.coalesce(Visit.checked_in_at, Visit.started_at)
    rows = session.scalars(select(Visit).where(Visit.case_id == case.id, at >= appt.start - dt.timedelta(days=days),
                                               at < appt.start).order_by(Visit.started_at))
    return [_history(v) for v in rows]
