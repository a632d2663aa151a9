"""PAdES signing and the verdict: a signed agreement verifies with the trusted root (and
pyHanko's own validator agrees), the server's seal adds a trustworthy receipt time, and
every wrong key, certificate, authority or revocation is refused with one clear reason."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from doc_builders import terms_dict

from fieldapp.core.errors import BadInput
from fieldapp.documents.agreement import build_agreement_pdf
from fieldapp.documents.signing import DocumentSigner, seal_pdf, sign_pdf
from fieldapp.documents.terms import parse_terms
from fieldapp.documents.verify import verify_pdf
from fieldapp.documents import authority as ca

SIGNED_AT = dt.datetime(2026, 3, 2, 2, 45, tzinfo=dt.timezone.utc)
RECEIVED_AT = SIGNED_AT + dt.timedelta(hours=5)
NOW = SIGNED_AT + dt.timedelta(days=30)


@pytest.fixture(scope="module")
def draft_pdf(terms) -> bytes:
    return build_agreement_pdf(terms, "both", created=SIGNED_AT)


@pytest.fixture(scope="module")
def signed_pdf(draft_pdf, test_pki) -> bytes:
    return sign_pdf(draft_pdf, test_pki.signer, now=SIGNED_AT, reason="test")


@pytest.fixture(scope="module")
def sealed_pdf(signed_pdf, test_pki) -> bytes:
    return seal_pdf(signed_pdf, tsa_key=test_pki.tsa_key, tsa_cert=test_pki.tsa, chain=(test_pki.root,),
                    crl=test_pki.crl, now=RECEIVED_AT)


def check(pdf: bytes, test_pki, **kw):
    kw.setdefault("trust", [test_pki.root])
    kw.setdefault("now", NOW)
    return verify_pdf(pdf, **kw)


def test_signed_agreement_is_intact_and_names_signer_device_and_time(signed_pdf, test_pki, terms):
    v = check(signed_pdf, test_pki)
    assert v.intact, v.problems
    assert (v.agreement_id, v.sha256) == (terms.agreement_id, terms.sha256)
    assert v.signer == "李强 (agent1), device laptop-0001, Nanjing Demo Bank" and v.device_id == "laptop-0001"
    assert v.signed_at == SIGNED_AT and v.received_at is None and v.crl_date is not None


def test_sealed_agreement_carries_the_servers_receipt_time(sealed_pdf, test_pki):
    v = check(sealed_pdf, test_pki)
    assert v.intact, v.problems
    assert v.received_at.replace(microsecond=0) == RECEIVED_AT and v.signed_at == SIGNED_AT
    assert [s.kind for s in v.signatures] == ["signature", "receipt"]
    assert v.warnings == [] and v.to_json()["warnings"] == []


def test_a_device_clock_ahead_of_the_receipt_is_noted_without_changing_the_verdict(signed_pdf, test_pki):
    """A laptop whose clock ran ahead claims a signing time after the server received the
    document: the bytes are sound (intact), and the verdict says which time to rely on."""
    early = seal_pdf(signed_pdf, tsa_key=test_pki.tsa_key, tsa_cert=test_pki.tsa, chain=(test_pki.root,),
                     crl=test_pki.crl, now=SIGNED_AT - dt.timedelta(hours=3))
    v = check(early, test_pki)
    assert v.intact, v.problems
    assert len(v.warnings) == 1 and "clock ran ahead" in v.warnings[0]
    assert "2026-03-02 02:45:00 UTC" in v.warnings[0] and "2026-03-01 23:45" in v.warnings[0]
    # seconds of difference are ordinary clock skew, not worth a note
    near = seal_pdf(signed_pdf, tsa_key=test_pki.tsa_key, tsa_cert=test_pki.tsa, chain=(test_pki.root,),
                    crl=test_pki.crl, now=SIGNED_AT - dt.timedelta(seconds=30))
    assert check(near, test_pki).warnings == []


def test_pyhanko_own_validator_accepts_the_untouched_files(signed_pdf, sealed_pdf, test_pki):
    from asn1crypto import x509 as ax509
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko_certvalidator import ValidationContext

    root = ax509.Certificate.load(test_pki.root.public_bytes(Encoding.DER))
    for pdf in (signed_pdf, sealed_pdf):
        reader = PdfFileReader(io.BytesIO(pdf))
        first = reader.embedded_signatures[0]
        status = validate_pdf_signature(first, ValidationContext(trust_roots=[root]))
        assert status.bottom_line, status.pretty_print_details()
    stamp = PdfFileReader(io.BytesIO(sealed_pdf)).embedded_signatures[1]
    status = validate_pdf_timestamp(stamp, validation_context=ValidationContext(trust_roots=[root]))
    assert status.intact and status.valid and status.trusted


def test_a_draft_is_unsigned(draft_pdf, test_pki):
    v = check(draft_pdf, test_pki)
    assert v.status == "unsigned" and not v.intact


def test_without_a_trusted_root_nothing_is_intact(signed_pdf, test_pki):
    v = verify_pdf(signed_pdf, now=NOW)
    assert not v.intact and "no trusted root was given" in v.problems[0]


def test_a_foreign_authority_is_refused(signed_pdf, test_pki):
    other_key, other_root = ca.make_root("Some Other Bank", dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc))
    v = check(signed_pdf, test_pki, trust=[other_root])
    assert not v.intact and "another authority" in v.problems[0]
    forged = sign_pdf(build_agreement_pdf(parse_terms(terms_dict()), "both", created=SIGNED_AT),
                      test_pki.issue(root_key=other_key, root=other_root), now=SIGNED_AT)
    v = check(forged, test_pki)
    assert not v.intact and any("another authority" in p for p in v.problems)


def test_signing_refuses_a_key_that_is_not_the_certificates(test_pki):
    other = test_pki.issue()
    with pytest.raises(BadInput, match="key does not match the certificate"):
        DocumentSigner(other.key, test_pki.device, (test_pki.root,)).check(SIGNED_AT)
    from fieldapp.documents import pki

    with pytest.raises(BadInput, match="key.pem: the key does not match the certificate"):
        DocumentSigner.from_pem(pki.key_to_pem(other.key), pki.cert_to_pem(test_pki.device), key_where="key.pem")


def test_an_expired_certificate_cannot_sign_and_does_not_verify(draft_pdf, test_pki, monkeypatch):
    short = test_pki.issue(days=30)
    with pytest.raises(BadInput, match="certificate expired on 2021-01-31"):
        sign_pdf(draft_pdf, short, now=SIGNED_AT)
    monkeypatch.setattr(DocumentSigner, "check", lambda self, now, where="": None)  # a laptop that cheats
    v = check(sign_pdf(draft_pdf, short, now=SIGNED_AT), test_pki)
    assert not v.intact and "was not valid at 2026-03-02 02:45 UTC" in v.problems[0]


def test_a_revoked_device_is_refused_unless_the_server_received_the_document_before(
        signed_pdf, sealed_pdf, test_pki):
    serial = test_pki.device.serial_number
    # lost on 1 March, reported on 3 March: the document claims 2 March, received 2 March
    lost = test_pki.crl_with(ca.RevokedEntry(serial, SIGNED_AT + dt.timedelta(days=1),
                                             SIGNED_AT - dt.timedelta(days=1)), at=NOW)
    for pdf in (signed_pdf, sealed_pdf):
        v = check(pdf, test_pki, crls=[lost])
        assert not v.intact and "revoked (compromised since 2026-03-01" in v.problems[0]
    # retired later, nothing compromised: the sealed document stands, the unsealed one too
    retired = test_pki.crl_with(ca.RevokedEntry(serial, RECEIVED_AT + dt.timedelta(days=2)), at=NOW)
    assert check(sealed_pdf, test_pki, crls=[retired]).intact
    assert check(signed_pdf, test_pki, crls=[retired]).intact


def test_a_crl_of_another_authority_counts_for_nothing(draft_pdf, test_pki):
    other_key, other_root = ca.make_root("Some Other Bank", dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc))
    foreign_crl = ca.make_crl(other_key, other_root, [], SIGNED_AT, 5).public_bytes(Encoding.DER)
    signer = DocumentSigner(test_pki.device_key, test_pki.device, (test_pki.root,), (foreign_crl,))
    v = check(sign_pdf(draft_pdf, signer, now=SIGNED_AT), test_pki)
    assert not v.intact and "no revocation list of the trusted root" in v.problems[0]


def test_two_signatures_of_which_one_is_broken(signed_pdf, test_pki):
    at = signed_pdf.index(b"/Contents <") + len(b"/Contents <") + 400   # inside the first CMS blob
    damaged = bytearray(signed_pdf)
    damaged[at] = ord("0") if damaged[at] != ord("0") else ord("1")
    second = sign_pdf(bytes(damaged), test_pki.issue("Second Signer"), now=SIGNED_AT, field_name="second")
    v = check(second, test_pki)
    assert not v.intact
    assert v.signatures[1].ok and not v.signatures[0].ok
    assert v.problems[0].startswith("signature fieldapp-signature: ")


def test_creation_date_comes_from_the_clock(draft_pdf):
    from pypdf import PdfReader

    info = PdfReader(io.BytesIO(draft_pdf)).metadata
    assert info["/CreationDate"].startswith("D:20260302024500")


def test_signing_sealing_and_verifying_work_inside_a_running_asyncio_loop(draft_pdf, test_pki):
    """pyHanko's blocking API calls asyncio.run; a host with a running loop in the same thread
    (qasync, an embedding application, a browser session in the tests) must not break it."""
    import asyncio

    async def inside() -> bool:
        asyncio.get_running_loop()  # the loop runs here
        signed = sign_pdf(draft_pdf, test_pki.signer, now=SIGNED_AT, reason="test")
        sealed = seal_pdf(signed, tsa_key=test_pki.tsa_key, tsa_cert=test_pki.tsa, chain=(test_pki.root,),
                          crl=test_pki.crl, now=RECEIVED_AT)
        return check(sealed, test_pki).intact

    assert asyncio.run(inside())
