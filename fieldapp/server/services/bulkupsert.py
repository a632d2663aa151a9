"""Create or update a batch of cases from validated rows with set operations: the same
outcome as `caseupsert.upsert_case` row after row, in a fixed number of statements per
batch (INSERT ... ON CONFLICT on PostgreSQL and SQLite).

Per batch: one SELECT each for the cases, customers, appointments and imported notifications
the rows touch; one upsert each into customers, cases, appointments and notifications (plus a
DELETE of notifications the rows no longer list); then `batchdocs.finish_batch` writes the
documents, change rows, assignment periods and audit entries of the whole batch at once.

Rules kept from the row-by-row path: agents by username (casefolded); a changed agent leaves
a tombstone and an ended assignment period for the former one; a closed case tombstones its
agent; an appointment fieldapp arranges itself is not overwritten by the file; a customer
whose details changed changes the other open cases of that customer too.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.server.compliance import Assessor
from fieldapp.server.models import Appointment, Case, Customer, Notification
from fieldapp.server.services.batchdocs import Change, Ended, document_of, finish_batch, insert_for, write_many
from fieldapp.server.services.caseupsert import CaseRow
from fieldapp.server.services.records import current_appointment

_FACTS = ("name", "phone", "email", "id_tail", "address", "lat", "lon", "timezone", "region", "language",
          "flags")
_CASE_UPDATE = ("reference", "customer_id", "amount_due", "currency", "days_past_due", "tier", "product",
                "policy_id", "status", "source_hash", "assigned_agent_id", "assigned_at", "updated_at")


def _random_ids() -> Iterator[str]:
    """Random (version 4) UUIDs as models.new_id makes them, from one system call per 1,000."""
    while True:
        raw = os.urandom(16_000)
        for i in range(0, 16_000, 16):
            yield str(uuid.UUID(bytes=raw[i:i + 16], version=4))


_IDS = _random_ids()
_IDS_LOCK = threading.Lock()


def _new_id() -> str:
    with _IDS_LOCK:  # a generator may not be advanced by two threads at once
        return next(_IDS)


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    flagged: list[tuple[str, str]] = field(default_factory=list)  # (external_id, why)
    changes: int = 0


def upsert_rows(session: Session, items: Sequence[tuple[CaseRow, str]], agents: dict[str, str],
                actor_id: str | None = None, assessor: Any = None) -> BatchResult:
    """Write `items` ((row, fingerprint), external ids unique, each row changed) in one go.
    `agents` maps casefolded usernames to user ids. Nothing is committed."""
    result = BatchResult()
    assessor = assessor or Assessor()
    if not items:
        return result
    session.flush()  # whatever the session holds goes first (geocoder answers...)
    now = utcnow()
    cases_t, customers_t = Case.__table__, Customer.__table__
    ext_ids = [row.external_id for row, _ in items]
    before = {r.external_id: r for r in session.execute(
        select(cases_t.c.id, cases_t.c.external_id, cases_t.c.customer_id, cases_t.c.status,
               cases_t.c.assigned_agent_id, cases_t.c.assigned_at, cases_t.c.created_at)
        .where(cases_t.c.external_id.in_(ext_ids)))}

    # Customers: the last row of a customer wins, as it would row after row.
    refs = {row.external_id: row.customer_ref or f"case:{row.external_id}" for row, _ in items}
    old_customers = {r.external_ref: r for r in session.execute(
        select(customers_t.c.id, customers_t.c.external_ref, *(customers_t.c[f] for f in _FACTS))
        .where(customers_t.c.external_ref.in_(set(refs.values()))))}
    wanted: dict[str, dict[str, Any]] = {}
    for row, _ in items:
        ref = refs[row.external_id]
        old = old_customers.get(ref)
        wanted[ref] = dict(id=old.id if old else wanted.get(ref, {}).get("id") or _new_id(), external_ref=ref,
                           name=row.customer_name, phone=row.phone, email=row.email, id_tail=row.id_tail,
                           address=row.address, lat=row.lat, lon=row.lon, timezone=row.timezone,
                           region=row.region, language=row.language, flags=sorted(set(row.flags)),
                           updated_at=now)
    stmt = insert_for(session, customers_t)
    stmt = stmt.on_conflict_do_update(index_elements=[customers_t.c.external_ref],
                                      set_={f: stmt.excluded[f] for f in (*_FACTS, "updated_at")})
    write_many(session, stmt, list(wanted.values()))
    # The ids chosen above (a customer created meanwhile by another import makes the cases'
    # foreign key fail and this import roll back, rather than attach to a wrong row).
    customer_ids = {ref: values["id"] for ref, values in wanted.items()}
    changed_customers = [customer_ids[ref] for ref, old in old_customers.items()
                         if tuple(getattr(old, f) for f in _FACTS[:-1]) + (list(old.flags or []),)
                         != tuple(wanted[ref][f] for f in _FACTS)]

    # Cases, with who holds them: a tombstone and an ended period for a former agent.
    changes: list[Change] = []
    ended: list[Ended] = []
    case_values: list[dict[str, Any]] = []
    audit: list[tuple[str, str, str | None]] = []
    for row, fingerprint in items:
        old = before.get(row.external_id)
        case_id = old.id if old else _new_id()
        agent_id = agents.get(row.agent.casefold()) if row.agent else None
        status = row.status or (old.status if old else "open")
        assigned_at = old.assigned_at if old else None
        former = old.assigned_agent_id if old else None
        if former is not None and former != agent_id:
            changes.append(Change(former, case_id, "tombstone", "unassigned"))
            ended.append(Ended(case_id, former, assigned_at or old.created_at, len(changes) - 1, "unassigned"))
            assigned_at = None
        if agent_id is not None:
            if status == "open":
                assigned_at = assigned_at or now
                changes.append(Change(agent_id, case_id, "upsert", None))
            else:
                changes.append(Change(agent_id, case_id, "tombstone", "closed"))
                if assigned_at is not None:
                    ended.append(Ended(case_id, agent_id, assigned_at, len(changes) - 1, "closed"))
                    assigned_at = None
        case_values.append(dict(
            id=case_id, external_id=row.external_id, reference=row.reference or row.external_id,
            customer_id=customer_ids[refs[row.external_id]], amount_due=row.amount_due, currency=row.currency,
            days_past_due=row.days_past_due, tier=row.tier, product=row.product, policy_id=row.policy_id,
            status=status, source_hash=fingerprint, assigned_agent_id=agent_id, assigned_at=assigned_at,
            created_at=old.created_at if old else now, updated_at=now))
        audit.append(("case.updated" if old else "case.imported", case_id, agent_id))
        if old:
            result.updated += 1
        else:
            result.created += 1
    ids = {v["external_id"]: v["id"] for v in case_values}
    appointments = _appointments(session, items, ids, before, now)
    notifications, gone = _notifications(session, items, ids, before)
    # New cases get their documents from memory, written with the case; the others are
    # read back once everything is written.
    built = _new_cases([v for v in case_values if v["external_id"] not in before],
                       {c["id"]: c for c in wanted.values()}, appointments, notifications)
    flagged: list[tuple[str, str]] = []
    for values in case_values:
        values["document"] = values["document_stamp"] = None
        if (case := built.get(values["id"])) is not None:
            values["document"], values["document_stamp"], why = document_of(case, assessor)
            if why is not None:
                flagged.append((case.external_id, why))
    stmt = insert_for(session, cases_t)
    stmt = stmt.on_conflict_do_update(index_elements=[cases_t.c.external_id],
                                      set_={c: stmt.excluded[c] for c in _CASE_UPDATE})
    write_many(session, stmt, case_values)
    _upsert(session, Appointment.__table__, appointments, ("start", "end", "status"))
    if gone:
        session.execute(delete(Notification.__table__).where(Notification.__table__.c.id.in_(gone)))
    _upsert(session, Notification.__table__, notifications, ("delivered_at",))
    result.flagged, result.changes = finish_batch(
        session, [v["id"] for v in case_values], [v["id"] for v in case_values if v["id"] not in built],
        changed_customers, changes, ended, audit, actor_id, now, assessor)
    result.flagged += flagged
    return result


def _upsert(session: Session, table: Any, values: list[dict[str, Any]], columns: Sequence[str]) -> None:
    """INSERT these rows; a row whose id exists updates `columns`."""
    if values:
        stmt = insert_for(session, table)
        stmt = stmt.on_conflict_do_update(index_elements=[table.c.id],
                                          set_={c: stmt.excluded[c] for c in columns})
        write_many(session, stmt, values)


def _new_cases(cases: list[dict[str, Any]], customers: dict[str, dict[str, Any]],
               appointments: list[dict[str, Any]], notifications: list[dict[str, Any]]) -> dict[str, Any]:
    """New cases as `case_record` reads them, from the values just written (as the database
    gives them back: times in UTC), so their documents need no reading back. A new case has
    no visits and no notice of fieldapp's own."""
    utc = dt.timezone.utc
    out: dict[str, Any] = {}
    for values in cases:
        customer = customers[values["customer_id"]]
        out[values["id"]] = SimpleNamespace(
            **values, customer=SimpleNamespace(**customer), visits=[], appointments=[], notifications=[],
            contact_attempts=[])
    for a in appointments:
        if (case := out.get(a["case_id"])) is not None:
            case.appointments.append(SimpleNamespace(
                id=a["id"], start=a["start"].astimezone(utc), end=a["end"].astimezone(utc),
                                status=a["status"], state=a["state"], created_at=a["created_at"], state_at=None,
                                requested_start=None, requested_end=None))
    for n in notifications:
        if (case := out.get(n["case_id"])) is not None:
            delivered = n["delivered_at"]
            case.notifications.append(SimpleNamespace(
                id=n["id"], channel=n["channel"], sent_at=n["sent_at"].astimezone(utc), appointment_id=None,
                delivered_at=delivered.astimezone(utc) if delivered is not None else None))
    for case in out.values():
        case.appointments.sort(key=lambda a: a.start)
        case.notifications.sort(key=lambda n: n.sent_at)
    return out


def _appointments(session: Session, items: Sequence[tuple[CaseRow, str]], ids: dict[str, str],
                  before: dict[str, Any], now: dt.datetime) -> None:
    table = Appointment.__table__
    existing: dict[str, list[Any]] = {}
    old_ids = [ids[ext] for ext in before]
    if old_ids:
        for a in session.execute(select(table.c.id, table.c.case_id, table.c.start, table.c.end, table.c.status,
                                        table.c.state, table.c.created_at).where(table.c.case_id.in_(old_ids))):
            existing.setdefault(a.case_id, []).append(a)
    values: list[dict[str, Any]] = []
    for row, _ in items:
        case_id = ids[row.external_id]
        mine = existing.get(case_id, [])
        if any(a.status == "scheduled" and a.state != "arranged" for a in mine):
            continue  # fieldapp arranges this case's appointment now; the file's columns no longer apply
        current = current_appointment(mine)
        scheduled = current if current is not None and current.status == "scheduled" else None
        if row.appointment is None:
            if scheduled is not None:
                values.append(dict(id=scheduled.id, case_id=case_id, start=scheduled.start, end=scheduled.end,
                                   status="cancelled", created_at=scheduled.created_at, state=scheduled.state))
            continue
        start, end = row.appointment
        if scheduled is not None:
            values.append(dict(id=scheduled.id, case_id=case_id, start=start, end=end, status="scheduled",
                               created_at=scheduled.created_at, state=scheduled.state))
        else:
            values.append(dict(id=_new_id(), case_id=case_id, start=start, end=end, status="scheduled",
                               created_at=now, state="arranged"))
    return values


def _notifications(session: Session, items: Sequence[tuple[CaseRow, str]], ids: dict[str, str],
                   before: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    table = Notification.__table__
    existing: dict[str, list[Any]] = {}
    old_ids = [ids[ext] for ext in before]
    if old_ids:
        for n in session.execute(select(table.c.id, table.c.case_id, table.c.channel, table.c.sent_at,
                                        table.c.delivered_at)
                                 .where(table.c.case_id.in_(old_ids), table.c.notice_id.is_(None))):
            existing.setdefault(n.case_id, []).append(n)
    values: list[dict[str, Any]] = []
    gone: list[str] = []
    for row, _ in items:
        case_id = ids[row.external_id]
        wanted = {(ch, sent.astimezone(dt.timezone.utc)): delivered for ch, sent, delivered in row.notifications}
        for old in existing.get(case_id, []):
            key = (old.channel, old.sent_at)
            if key in wanted:
                delivered = wanted.pop(key)
                if delivered != old.delivered_at:
                    values.append(dict(id=old.id, case_id=case_id, channel=old.channel, sent_at=old.sent_at,
                                       delivered_at=delivered))
            else:
                gone.append(old.id)
        for (channel, sent), delivered in wanted.items():
            values.append(dict(id=_new_id(), case_id=case_id, channel=channel, sent_at=sent,
                               delivered_at=delivered))
    return values, gone
