"""The document-signing authority kept in the database: created once, opened with its
passphrase, issuing device and signer certificates, revoking them, publishing the CRL.

Private keys are stored as PKCS#8 PEM encrypted with the CA passphrase (the setting
`ca_passphrase`, or the file named by `ca_passphrase_file`, which must be readable by its
owner only); they leave the server never, and the process only while it runs.
Plain functions taking a Session; they never commit.
"""

from __future__ import annotations

import datetime as _dt
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.core.errors import BadInput, Conflict, FieldappError, NotFound
from fieldapp.core.timeutil import utcnow
from fieldapp.documents import pki
from fieldapp.documents import authority as ca
from fieldapp.server import audit
from fieldapp.server.models import Device, User
from fieldapp.server.models_signing import IssuedCertificate, SigningKey
from fieldapp.server.settings import ServerSettings

MIN_PASSPHRASE = 12
MAX_CSR_BYTES = 8192


class NoAuthority(FieldappError):
    """The signing CA has not been created (fieldapp server ca init)."""


def passphrase(settings: ServerSettings) -> bytes:
    """The CA passphrase from the settings; BadInput naming the setting when it is missing
    or its file is readable by others."""
    if settings.ca_passphrase_file is not None:
        path = Path(settings.ca_passphrase_file)
        try:
            mode = path.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise BadInput(f"the passphrase file is readable by others (mode {stat.S_IMODE(mode):o}); "
                               f"chmod 600 {path}", field="ca_passphrase_file")
            value = path.read_text(encoding="utf-8").strip("\r\n")
        except OSError as exc:
            raise BadInput(f"cannot read the passphrase file: {exc.strerror}", where=str(path)) from None
    elif settings.ca_passphrase is not None:
        value = settings.ca_passphrase.get_secret_value()
    else:
        raise BadInput("the signing CA's keys are encrypted: set FIELDAPP_SERVER_CA_PASSPHRASE, or "
                       "FIELDAPP_SERVER_CA_PASSPHRASE_FILE naming a file with mode 0600",
                       field="ca_passphrase")
    if not value:
        raise BadInput("the CA passphrase is empty", field="ca_passphrase")
    return value.encode("utf-8")


def exists(session: Session) -> bool:
    return session.get(SigningKey, "root") is not None


def _row(session: Session, name: str) -> SigningKey:
    row = session.get(SigningKey, name)
    if row is None:
        raise NoAuthority("no signing CA on this server yet: run `fieldapp server ca init`")
    return row


def _record(session: Session, cert: x509.Certificate, kind: str, *, user: User | None = None,
            device: Device | None = None) -> IssuedCertificate:
    row = IssuedCertificate(serial=format(cert.serial_number, "x"), kind=kind,
                            subject=cert.subject.rfc4514_string()[:300], user_id=user.id if user else None,
                            device_pk=device.id if device else None, fingerprint=pki.fingerprint(cert),
                            cert_pem=pki.cert_to_pem(cert).decode("ascii"),
                            not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
                            issued_at=utcnow())
    session.add(row)
    session.flush()
    return row


def init_authority(session: Session, secret: bytes, institution: str) -> x509.Certificate:
    """Create the root, the receipt time-stamping key and the evidence key, once."""
    if exists(session):
        raise Conflict("the signing CA exists already; it is never overwritten "
                       "(documents signed under it would no longer verify)")
    if len(secret) < MIN_PASSPHRASE:
        raise BadInput(f"the CA passphrase is shorter than {MIN_PASSPHRASE} characters", field="ca_passphrase")
    now = utcnow()
    root_key, root = ca.make_root(institution, now)
    tsa_key, tsa = ca.make_tsa(root_key, root, institution, now)
    evidence = x25519.X25519PrivateKey.generate()
    for name, key, cert in (("root", root_key, root), ("tsa", tsa_key, tsa), ("evidence", evidence, None)):
        public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        session.add(SigningKey(name=name, cert_pem=pki.cert_to_pem(cert).decode("ascii") if cert else None,
                               public_pem=public.decode("ascii"),
                               key_encrypted=pki.key_to_pem(key, secret).decode("ascii"),  # type: ignore[arg-type]
                               created_at=now))
    session.flush()
    _record(session, tsa, "tsa")
    audit.record(session, "ca.created", "certificate", format(root.serial_number, "x"))
    return root


def root_certificate(session: Session) -> x509.Certificate:
    return pki.load_cert(_row(session, "root").cert_pem.encode("ascii"))  # type: ignore[union-attr]


def evidence_public_key(session: Session) -> bytes:
    """The evidence key's public half (PEM) that laptops encrypt handwriting data to."""
    return _row(session, "evidence").public_pem.encode("ascii")


def _private(session: Session, name: str, secret: bytes):  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    data = _row(session, name).key_encrypted.encode("ascii")
    try:
        return load_pem_private_key(data, password=secret)
    except (ValueError, TypeError):
        raise BadInput("wrong CA passphrase: the signing CA's keys cannot be opened",
                       field="ca_passphrase") from None


@dataclass(frozen=True)
class Authority:
    """The opened CA: root and time-stamping keys in memory for one request or command."""

    root_key: pki.PrivateKey
    root: x509.Certificate
    tsa_key: pki.PrivateKey
    tsa: x509.Certificate
    institution: str


def open_authority(session: Session, secret: bytes) -> Authority:
    root = root_certificate(session)
    tsa = pki.load_cert(_row(session, "tsa").cert_pem.encode("ascii"))  # type: ignore[union-attr]
    institution = pki.Holder.of(root).institution or "fieldapp"
    return Authority(_private(session, "root", secret), root, _private(session, "tsa", secret), tsa, institution)


def evidence_private_key(session: Session, secret: bytes) -> x25519.X25519PrivateKey:
    return _private(session, "evidence", secret)


def crl_url(settings: ServerSettings) -> str | None:
    return f"{settings.public_url.rstrip('/')}/api/v1/pki/crl" if settings.public_url else None


def enrol_device(session: Session, authority: Authority, user: User, device: Device, csr_pem: bytes, *,
                 url: str | None = None) -> x509.Certificate:
    """A device certificate for the key in `csr_pem` (signed by that key), naming the agent,
    the device and the institution. The same key asking again gets the same certificate."""
    if len(csr_pem) > MAX_CSR_BYTES:
        raise BadInput("the certificate request is too large", field="csr_pem")
    try:
        csr = x509.load_pem_x509_csr(csr_pem)
    except ValueError:
        raise BadInput("not a PEM certificate signing request", field="csr_pem") from None
    if not csr.is_signature_valid:
        raise BadInput("the certificate request is not signed by its own key", field="csr_pem")
    public = csr.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey) or public.curve.name != pki.CURVE.name:
        raise BadInput("the device key must be an EC P-256 key", field="csr_pem")
    now = utcnow()
    for row in session.scalars(select(IssuedCertificate).where(
            IssuedCertificate.device_pk == device.id, IssuedCertificate.revoked_at.is_(None),
            IssuedCertificate.not_after > now + _dt.timedelta(days=30))):
        cert = pki.load_cert(row.cert_pem.encode("ascii"))
        if cert.public_key() == csr.public_key():
            return cert
    subject = ca.Subject(user.display_name, authority.institution, user.username, device.device_id)
    cert = ca.issue_signer(authority.root_key, authority.root, csr.public_key(), subject, now, crl_url=url)
    _record(session, cert, "device", user=user, device=device)
    audit.record(session, "certificate.issued", "device", device.id, user.id, serial=format(cert.serial_number, "x"))
    return cert


def issue_named(session: Session, authority: Authority, name: str, *,
                url: str | None = None) -> tuple[pki.PrivateKey, x509.Certificate]:
    """A key and certificate for a named signer (`fieldapp server ca issue`)."""
    name = name.strip()
    if not name or len(name) > 64:
        raise BadInput("a signer's name is 1-64 characters", field="NAME")
    key = pki.new_ec_key()
    cert = ca.issue_signer(authority.root_key, authority.root, key.public_key(),
                           ca.Subject(name, authority.institution), utcnow(), crl_url=url)
    _record(session, cert, "signer")
    audit.record(session, "certificate.issued", "certificate", format(cert.serial_number, "x"))
    return key, cert


def revoke(session: Session, serial: str, *, since: _dt.datetime | None = None) -> IssuedCertificate:
    row = session.get(IssuedCertificate, serial.lower().lstrip("0") or "0")
    if row is None:
        raise NotFound(f"no certificate with serial {serial}")
    _revoke_row(row, utcnow(), since)
    audit.record(session, "certificate.revoked", "certificate", row.serial)
    return row


def _revoke_row(row: IssuedCertificate, now: _dt.datetime, since: _dt.datetime | None) -> None:
    if since is not None and since > now:
        raise BadInput("the compromise time lies in the future", field="--since")
    if row.revoked_at is None:
        row.revoked_at = now
    if since is not None:
        row.compromised_since = min(since, row.compromised_since or since)


def revoke_device_certificates(session: Session, device: Device, *, since: _dt.datetime | None = None) -> int:
    """Revoke every certificate of `device` (it was lost or retired); returns how many."""
    now = utcnow()
    rows = list(session.scalars(select(IssuedCertificate).where(IssuedCertificate.device_pk == device.id)))
    for row in rows:
        _revoke_row(row, now, since)
    return len(rows)


def current_crl(session: Session, authority: Authority) -> bytes:
    """The CRL as of now (DER), signed by the root; its number grows with time."""
    now = utcnow().replace(microsecond=0)
    entries = [ca.RevokedEntry(int(r.serial, 16), r.revoked_at, r.compromised_since)
               for r in session.scalars(select(IssuedCertificate).where(IssuedCertificate.revoked_at.is_not(None))
                                        .order_by(IssuedCertificate.serial))
               if r.revoked_at is not None]
    crl = ca.make_crl(authority.root_key, authority.root, entries, now, int(now.timestamp()))
    return crl.public_bytes(serialization.Encoding.DER)


def certificate_row(session: Session, serial: str | None) -> IssuedCertificate | None:
    return session.get(IssuedCertificate, serial) if serial else None


def write_private(path: Path, data: bytes) -> None:
    """Write a key file readable by its owner only (created 0600, never widened)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(path, 0o600)
