"""Wire records to feed the store in tests (what a pull would bring)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from fieldapp.protocol.v1 import CaseRecord, Change, VisitRecord

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)


def case_record(i: int, *, name: str | None = None, tasks: list[dict] | None = None,
                amount: str = "1234.50") -> CaseRecord:
    return CaseRecord.model_validate({
        "id": f"case-{i:05d}", "external_id": f"ext-{i}", "reference": f"REF-{i:05d}", "status": "open",
        "customer": {"id": f"cust-{i}", "name": name or f"Zhang Wei {i}", "phone": "+86 138 0013 8000",
                     "id_tail": "4321", "address": f"{i} Zhongshan Road, Nanjing",
                     "location": {"lat": 32.0603, "lon": 118.7969}, "timezone": "Asia/Shanghai",
                     "region": "CN", "flags": ["vulnerable"] if i % 7 == 0 else []},
        "amount_due": amount, "currency": "CNY", "days_past_due": 90 + i, "tier": "A",
        "policy_id": "cn",
        "appointment": {"id": f"appt-{i}", "start": (T0 + dt.timedelta(hours=i)).isoformat(),
                        "end": (T0 + dt.timedelta(hours=i, minutes=45)).isoformat()},
        "notifications": [{"id": f"n-{i}", "channel": "sms", "sent_at": (T0 - dt.timedelta(days=2)).isoformat()}],
        "tasks": tasks or [],
        "compliance": {"allowed": True, "policy_id": "cn", "policy_version": "1", "summary": "all rules pass",
                       "decision": {"allowed": True}},
        "updated_at": T0.isoformat(),
    })


def upsert(seq: int, record: CaseRecord) -> Change:
    return Change(seq=seq, op="upsert", case_id=record.id, case=record)


def tombstone(seq: int, case_id: str, reason: str = "unassigned") -> Change:
    return Change(seq=seq, op="tombstone", case_id=case_id, reason=reason)


def task(i: int, visit_id: str = "visit-x") -> dict:
    return {"id": f"task-{i}", "kind": "visit_returned", "visit_id": visit_id,
            "comment": "Please add the customer's reason", "created_at": T0.isoformat(), "created_by": "lead1"}


def visit(case_id: str, *, notes: str = "Customer agreed to pay on Friday", visit_id: str | None = None,
          **extra) -> VisitRecord:
    return VisitRecord.model_validate({
        "visit_id": visit_id or str(uuid.uuid4()), "case_id": case_id,
        "agent_started_at": T0.isoformat(), "ended_at": (T0 + dt.timedelta(minutes=30)).isoformat(),
        "outcome": "promise_to_pay", "contact_made": True, "notes": notes,
        "promise": {"amount": "500.00", "currency": "CNY", "due_date": "2026-03-09"}, **extra})


def blob(text: str) -> tuple[str, bytes]:
    data = text.encode()
    return hashlib.sha256(data).hexdigest(), data
