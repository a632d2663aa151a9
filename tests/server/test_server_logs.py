"""The server's log during a real sync: `fieldapp server run` (two workers) in a
subprocess, an agent's laptop (a real AgentService store) signing in, pulling, recording
visits with notes, a promise and a signed agreement, pushing them; a wrong password; a
refused request. Every line the server wrote is one JSON object; none carries the
customers' names, phone numbers, addresses or amounts, the visit notes or a password; and
the request id the laptop's error names is the id of the server's line about it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from decimal import Decimal

import pytest

from fieldapp.core.canonical import content_hash
from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import LoginRequest, VisitRecord
from fieldapp.server.db import make_engine, session_factory
from fieldapp.sync.errors import BadCredentials, RequestRefused
from fieldapp.sync.service import AgentService
from fieldapp.sync.transport import RetryPolicy, Transport

from .kit import add_case, make_people, password
from .ops_kit import ServerProcess

CUSTOMERS = [  # (name, phone, address, amount)
    ("张秀英", "13912345678", "上海市浦东新区世纪大道100号", Decimal("8765.43")),
    ("Margaret Thornbury", "+1 617 555 0142", "42 Beacon Street, Boston", Decimal("5120.77")),
    ("欧阳建国", "13087654321", "南京市秦淮区夫子庙路8号", Decimal("23456.10")),
]
NOTES = "客户说下周五还款，孩子生病了"
PROMISE = "321.09"
FAST = RetryPolicy(attempts=2, backoff_s=0.01, backoff_max_s=0.02)


def _visit(case_id: str, **extra) -> VisitRecord:
    start = utcnow().replace(microsecond=0) - dt.timedelta(hours=1)
    return VisitRecord.model_validate({
        "visit_id": extra.pop("visit_id", None) or hashlib.sha256(case_id.encode()).hexdigest()[:32],
        "case_id": case_id, "agent_started_at": start.isoformat(), "checked_in_at": start.isoformat(),
        "ended_at": (start + dt.timedelta(minutes=30)).isoformat(),
        "location": {"lat": 32.0605, "lon": 118.7971, "accuracy_m": 12.0}, "distance_m": 20.0,
        "outcome": "promise_to_pay", "contact_made": True, "notes": NOTES,
        "promise": {"amount": PROMISE, "currency": "CNY", "due_date": "2030-12-09"}, **extra})


def _agreement(case_id: str, amount: Decimal) -> tuple[VisitRecord, dict[str, bytes]]:
    pdf = b"%PDF-1.7\n" + CUSTOMERS[0][0].encode() + b"\n%%EOF"
    sig = b"\x89PNG\r\nsignature strokes"
    files = {hashlib.sha256(b).hexdigest(): b for b in (pdf, sig)}
    half = str((amount / 2).quantize(Decimal("0.01")))
    terms = {"debtor": CUSTOMERS[0][0], "total": str(amount), "currency": "CNY",
             "schedule": [{"due": "2030-12-01", "amount": half}, {"due": "2031-01-01", "amount": half}]}
    agreement = {"agreement_id": "AG-LOG-1", "terms": terms, "terms_sha256": content_hash(terms),
                 "pdf_sha256": hashlib.sha256(pdf).hexdigest(), "total": str(amount), "currency": "CNY",
                 "signatures": [{"role": "customer", "sha256": hashlib.sha256(sig).hexdigest(),
                                 "captured_at": utcnow().replace(microsecond=0).isoformat()}]}
    return _visit(case_id, visit_id="visit-with-agreement-0001", outcome="agreement_signed", promise=None,
                  agreement=agreement), files


def _forbidden_strings() -> list[str]:
    out = [NOTES, NOTES[:6], PROMISE, password("agent1"), "wrong horse battery"]
    for name, phone, address, amount in CUSTOMERS:
        digits = re.sub(r"\D", "", phone)
        out += [name, phone, digits, digits[-8:], address, address[:6], str(amount), f"{amount:.1f}",
                str(amount).replace(".", "")]
    return out


def test_every_line_is_json_and_none_carries_personal_data(db_url, tmp_path):
    engine = make_engine(db_url)
    with session_factory(engine)() as s, s.begin():
        make_people(s)
        ids = [add_case(s, f"LOG-{i}", "agent1", customer_name=name, phone=phone, address=address,
                        amount_due=amount) for i, (name, phone, address, amount) in enumerate(CUSTOMERS)]
        add_case(s, "LOG-X", "agent2")
    engine.dispose()

    with ServerProcess(db_url, tmp_path, workers=2, env={"FIELDAPP_SERVER_LOG_LEVEL": "debug"}) as server:
        laptop = AgentService(store_path=tmp_path / "laptop.sqlite3", retry=FAST, timeout_s=10)
        try:
            laptop.login(server.url, "agent1", password("agent1"))
            assert laptop.sync().pulled_upserts == 3
            laptop.record_visit(_visit(ids[1]))
            visit, files = _agreement(ids[0], CUSTOMERS[0][3])
            laptop.record_visit(visit, files)
            summary = laptop.sync()
            assert (summary.pushed_accepted, summary.attachments_uploaded, summary.rejected) == (2, 2, [])
        finally:
            laptop.close()
        other = AgentService(store_path=tmp_path / "other.sqlite3", retry=FAST, timeout_s=10)
        with pytest.raises(BadCredentials):
            other.login(server.url, "agent1", "wrong horse battery")
        other.close()
        transport = Transport(server.url, retry=FAST)
        token = transport.login(LoginRequest(username="agent1", password=password("agent1"),
                                             device_id="support-call-device")).token
        with pytest.raises(RequestRefused) as refused:
            transport.get_attachment(token, "0" * 64)
        transport.close()

    lines = server.log_lines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(isinstance(r, dict) and {"ts", "level", "logger", "msg"} <= r.keys() for r in records)
    text = "\n".join(lines)
    leaks = [s for s in _forbidden_strings() if s in text]
    assert leaks == []
    assert token not in text

    access = [r for r in records if r["logger"] == "fieldapp.access"]
    assert {r["route"] for r in access} >= {"/api/v1/auth/login", "/api/v1/sync/pull", "/api/v1/sync/push",
                                            "/api/v1/attachments/{sha256}", "/api/v1/meta"}
    assert all(re.fullmatch(r"[0-9a-f]{32}", r["request_id"]) and isinstance(r["status"], int)
               and isinstance(r["duration_ms"], float) for r in access)
    pushes = [r for r in access if r["route"] == "/api/v1/sync/push"]
    assert pushes and all(r.get("user_id") for r in pushes)
    assert any(r["route"] == "/api/v1/auth/login" and r["status"] == 401 and "user_id" not in r for r in access)
    assert {r["logger"] for r in records} >= {"uvicorn.error", "fieldapp.access"}

    # The laptop's error names the request; the server's line about it has that id.
    exc = refused.value
    assert exc.request_id and f"(request id {exc.request_id})" in str(exc)
    line = next(r for r in access if r["request_id"] == exc.request_id)
    assert (line["route"], line["status"]) == ("/api/v1/attachments/{sha256}", 404)
