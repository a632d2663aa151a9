"""Create or update one case from a validated row (CSV import, demo data, integrations).

Idempotent: a row whose fingerprint equals the case's `source_hash` changes nothing. A
changed row updates the case and its customer, appointment and notifications, and produces
one change for its agent (plus a tombstone for a former agent when the agent changed, and
a change for each other case of the customer when the customer's details changed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.core.canonical import content_hash
from fieldapp.core.timeutil import utcnow
from fieldapp.server import audit
from fieldapp.server.models import Appointment, Case, Customer, Notification, User
from fieldapp.server.services.changes import case_changed, case_unassigned
from fieldapp.server.services.records import current_appointment


@dataclass
class CaseRow:
    external_id: str
    customer_name: str
    address: str
    timezone: str
    region: str
    amount_due: Decimal
    currency: str
    days_past_due: int
    policy_id: str
    reference: str | None = None
    customer_ref: str | None = None
    phone: str | None = None
    email: str | None = None
    id_tail: str | None = None
    lat: float | None = None
    lon: float | None = None
    language: str | None = None
    tier: str | None = None
    product: str | None = None
    agent: str | None = None
    appointment: tuple[dt.datetime, dt.datetime] | None = None
    notifications: list[tuple[str, dt.datetime, dt.datetime | None]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    status: str | None = None  # None: keep (new cases open)

    def fingerprint(self) -> str:
        # The values of dataclasses.asdict(self) (the same hash as ever), without its deep copies.
        data = {f.name: getattr(self, f.name) for f in _FIELDS}
        data["lat"] = None if self.lat is None else f"{self.lat:.7f}"
        data["lon"] = None if self.lon is None else f"{self.lon:.7f}"
        return content_hash(data)


_FIELDS = dataclasses.fields(CaseRow)


def upsert_case(session: Session, row: CaseRow, agents: dict[str, User],
                actor_id: str | None = None, fingerprint: str | None = None) -> tuple[str, Case]:
    """('created' | 'updated' | 'unchanged', case). `agents` maps usernames (casefolded).

    `fingerprint` defaults to the row's; the importer passes the fingerprint of the row as
    written in the file (before geocoding), so an unchanged row needs no geocoder.
    """
    fingerprint = fingerprint or row.fingerprint()
    case = session.scalar(select(Case).where(Case.external_id == row.external_id))
    if case is not None and case.source_hash == fingerprint:
        return "unchanged", case
    now = utcnow()
    ref = row.customer_ref or f"case:{row.external_id}"
    customer = session.scalar(select(Customer).where(Customer.external_ref == ref))
    before = None if customer is None else _customer_facts(customer)
    if customer is None:
        customer = Customer(external_ref=ref)
        session.add(customer)
    customer.name, customer.phone, customer.id_tail = row.customer_name, row.phone, row.id_tail
    customer.email = row.email
    customer.address, customer.lat, customer.lon = row.address, row.lat, row.lon
    customer.timezone, customer.region, customer.language = row.timezone, row.region, row.language
    customer.flags = sorted(set(row.flags))
    customer.updated_at = now
    session.flush()
    # Other cases of this customer carry the customer too (in their documents and on
    # their agents' laptops): when the customer changed, they change as well.
    siblings = [] if before is None or before == _customer_facts(customer) else list(session.scalars(
        select(Case).where(Case.customer_id == customer.id, Case.external_id != row.external_id,
                           Case.status == "open").order_by(Case.id)))

    created = case is None
    if case is None:
        case = Case(external_id=row.external_id, status=row.status or "open", created_at=now)
        session.add(case)
    case.reference = row.reference or row.external_id
    case.customer_id = customer.id
    case.amount_due, case.currency = row.amount_due, row.currency
    case.days_past_due, case.tier, case.product = row.days_past_due, row.tier, row.product
    case.policy_id = row.policy_id
    if row.status:
        case.status = row.status
    case.source_hash = fingerprint
    session.flush()
    _sync_appointment(session, case, row, created)
    _sync_notifications(session, case, row, created)

    agent = agents.get(row.agent.casefold()) if row.agent else None
    former = case.assigned_agent_id
    case.assigned_agent_id = agent.id if agent else None
    session.flush()
    session.expire(case, ["agent", "customer", "appointments", "notifications"])
    if former is not None and former != case.assigned_agent_id:
        case_unassigned(session, case, former)
    case_changed(session, case)
    for sibling in siblings:
        session.expire(sibling, ["customer"])
        case_changed(session, sibling)
    audit.record(session, "case.imported" if created else "case.updated", "case", case.id, actor_id,
                 agent_id=case.assigned_agent_id)
    return ("created" if created else "updated"), case


def _customer_facts(customer: Customer) -> tuple:
    return (customer.name, customer.phone, customer.email, customer.id_tail, customer.address, customer.lat, customer.lon,
            customer.timezone, customer.region, customer.language, list(customer.flags or []))


def _sync_appointment(session: Session, case: Case, row: CaseRow, created: bool) -> None:
    if not created and any(a.status == "scheduled" and a.state != "arranged" for a in case.appointments):
        return  # fieldapp arranges this case's appointment now; the file's columns no longer apply
    current = None if created else current_appointment(case.appointments)
    scheduled = current if current is not None and current.status == "scheduled" else None
    if row.appointment is None:
        if scheduled is not None:
            scheduled.status = "cancelled"
        return
    start, end = row.appointment
    if scheduled is not None:
        scheduled.start, scheduled.end = start, end
    else:
        session.add(Appointment(case_id=case.id, start=start, end=end, status="scheduled",
                                created_at=utcnow()))


def _sync_notifications(session: Session, case: Case, row: CaseRow, created: bool) -> None:
    wanted = {(ch, sent.astimezone(dt.timezone.utc)): delivered for ch, sent, delivered in row.notifications}
    for existing in ([] if created else [n for n in case.notifications if n.notice_id is None]):
        key = (existing.channel, existing.sent_at)
        if key in wanted:
            existing.delivered_at = wanted.pop(key)
        else:
            session.delete(existing)
    for (channel, sent), delivered in wanted.items():
        session.add(Notification(case_id=case.id, channel=channel, sent_at=sent, delivered_at=delivered))
    session.flush()
