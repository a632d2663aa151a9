"""Visits as the agent's app records them (no server imports: the kill test's client uses it)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from fieldapp.core.canonical import content_hash
from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import VisitRecord


def visit_record(case_id: str, *, notes: str = "Customer will pay on Friday", visit_id: str | None = None,
                 **extra):
    start = utcnow().replace(microsecond=0) - dt.timedelta(hours=1)
    return VisitRecord.model_validate({
        "visit_id": visit_id or str(uuid.uuid4()), "case_id": case_id,
        "agent_started_at": start.isoformat(), "checked_in_at": start.isoformat(),
        "ended_at": (start + dt.timedelta(minutes=40)).isoformat(),
        "location": {"lat": 32.0605, "lon": 118.7971, "accuracy_m": 12.0}, "distance_m": 25.5,
        "outcome": "promise_to_pay", "contact_made": True, "notes": notes,
        "promise": {"amount": "500.00", "currency": "CNY", "due_date": "2026-12-09"}, **extra})


def agreement_visit(case_id: str):
    """A visit with a signed agreement: (VisitRecord, attachments by sha256)."""
    pdf = b"%PDF-1.7\n" + uuid.uuid4().bytes + b"\nagreement body\n%%EOF"
    sigs = {role: b"\x89PNG\r\n" + role.encode() + uuid.uuid4().bytes for role in ("customer", "agent")}
    files = {hashlib.sha256(b).hexdigest(): b for b in (pdf, *sigs.values())}
    terms = {"debtor": "Customer", "total": "1200.00", "currency": "CNY",
             "schedule": [{"due": "2026-12-01", "amount": "600.00"}, {"due": "2027-01-01", "amount": "600.00"}]}
    now = utcnow().replace(microsecond=0).isoformat()
    agreement = {"agreement_id": str(uuid.uuid4()), "terms": terms, "terms_sha256": content_hash(terms),
                 "pdf_sha256": hashlib.sha256(pdf).hexdigest(), "total": "1200.00", "currency": "CNY",
                 "signatures": [{"role": role, "sha256": hashlib.sha256(b).hexdigest(), "captured_at": now}
                                for role, b in sigs.items()]}
    return visit_record(case_id, outcome="agreement_signed", promise=None, agreement=agreement), files
