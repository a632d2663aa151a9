"""The institution's document-signing authority, as plain X.509 building (`cryptography`).

No database here: the server's `services/signing.py` keeps the keys (encrypted) and the
issued certificates in its database and calls these functions; the self-test uses them
for a throw-away authority.

- the root: EC P-256, a CA for certificates and CRLs, 20 years; its key never leaves
  the server;
- device and signer certificates: issued by the root, for document signatures
  (digitalSignature + nonRepudiation), `DEVICE_DAYS` long;
- the receipt time-stamping certificate: RSA (pyHanko's local time-stamper signs with
  RSA), extended key usage timeStamping only (critical, as RFC 3161 requires);
- the evidence key: X25519, no certificate; laptops encrypt handwriting data to its
  public half and only the server can open it (fieldapp.documents.evidence).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from fieldapp.documents.pki import CURVE, PrivateKey

ROOT_DAYS = 20 * 365
DEVICE_DAYS = 2 * 365
TSA_DAYS = 10 * 365
CRL_DAYS = 7
BACKDATE = _dt.timedelta(days=1)   # tolerate laptops whose clock is behind


def root_name(institution: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, institution[:64]),
                      x509.NameAttribute(NameOID.COMMON_NAME, "fieldapp document signing root")])


def make_root(institution: str, now: _dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(CURVE)
    name = root_name(institution)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(now + _dt.timedelta(days=ROOT_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


@dataclass(frozen=True)
class Subject:
    """Who a certificate is for (see fieldapp.documents.pki for the attribute roles)."""

    name: str
    institution: str
    username: str | None = None
    device_id: str | None = None

    def x509(self) -> x509.Name:
        attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.institution[:64]),
                 x509.NameAttribute(NameOID.COMMON_NAME, self.name[:64])]
        if self.username:
            attrs.append(x509.NameAttribute(NameOID.USER_ID, self.username[:64]))
        if self.device_id:
            attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, self.device_id[:64]))
        return x509.Name(attrs)


def _leaf(root_key: PrivateKey, root: x509.Certificate, public_key, subject: x509.Name,  # type: ignore[no-untyped-def]
          now: _dt.datetime, days: int, crl_url: str | None) -> x509.CertificateBuilder:
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(root.subject)
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(now - BACKDATE)
               .not_valid_after(min(now + _dt.timedelta(days=days), root.not_valid_after_utc))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   root_key.public_key()), critical=False))  # type: ignore[arg-type]
    if crl_url:
        point = x509.DistributionPoint(full_name=[x509.UniformResourceIdentifier(crl_url)],
                                       relative_name=None, reasons=None, crl_issuer=None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return builder


def issue_signer(root_key: PrivateKey, root: x509.Certificate, public_key, subject: Subject,  # type: ignore[no-untyped-def]
                 now: _dt.datetime, *, days: int = DEVICE_DAYS, crl_url: str | None = None) -> x509.Certificate:
    """A document-signing certificate (a laptop's device certificate, or a named signer)."""
    usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False,
                          crl_sign=False, encipher_only=False, decipher_only=False)
    return (_leaf(root_key, root, public_key, subject.x509(), now, days, crl_url)
            .add_extension(usage, critical=True)
            .sign(root_key, hashes.SHA256()))  # type: ignore[arg-type]


def make_tsa(root_key: PrivateKey, root: x509.Certificate, institution: str,
             now: _dt.datetime) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """The server's receipt time-stamping key and certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    subject = Subject("fieldapp receipt time-stamping", institution).x509()
    usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False,
                          crl_sign=False, encipher_only=False, decipher_only=False)
    cert = (_leaf(root_key, root, key.public_key(), subject, now, TSA_DAYS, None)
            .add_extension(usage, critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(root_key, hashes.SHA256()))  # type: ignore[arg-type]
    return key, cert


@dataclass(frozen=True)
class RevokedEntry:
    serial: int
    revoked_at: _dt.datetime
    compromised_since: _dt.datetime | None = None


def make_crl(root_key: PrivateKey, root: x509.Certificate, entries: Iterable[RevokedEntry],
             now: _dt.datetime, number: int) -> x509.CertificateRevocationList:
    """The revocation list as of `now`, valid for `CRL_DAYS`."""
    builder = (x509.CertificateRevocationListBuilder().issuer_name(root.subject)
               .last_update(now).next_update(now + _dt.timedelta(days=CRL_DAYS))
               .add_extension(x509.CRLNumber(number), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   root_key.public_key()), critical=False))  # type: ignore[arg-type]
    for entry in entries:
        revoked = (x509.RevokedCertificateBuilder().serial_number(entry.serial)
                   .revocation_date(entry.revoked_at)
                   .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise
                                                 if entry.compromised_since else x509.ReasonFlags.cessation_of_operation),
                                  critical=False))
        if entry.compromised_since is not None:
            revoked = revoked.add_extension(x509.InvalidityDate(
                entry.compromised_since.astimezone(_dt.timezone.utc).replace(tzinfo=None)), critical=False)
        builder = builder.add_revoked_certificate(revoked.build())
    return builder.sign(root_key, hashes.SHA256())  # type: ignore[arg-type]
