"""The trust chain end to end on a real server: a laptop enrols at first login, signs an
agreement offline with its device key, the server verifies and seals it on receipt, the
/verify page vouches for it, revoking the device revokes its certificate, and an
administrator opens the handwriting evidence."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid

import httpx
from cryptography.hazmat.primitives.serialization import Encoding
import pytest
import serverdata
from visitdata import visit_record

from fieldapp.cli import main
from fieldapp.core.resources import resource_path
from fieldapp.documents import evidence, pki
from fieldapp.documents.agreement import build_agreement_pdf
from fieldapp.documents.signing import sign_pdf
from fieldapp.documents.terms import parse_terms
from fieldapp.documents.verify import verify_pdf
from fieldapp.server.testing import LiveServer

PASSPHRASE = "a long test passphrase"


@pytest.fixture(scope="module")
def ca_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ca-server")
    with LiveServer(f"sqlite:///{folder / 'server.db'}", ca_passphrase=PASSPHRASE) as live:
        from fieldapp.server.services import signing

        with live.session() as s, s.begin():
            signing.init_authority(s, PASSPHRASE.encode(), "Nanjing Demo Bank")
        yield live


def _agent(server, cases: int = 1):
    name = f"agent-{uuid.uuid4().hex[:8]}"
    with server.session() as s, s.begin():
        serverdata.add_agent(s, name)
        ids = serverdata.add_cases(s, name, cases, "S")
    return name, ids


def _signed_visit(svc, case_id: str, app_clock, *, signer=None):
    """A visit with a real agreement PDF signed by this laptop (or by `signer`)."""
    from fieldapp.ui.visit.record import Agreement, SignatureCapture

    setup = svc.signing_setup()
    data = json.loads(resource_path("demo", "terms_example.json").read_text(encoding="utf-8"))
    data["agreement_id"] = "AGR-" + uuid.uuid4().hex[:12].upper()
    terms = parse_terms(data, base_dir=resource_path("demo"))
    now = app_clock()
    envelopes = {}
    for role, sig in terms.signatures.items():
        writing = evidence.Handwriting(420, 160, (((10.0, 20.0, 0, 0.5), (60.0, 40.0, 120, 0.7),
                                                   (120.0, 30.0, 260, 0.6)),), now, True)
        envelopes[role] = evidence.seal(writing, evidence.load_public_key(setup.evidence_key_pem),
                                        evidence.context(terms.agreement_id, role, sig.sha256))
    pdf = build_agreement_pdf(terms, "both", created=now, verify_url=setup.verify_url, evidence=envelopes)
    pdf = sign_pdf(pdf, signer or setup.signer, now=now)
    agreement = Agreement(terms, pdf)
    captures = {role: SignatureCapture(role, s.png, s.captured_at) for role, s in terms.signatures.items()}
    record = visit_record(case_id, outcome="agreement_signed", promise=None,
                          agreement=agreement.record(captures).model_dump(mode="json"))
    return record, agreement.attachments(captures), terms


def test_enrol_sign_push_seal_verify_revoke(ca_server, make_service, app_clock, tmp_path, capsys):
    name, (case_id,) = _agent(ca_server)
    svc = make_service()
    svc.login(ca_server.url, name, serverdata.PASSWORD)
    setup = svc.signing_setup()
    assert setup is not None, "the laptop enrols at its first login"
    holder = setup.signer.holder
    assert (holder.username, holder.device_id, holder.institution) == (name, svc.store.meta().device_id,
                                                                       "Nanjing Demo Bank")
    assert setup.verify_url == ca_server.url and setup.signer.crls
    svc.sync()

    record, files, terms = _signed_visit(svc, case_id, app_clock)
    svc.record_visit(record, files)
    summary = svc.sync()
    assert [r.state for r in svc.outbox()] == ["accepted"], summary

    from fieldapp.server.models import Attachment
    from fieldapp.server.services.receipts import documents_of_visit

    with ca_server.session() as s:
        (doc,) = documents_of_visit(s, record.visit_id)
        assert doc.status == "sealed" and doc.received_sha256 == record.agreement.pdf_sha256
        sealed = s.get(Attachment, doc.sealed_sha256).content
        received_at = doc.received_at
    root = pki.load_cert(httpx.get(ca_server.url + "/api/v1/pki/root.pem").content)
    verdict = verify_pdf(sealed, trust=[root])
    assert verdict.intact, verdict.problems
    assert verdict.received_at.replace(microsecond=0) == received_at.replace(microsecond=0)
    assert verdict.device_id == holder.device_id

    # the QR code's link: authentic, with no personal data on the page
    page = httpx.get(f"{ca_server.url}/verify/{terms.sha256}")
    assert page.status_code == 200 and 'data-status="authentic"' in page.text and "真实文件" in page.text
    assert terms.customer.name not in page.text and "12,345.67" not in page.text
    status = httpx.get(f"{ca_server.url}/verify/{hashlib.sha256(sealed).hexdigest()}?format=json").json()
    assert status["status"] == "authentic" and status["kind"] == "agreement"
    assert httpx.get(f"{ca_server.url}/verify/{'0' * 64}?format=json").json()["status"] == "unknown"
    assert httpx.get(f"{ca_server.url}/verify/not-a-hash").status_code == 422

    # the administrator opens the customer's handwriting for a dispute
    db = ["--db", ca_server.database_url]
    sealed_file = tmp_path / "sealed.pdf"
    sealed_file.write_bytes(sealed)
    capsys.readouterr()
    import os

    os.environ["FIELDAPP_SERVER_CA_PASSPHRASE"] = PASSPHRASE
    try:
        assert main(["server", "evidence", "show", str(sealed_file), "-o", str(tmp_path / "ink.png"), *db]) == 0
        assert "1 strokes, 3 points, 0.3 s" in capsys.readouterr().out
        assert (tmp_path / "ink.png").read_bytes().startswith(b"\x89PNG")
        # the laptop was lost an hour before the document reached the server
        since = (received_at - dt.timedelta(hours=1)).isoformat()
        assert main(["server", "revoke-device", name, holder.device_id, "--since", since, *db]) == 0
        crl_file = tmp_path / "crl.pem"
        assert main(["server", "ca", "export-crl", "-o", str(crl_file), *db]) == 0
    finally:
        del os.environ["FIELDAPP_SERVER_CA_PASSPHRASE"]
    crl = pki.load_crl(httpx.get(ca_server.url + "/api/v1/pki/crl").content)
    assert pki.revocation_of(crl, setup.signer.cert.serial_number) is not None
    assert httpx.get(f"{ca_server.url}/verify/{terms.sha256}?format=json").json()["status"] == "revoked"
    late = verify_pdf(sealed, trust=[root], crls=[crl.public_bytes(Encoding.DER)])
    assert not late.intact and "revoked (compromised since" in late.problems[0]


def test_a_pdf_signed_by_someone_else_is_refused(ca_server, make_service, app_clock, test_pki):
    name, (case_id,) = _agent(ca_server)
    svc = make_service()
    svc.login(ca_server.url, name, serverdata.PASSWORD)
    svc.sync()
    record, files, _ = _signed_visit(svc, case_id, app_clock, signer=test_pki.signer)
    svc.record_visit(record, files)
    svc.sync()
    (row,) = svc.outbox()
    assert row.state == "rejected" and row.code == "bad_signature"
    assert "another authority" in row.reason


def test_enrolment_is_idempotent_and_needs_a_ca(tmp_path, make_service):
    from fieldapp.sync.enrol import ensure_enrolled

    with LiveServer(f"sqlite:///{tmp_path / 'plain.db'}") as plain:
        name, _ = _agent(plain, 0)
        svc = make_service("plain.sqlite3")
        svc.login(plain.url, name, serverdata.PASSWORD)   # no CA: the login works, nothing is signed
        assert svc.signing_setup() is None
        assert httpx.post(plain.url + "/api/v1/devices/certificate", json={"csr_pem": "x" * 200},
                          headers={"Authorization": "Bearer nope"}).status_code == 401
        transport = svc._transport_for(plain.url)
        assert ensure_enrolled(svc.store, transport, svc._token) is False


def test_a_cases_signed_documents_are_listed_and_checked_on_the_laptop(ca_server, make_service, app_clock):
    name, (case_id,) = _agent(ca_server)
    svc = make_service()
    svc.login(ca_server.url, name, serverdata.PASSWORD)
    svc.sync()
    assert svc.case_documents(case_id) == []
    record, files, terms = _signed_visit(svc, case_id, app_clock)
    svc.record_visit(record, files)
    (row,) = svc.case_documents(case_id)
    assert (row.visit_id, row.agreement_id, row.signed, row.state) == (record.visit_id, terms.agreement_id,
                                                                       True, "waiting")
    verdict = svc.check_document(svc.attachment(row.pdf_sha256))
    assert verdict.intact, verdict.problems
    svc.sync()
    assert svc.case_documents(case_id)[0].state == "accepted"
