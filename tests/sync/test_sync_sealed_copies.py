"""The customer's copy after a real loopback sync: the laptop keeps the agreement and the
visit report it signed, the server seals both on receipt, and the next sync brings the
sealed copies back to the laptop, which then shows those (verified, with the receipt time)."""

from __future__ import annotations

import hashlib

import httpx
import serverdata
from test_sync_signing import _agent, _signed_visit, ca_server  # noqa: F401 - the module's server

from fieldapp.documents.signing import sign_pdf
from fieldapp.documents.visit_report import build_visit_report
from fieldapp.server.models import Attachment
from fieldapp.server.services.receipts import documents_of_visit


def _report(svc, record, now, signer=None) -> bytes:
    data = {"visit_id": record.visit_id,
            "case": {"reference": "S-1", "customer_name": "Wang Fang", "address": "1 River Road, Nanjing",
                     "amount_due": "1200.00", "currency": "CNY"},
            "agent": {"name": "Li Qiang", "id": "A-1"}, "timezone": "Asia/Shanghai",
            "decision": {"allowed": True, "policy": {"id": "seed", "version": "1"}, "results": []},
            "transcript": [], "outcome": {"code": "agreement_signed", "notes": "", "promise": None},
            "location": None, "agreement": {"id": record.agreement.agreement_id, "sha256": record.agreement.pdf_sha256}}
    return sign_pdf(build_visit_report(data, "en"), signer or svc.signing_setup().signer, now=now)


def test_the_sealed_copies_come_back_after_the_sync(ca_server, make_service, app_clock):  # noqa: F811
    name, (case_id,) = _agent(ca_server)
    svc = make_service()
    svc.login(ca_server.url, name, serverdata.PASSWORD)
    svc.sync()
    record, files, _terms = _signed_visit(svc, case_id, app_clock)
    report = _report(svc, record, app_clock())
    report_sha = hashlib.sha256(report).hexdigest()
    record = record.model_copy(update={"report_sha256": report_sha})
    svc.record_visit(record, {**files, report_sha: report})

    rows = svc.documents(case_id)
    assert [(r.visit_id, r.kind, r.sealed_sha256) for r in rows] == [
        (record.visit_id, "agreement", None), (record.visit_id, "visit_report", None)]
    row, data, verdict = svc.document(record.visit_id, "visit_report")
    assert data == report and verdict.intact and verdict.received_at is None      # the laptop's copy

    svc.sync()
    assert [r.state for r in svc.outbox()] == ["accepted"]
    with ca_server.session() as s:
        sealed = {d.kind: s.get(Attachment, d.sealed_sha256).content for d in documents_of_visit(s, record.visit_id)}
    assert set(sealed) == {"agreement", "visit_report"}
    for kind in ("agreement", "visit_report"):
        row, data, verdict = svc.document(record.visit_id, kind)
        assert row.sealed_sha256 == hashlib.sha256(sealed[kind]).hexdigest() and data == sealed[kind]
        assert verdict.intact, verdict.problems
        assert verdict.received_at is not None and verdict.signer is not None
    assert data.startswith(report)                    # the seal is an incremental update of the same file

    with svc.store.read() as s:                       # nothing is asked for again at the next sync
        from fieldapp.store import documents

        assert documents.awaiting_seal(s) == []
    with svc.store.write() as s:                      # as on a laptop that recorded it before the list existed
        from sqlalchemy import delete

        from fieldapp.store.models import Document

        s.execute(delete(Document))
    assert [(r.visit_id, r.kind, r.sealed_sha256) for r in svc.documents(case_id)] == [
        (record.visit_id, "agreement", None), (record.visit_id, "visit_report", None)]
    svc.sync()                                        # and the sealed copies come again
    assert all(r.sealed_sha256 for r in svc.documents(case_id))
    other, _ = _agent(ca_server, 0)
    token = httpx.post(ca_server.url + "/api/v1/auth/login", json={
        "username": other, "password": serverdata.PASSWORD, "device_id": "other-laptop"}).json()["token"]
    r = httpx.get(f"{ca_server.url}/api/v1/visits/{record.visit_id}/documents/agreement",
                  headers={"Authorization": f"Bearer {token}", "X-Fieldapp-Api": "1"})
    assert r.status_code == 403


def test_a_report_signed_by_a_foreign_authority_is_refused_with_its_visit(ca_server, make_service,  # noqa: F811
                                                                          app_clock, test_pki):
    name, (case_id,) = _agent(ca_server)
    svc = make_service()
    svc.login(ca_server.url, name, serverdata.PASSWORD)
    svc.sync()
    record, files, _terms = _signed_visit(svc, case_id, app_clock)
    report = _report(svc, record, app_clock(), signer=test_pki.signer)
    report_sha = hashlib.sha256(report).hexdigest()
    svc.record_visit(record.model_copy(update={"report_sha256": report_sha}), {**files, report_sha: report})
    svc.sync()
    (row,) = svc.outbox()
    assert row.state == "rejected" and row.code == "bad_signature"
    assert row.reason.startswith("The visit report PDF is refused")
    assert all(d.sealed_sha256 is None for d in svc.documents(case_id))
