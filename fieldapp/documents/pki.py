"""X.509 pieces the documents need on both sides (`cryptography`): keys, certificates,
requests and revocation lists, each read with a one-line reason when it cannot be used.

Who is who in a certificate the institution issues (see fieldapp/documents/authority.py):

- subject `O`   the institution;
- subject `CN`  the agent's display name (a signer's name for `server ca issue`);
- subject `UID` the agent's user name;
- subject `serialNumber` the device id of the laptop that holds the key.

Keys are EC P-256. A device key never leaves the laptop: the laptop sends a certificate
signing request (`device_request`) and keeps the key sealed in its store.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from fieldapp.core.errors import BadInput

CURVE = ec.SECP256R1()
MAX_PEM_BYTES = 1_000_000

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def new_ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(CURVE)


def key_to_pem(key: PrivateKey, passphrase: bytes | None = None) -> bytes:
    """PKCS#8 PEM, encrypted with `passphrase` when one is given."""
    algorithm: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, algorithm)


def cert_to_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def load_key(data: bytes, passphrase: bytes | None = None, *, where: str = "key") -> PrivateKey:
    """A PEM (or DER) private key; BadInput naming the file when it cannot be opened."""
    if len(data) > MAX_PEM_BYTES:
        raise BadInput("the key file is too large", where=where)
    loader = serialization.load_pem_private_key if b"-----BEGIN" in data else serialization.load_der_private_key
    try:
        key = loader(data, password=passphrase or None)
    except TypeError:
        if passphrase:
            raise BadInput("the key is not encrypted but a passphrase was given", where=where) from None
        raise BadInput("the key is encrypted: a passphrase is needed", where=where) from None
    except ValueError as exc:
        if passphrase and ("decrypt" in str(exc).lower() or "password" in str(exc).lower()):
            raise BadInput("wrong passphrase for the key", where=where) from None
        raise BadInput("not a private key in PEM or DER form", where=where) from None
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise BadInput(f"unsupported key type {type(key).__name__}; use EC or RSA", where=where)
    return key


def load_certs(data: bytes, *, where: str = "certificate") -> list[x509.Certificate]:
    """Every certificate in a PEM bundle (or one DER certificate); at least one."""
    if len(data) > MAX_PEM_BYTES:
        raise BadInput("the certificate file is too large", where=where)
    try:
        certs = (x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data
                 else [x509.load_der_x509_certificate(data)])
    except ValueError:
        raise BadInput("not an X.509 certificate in PEM or DER form", where=where) from None
    if not certs:
        raise BadInput("no certificate found", where=where)
    return certs


def load_cert(data: bytes, *, where: str = "certificate") -> x509.Certificate:
    return load_certs(data, where=where)[0]


def load_crl(data: bytes, *, where: str = "CRL") -> x509.CertificateRevocationList:
    if len(data) > 20 * MAX_PEM_BYTES:
        raise BadInput("the CRL file is too large", where=where)
    try:
        return (x509.load_pem_x509_crl(data) if b"-----BEGIN" in data else x509.load_der_x509_crl(data))
    except ValueError:
        raise BadInput("not a certificate revocation list (CRL) in PEM or DER form", where=where) from None


def crl_to_pem(crl: x509.CertificateRevocationList) -> bytes:
    return crl.public_bytes(serialization.Encoding.PEM)


def same_public_key(key: PrivateKey, cert: x509.Certificate) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key.public_key().public_bytes(*fmt) == cert.public_key().public_bytes(*fmt)


def check_usable(key: PrivateKey, cert: x509.Certificate, at: _dt.datetime, *, where: str) -> None:
    """Refuse a key that is not the certificate's, or a certificate not valid at `at`."""
    if not same_public_key(key, cert):
        raise BadInput("the key does not match the certificate", where=where)
    if at < cert.not_valid_before_utc:
        raise BadInput(f"the certificate is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC",
                       where=where)
    if at > cert.not_valid_after_utc:
        raise BadInput(f"the certificate expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC", where=where)


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """`cert` carries a valid signature of `issuer` (and names it as issuer)."""
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


def crl_signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    return crl.issuer == issuer.subject and crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]


def device_request(key: ec.EllipticCurvePrivateKey, *, username: str, device_id: str) -> bytes:
    """The PEM certificate signing request a laptop sends at enrolment."""
    subject = x509.Name([x509.NameAttribute(NameOID.USER_ID, username[:64]),
                         x509.NameAttribute(NameOID.SERIAL_NUMBER, device_id[:64])])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM)


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


@dataclass(frozen=True)
class Holder:
    """Who a certificate names (fieldapp's conventions, see the module text)."""

    name: str | None
    username: str | None
    device_id: str | None
    institution: str | None
    serial: int

    @classmethod
    def of(cls, cert: x509.Certificate) -> "Holder":
        s = cert.subject
        return cls(_attr(s, NameOID.COMMON_NAME), _attr(s, NameOID.USER_ID), _attr(s, NameOID.SERIAL_NUMBER),
                   _attr(s, NameOID.ORGANIZATION_NAME), cert.serial_number)

    def describe(self) -> str:
        who = self.name or self.username or "?"
        if self.username and self.username != self.name:
            who += f" ({self.username})"
        if self.device_id:
            who += f", device {self.device_id}"
        if self.institution:
            who += f", {self.institution}"
        return who


@dataclass(frozen=True)
class Revocation:
    revoked_at: _dt.datetime
    effective: _dt.datetime      # the invalidity date when given (compromised since), else revoked_at
    reason: str | None


def revocation_of(crl: x509.CertificateRevocationList, serial: int) -> Revocation | None:
    entry = crl.get_revoked_certificate_by_serial_number(serial)
    if entry is None:
        return None
    effective = entry.revocation_date_utc
    reason = None
    for ext in entry.extensions:
        if isinstance(ext.value, x509.InvalidityDate):
            value = ext.value.invalidity_date_utc
            effective = min(effective, value)
        elif isinstance(ext.value, x509.CRLReason):
            reason = ext.value.reason.value
    return Revocation(entry.revocation_date_utc, effective, reason)
