"""Signed documents arriving with a visit: checked, sealed with the server's receipt, kept.

On receipt the server verifies the agreement PDF as `fieldapp agreement verify` would, at
its own clock: the signature must be intact, by a certificate this CA issued to the
pushing agent's device (or to a named signer), not revoked, and the terms must be the
ones the visit record names. It then adds its seal (fieldapp.documents.signing.seal_pdf:
the current CRL and a document timestamp), stores the sealed file next to the file as
received (both content-addressed attachments of the visit) and records both.

An unsigned PDF (a laptop that has no device certificate, or a server without a CA) is
accepted and recorded as `unsigned`: it is never sealed and `/verify` does not vouch
for it. A signed PDF that fails any check is refused, and so is the visit.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.core.errors import BadInput, FieldappError
from fieldapp.core.timeutil import utcnow
from fieldapp.server import audit
from fieldapp.server.models import Attachment, Device, User, Visit, VisitAttachment
from fieldapp.server.models_signing import IssuedCertificate, SignedDocument
from fieldapp.server.services import signing
from fieldapp.server.settings import ServerSettings

log = logging.getLogger(__name__)


class DocumentRefused(FieldappError):
    """A signed document that does not verify; the message is one sentence for the agent."""


@dataclass
class Sealer:
    """Opens the authority once per request, only when a signed document arrives."""

    settings: ServerSettings
    _authority: signing.Authority | None = field(default=None, init=False, repr=False)

    def authority(self, session: Session) -> signing.Authority | None:
        if self._authority is None and signing.exists(session):
            try:
                self._authority = signing.open_authority(session, signing.passphrase(self.settings))
            except BadInput as exc:
                log.error("the signing CA cannot be opened: %s", exc)
                raise DocumentRefused("the server cannot check signatures now (its signing CA is not "
                                      "configured); send it again later") from None
        return self._authority

    def receive(self, session: Session, user: User, device_id: str, visit: Visit, sha256: str, *,
                kind: str = "agreement", agreement_id: str | None = None,
                terms_sha256: str | None = None) -> SignedDocument:
        from fieldapp.documents.verify import UNSIGNED, verify_pdf

        existing = session.scalar(select(SignedDocument).where(SignedDocument.received_sha256 == sha256))
        if existing is not None:
            return existing
        data = session.scalar(select(Attachment.content).where(Attachment.sha256 == sha256)) or b""
        now = utcnow()
        authority = self.authority(session) if _is_signed(data) else None
        if authority is None:
            return self._record(session, kind, visit, agreement_id, terms_sha256, sha256, None, "unsigned", now)
        crl = signing.current_crl(session, authority)
        verdict = verify_pdf(data, trust=[authority.root], crls=[crl], where=kind, now=now, received_now=True,
                             kind=kind)
        if verdict.status == UNSIGNED:
            return self._record(session, kind, visit, agreement_id, terms_sha256, sha256, None, "unsigned", now)
        if not verdict.intact:
            raise DocumentRefused(verdict.problems[0])
        if terms_sha256 is not None and verdict.sha256 != terms_sha256:
            raise DocumentRefused("the PDF carries other terms than the visit record names")
        serial = verdict.signatures[0].serial if verdict.signatures else None
        self._check_holder(session, serial, user, device_id)
        from fieldapp.documents.signing import seal_pdf

        sealed = seal_pdf(data, tsa_key=authority.tsa_key, tsa_cert=authority.tsa, chain=(authority.root,),
                          crl=crl, now=now)
        sealed_sha = hashlib.sha256(sealed).hexdigest()
        if session.get(Attachment, sealed_sha) is None:
            session.add(Attachment(sha256=sealed_sha, size=len(sealed), content=sealed, uploaded_by=user.id,
                                   created_at=now))
            session.flush()
        if session.get(VisitAttachment, (visit.id, sealed_sha)) is None:
            session.add(VisitAttachment(visit_id=visit.id, sha256=sealed_sha))
        doc = self._record(session, kind, visit, agreement_id, terms_sha256, sha256, serial, "sealed", now,
                           sealed_sha=sealed_sha, signed_at=verdict.signed_at)
        audit.record(session, "document.sealed", "visit", visit.id, user.id, kind=kind, sealed=sealed_sha)
        return doc

    @staticmethod
    def _check_holder(session: Session, serial: str | None, user: User, device_id: str) -> None:
        row = signing.certificate_row(session, serial)
        if row is None:
            raise DocumentRefused("the PDF is signed by a certificate this server did not issue")
        if row.kind == "device":
            device = session.get(Device, row.device_pk) if row.device_pk else None
            if row.user_id != user.id or device is None or device.device_id != device_id:
                raise DocumentRefused("the PDF is signed by another device's certificate")
        elif row.kind != "signer":
            raise DocumentRefused("the PDF is signed by a certificate that may not sign documents")

    @staticmethod
    def _record(session: Session, kind: str, visit: Visit, agreement_id: str | None, terms_sha256: str | None,
                sha256: str, serial: str | None, status: str, now, *, sealed_sha: str | None = None,  # type: ignore[no-untyped-def]
                signed_at=None) -> SignedDocument:  # type: ignore[no-untyped-def]
        doc = SignedDocument(kind=kind, visit_id=visit.id, agreement_id=agreement_id, terms_sha256=terms_sha256,
                             received_sha256=sha256, sealed_sha256=sealed_sha, cert_serial=serial, status=status,
                             signed_at=signed_at, received_at=now)
        session.add(doc)
        session.flush()
        return doc


def _is_signed(data: bytes) -> bool:
    """A cheap look for a signature dictionary before the authority is opened."""
    return b"/ByteRange" in data


def lookup(session: Session, sha256: str) -> tuple[str, SignedDocument | None]:
    """authentic | unknown | revoked for a terms hash or a PDF's SHA-256 (as received or sealed)."""
    doc = session.scalar(select(SignedDocument).where(
        SignedDocument.status == "sealed",
        (SignedDocument.terms_sha256 == sha256) | (SignedDocument.received_sha256 == sha256)
        | (SignedDocument.sealed_sha256 == sha256)).order_by(SignedDocument.received_at.desc()).limit(1))
    if doc is None:
        return "unknown", None
    cert = session.get(IssuedCertificate, doc.cert_serial) if doc.cert_serial else None
    if cert is not None and cert.revoked_at is not None:
        since = cert.compromised_since or cert.revoked_at
        if since <= doc.received_at:
            return "revoked", doc
    return "authentic", doc


def documents_of_visit(session: Session, visit_id: str) -> list[SignedDocument]:
    return list(session.scalars(select(SignedDocument).where(SignedDocument.visit_id == visit_id)
                                .order_by(SignedDocument.received_at)))


def sealed_copy(session: Session, user: User, visit_id: str, kind: str) -> tuple[bytes, SignedDocument]:
    """The server-sealed PDF of a visit's agreement or report, for the visit's agent, the lead
    of that agent's team or an administrator. ApiError: not_found (no such visit, or no
    sealed copy: the document arrived unsigned), forbidden (someone else's visit)."""
    from fieldapp.server.errors import ApiError
    from fieldapp.server.services.access import leads_team_of

    visit = session.get(Visit, visit_id)
    if visit is None:
        raise ApiError("not_found", "no such visit")
    if not (user.role == "admin" or visit.agent_id == user.id or leads_team_of(user, visit.agent)):
        raise ApiError("forbidden", "this visit is neither yours nor your team's")
    doc = session.scalar(select(SignedDocument).where(SignedDocument.visit_id == visit_id,
                                                      SignedDocument.kind == kind,
                                                      SignedDocument.sealed_sha256.is_not(None))
                         .order_by(SignedDocument.received_at.desc()).limit(1))
    data = session.scalar(select(Attachment.content).where(Attachment.sha256 == doc.sealed_sha256)) \
        if doc is not None else None
    if doc is None or data is None:
        raise ApiError("not_found", f"the visit has no sealed {kind.replace('_', ' ')}")
    return data, doc
