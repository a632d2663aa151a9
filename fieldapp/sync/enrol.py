"""Device enrolment and the signing credentials the visit flow uses. Qt-free.

At the first login of an account on this laptop the app makes an EC P-256 key, keeps it
sealed in the store and sends the server a certificate request; the device certificate,
the chain, the CRL and the institution's evidence key come back and are kept beside the
key. Enrolment is retried at each sync until it succeeds (a server without a signing CA
answers 409 `no_authority`: the app then works as before and its documents are drafts).
Each sync also fetches the current CRL, which every signature embeds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fieldapp.core.timeutil import utcnow
from fieldapp.documents import pki
from fieldapp.store import signing as repo
from fieldapp.store.store import Store
from fieldapp.sync.errors import RequestRefused, SyncError
from fieldapp.sync.transport import Transport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SigningSetup:
    """What the visit flow needs to sign offline: the signer, the evidence key, the link base."""

    signer: object                 # fieldapp.documents.signing.DocumentSigner
    evidence_key_pem: bytes | None
    verify_url: str | None
    trust_pem: bytes | None        # the root, to check documents on this laptop


def ensure_enrolled(store: Store, transport: Transport, token: str) -> bool:
    """Enrol this laptop if it is not yet (for the store's current account); refresh the CRL.
    Returns whether a device certificate is held. Network failures are left to the next sync."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from fieldapp.protocol.signing import EnrolRequest

    meta = store.meta()
    if not (meta.server_url and meta.username):
        return False
    now = utcnow()
    with store.read() as s:
        creds = repo.load(s, store.cipher)
    if creds is None or (creds.server_url, creds.username, creds.device_id) != (
            meta.server_url, meta.username, meta.device_id):
        key = pki.new_ec_key()
        with store.write() as s:
            repo.save_key(s, store.cipher, server_url=meta.server_url, username=meta.username,
                          device_id=meta.device_id, key_pem=pki.key_to_pem(key), now=now)
        with store.read() as s:
            creds = repo.load(s, store.cipher)
        assert creds is not None
    if creds.enrolled:
        try:
            crl = pki.load_crl(transport.get_crl()).public_bytes(Encoding.DER)
        except (SyncError, ValueError, Exception) as exc:  # noqa: BLE001 - a stale CRL is kept
            log.info("CRL not refreshed: %s", type(exc).__name__)
            return True
        with store.write() as s:
            repo.save_crl(s, crl, now)
        return True
    key = pki.load_key(creds.key_pem)
    request = EnrolRequest(csr_pem=pki.device_request(key, username=meta.username,  # type: ignore[arg-type]
                                                      device_id=meta.device_id).decode("ascii"))
    try:
        answer = transport.enrol(token, request)
    except RequestRefused as exc:
        if exc.code == "no_authority":
            log.info("the server has no signing CA: documents stay unsigned drafts")
            return False
        raise
    cert = pki.load_cert(answer.certificate_pem.encode("ascii"), where="device certificate")
    if not pki.same_public_key(key, cert):
        log.warning("the server's certificate does not match this laptop's key; not kept")
        return False
    crl = pki.load_crl(answer.crl_pem.encode("ascii")).public_bytes(Encoding.DER)
    with store.write() as s:
        repo.save_certificate(s, cert_pem=answer.certificate_pem.encode("ascii"),
                              chain_pem=answer.chain_pem.encode("ascii"), crl_der=crl,
                              evidence_key_pem=answer.evidence_key_pem.encode("ascii"), now=now)
    log.info("device enrolled: certificate %x", cert.serial_number)
    return True


def signing_setup(store: Store) -> SigningSetup | None:
    """The enrolled signer of this store's account, or None (not enrolled, or another account)."""
    from fieldapp.documents.signing import DocumentSigner

    meta = store.meta()
    with store.read() as s:
        creds = repo.load(s, store.cipher)
    if creds is None or not creds.enrolled or (creds.server_url, creds.username) != (meta.server_url, meta.username):
        return None
    signer = DocumentSigner.from_pem(creds.key_pem, creds.cert_pem or b"", creds.chain_pem or b"",
                                     creds.crl_der, key_where="device key", cert_where="device certificate")
    return SigningSetup(signer, creds.evidence_key_pem, meta.server_url, creds.chain_pem)


@dataclass(frozen=True)
class SignedDocumentRow:
    """An agreement this laptop made for a case (from its outbox), for the case's history."""

    visit_id: str
    case_id: str
    kind: str                  # agreement
    agreement_id: str
    pdf_sha256: str            # the PDF as signed on this laptop (an attachment in the store)
    terms_sha256: str
    signed: bool               # digitally signed (False: a draft made before enrolment)
    state: str                 # the outbox state: waiting | sending | accepted | rejected
    created_at: object         # datetime


def case_documents(store: Store, case_id: str) -> list[SignedDocumentRow]:
    """The agreements recorded on this laptop for `case_id`, newest first, whose PDF is here."""
    from sqlalchemy import select

    from fieldapp.store import outbox as outbox_repo
    from fieldapp.store.models import Attachment, OutboxEntry

    out = []
    with store.read() as s:
        entries = s.scalars(select(OutboxEntry).where(OutboxEntry.case_id == case_id, OutboxEntry.kind == "visit")
                            .order_by(OutboxEntry.created_at.desc())).all()
        for entry in entries:
            payload = outbox_repo.payload(s, store.cipher, entry.id) or {}
            agreement = payload.get("agreement")
            if not agreement or s.get(Attachment, agreement["pdf_sha256"]) is None:
                continue
            pdf = store.files.read(agreement["pdf_sha256"])
            out.append(SignedDocumentRow(payload.get("visit_id", entry.id), case_id, "agreement",
                                         agreement["agreement_id"], agreement["pdf_sha256"],
                                         agreement["terms_sha256"], b"/ByteRange" in pdf, entry.state,
                                         entry.created_at))
    return out


def check_document(store: Store, pdf: bytes, kind: str = "agreement"):  # type: ignore[no-untyped-def]
    """The full verdict (fieldapp.documents.verify) on `pdf` (an agreement or a visit report),
    against the institution's root and the newest CRL this laptop holds."""
    from fieldapp.documents.verify import verify_pdf

    with store.read() as s:
        creds = repo.load(s, store.cipher)
    trust = pki.load_certs(creds.chain_pem) if creds is not None and creds.chain_pem else []
    crls = [creds.crl_der] if creds is not None and creds.crl_der else []
    return verify_pdf(pdf, trust=trust, crls=crls, where=f"{kind.replace('_', ' ')} PDF", kind=kind)
