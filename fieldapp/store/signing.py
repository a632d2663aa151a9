"""The laptop's signing credentials: its device key (sealed), certificate, chain, CRL and
the institution's evidence key; one row per store, made at enrolment (first login).

The EC key is made on the laptop and never leaves it: the private key is kept as PKCS#8
sealed with the store's data key (AES-GCM, `fieldapp.store.crypto`), like every other
secret of the store; the certificate, chain, CRL and evidence key are public.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import CheckConstraint, Integer, LargeBinary, String, Text, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from fieldapp.store.crypto import Cipher
from fieldapp.store.models import Base, UtcDateTime

KEY_LABEL = "device-key"


class DeviceCredential(Base):
    __tablename__ = "device_credentials"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    server_url: Mapped[str] = mapped_column(String(500))
    username: Mapped[str] = mapped_column(String(100))
    device_id: Mapped[str] = mapped_column(String(36))
    key_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    cert_pem: Mapped[str | None] = mapped_column(Text)          # None until the server issued it
    chain_pem: Mapped[str | None] = mapped_column(Text)
    crl_der: Mapped[bytes | None] = mapped_column(LargeBinary)
    evidence_key_pem: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    enrolled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    crl_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


@dataclass(frozen=True)
class Credentials:
    server_url: str
    username: str
    device_id: str
    key_pem: bytes
    cert_pem: bytes | None
    chain_pem: bytes | None
    crl_der: bytes | None
    evidence_key_pem: bytes | None
    enrolled_at: dt.datetime | None
    crl_at: dt.datetime | None

    @property
    def enrolled(self) -> bool:
        return self.cert_pem is not None


def load(session: Session, cipher: Cipher) -> Credentials | None:
    row = session.get(DeviceCredential, 1)
    if row is None:
        return None
    return Credentials(row.server_url, row.username, row.device_id, cipher.open(row.key_sealed, KEY_LABEL),
                       _b(row.cert_pem), _b(row.chain_pem), row.crl_der, _b(row.evidence_key_pem),
                       row.enrolled_at, row.crl_at)


def save_key(session: Session, cipher: Cipher, *, server_url: str, username: str, device_id: str,
             key_pem: bytes, now: dt.datetime) -> None:
    """A fresh key for this account and device (any earlier credential is dropped)."""
    session.execute(delete(DeviceCredential))
    session.add(DeviceCredential(id=1, server_url=server_url, username=username, device_id=device_id,
                                 key_sealed=cipher.seal(key_pem, KEY_LABEL), created_at=now))


def save_certificate(session: Session, *, cert_pem: bytes, chain_pem: bytes, crl_der: bytes,
                     evidence_key_pem: bytes, now: dt.datetime) -> None:
    row = session.get(DeviceCredential, 1)
    assert row is not None
    row.cert_pem, row.chain_pem = cert_pem.decode("ascii"), chain_pem.decode("ascii")
    row.evidence_key_pem = evidence_key_pem.decode("ascii")
    row.crl_der, row.enrolled_at, row.crl_at = crl_der, now, now


def save_crl(session: Session, crl_der: bytes, now: dt.datetime) -> None:
    row = session.get(DeviceCredential, 1)
    if row is not None:
        row.crl_der, row.crl_at = crl_der, now


def forget(session: Session) -> None:
    session.execute(delete(DeviceCredential))


def _b(text: str | None) -> bytes | None:
    return None if text is None else text.encode("ascii")
