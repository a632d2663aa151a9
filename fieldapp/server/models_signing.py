"""Tables of the document-signing authority and of the documents the server received.

- `signing_keys`: the root CA, the receipt time-stamping key and the evidence key; each
  private key is a PKCS#8 PEM encrypted with the CA passphrase (never in clear);
- `issued_certificates`: every certificate the root issued (devices, named signers, the
  time-stamping key), with its revocation; the CRL is built from it;
- `signed_documents`: each agreement (or visit report) PDF as received and as sealed,
  both content-addressed in `attachments`, with the signer and the receipt time.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fieldapp.core.timeutil import utcnow
from fieldapp.server.models import Base, new_id
from fieldapp.server.types import UTCDateTime


class SigningKey(Base):
    __tablename__ = "signing_keys"
    name: Mapped[str] = mapped_column(String(20), primary_key=True)   # root | tsa | evidence
    cert_pem: Mapped[str | None] = mapped_column(Text)
    public_pem: Mapped[str] = mapped_column(Text)
    key_encrypted: Mapped[str] = mapped_column(Text)                 # PKCS#8 PEM, passphrase-encrypted
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class IssuedCertificate(Base):
    __tablename__ = "issued_certificates"
    serial: Mapped[str] = mapped_column(String(40), primary_key=True)  # lower-case hex
    kind: Mapped[str] = mapped_column(String(10))                      # device | signer | tsa
    subject: Mapped[str] = mapped_column(String(300))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    device_pk: Mapped[str | None] = mapped_column(ForeignKey("devices.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    cert_pem: Mapped[str] = mapped_column(Text)
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    compromised_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SignedDocument(Base):
    __tablename__ = "signed_documents"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))                      # agreement | visit_report
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id"), index=True)
    agreement_id: Mapped[str | None] = mapped_column(String(64))
    terms_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    received_sha256: Mapped[str] = mapped_column(ForeignKey("attachments.sha256"), unique=True)
    sealed_sha256: Mapped[str | None] = mapped_column(ForeignKey("attachments.sha256"), index=True)
    cert_serial: Mapped[str | None] = mapped_column(ForeignKey("issued_certificates.serial"), index=True)
    status: Mapped[str] = mapped_column(String(10))                    # sealed | unsigned
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # the laptop's claim
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)  # the seal's time
