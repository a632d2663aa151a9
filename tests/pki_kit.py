"""A test PKI made with the project's own authority code (fieldapp.documents.authority): a root, a
device certificate, the receipt time-stamping key, a CRL and the evidence key, valid from
2021 to 2036 so tests may set their clocks anywhere in between."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import x25519

from fieldapp.documents import pki
from fieldapp.documents.signing import DocumentSigner
from fieldapp.documents import authority as ca

ISSUED = dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc)
INSTITUTION = "Nanjing Demo Bank"


@dataclass
class TestPki:
    root_key: pki.PrivateKey
    root: x509.Certificate
    device_key: pki.PrivateKey
    device: x509.Certificate
    tsa_key: pki.PrivateKey
    tsa: x509.Certificate
    crl: bytes
    evidence_key: x25519.X25519PrivateKey

    @property
    def signer(self) -> DocumentSigner:
        return DocumentSigner(self.device_key, self.device, (self.root,), (self.crl,))

    @property
    def evidence_public_pem(self) -> bytes:
        return self.evidence_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                           serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def root_pem(self) -> bytes:
        return pki.cert_to_pem(self.root)

    def signing_setup(self, verify_url: str | None = "https://sync.example.org"):
        from fieldapp.sync.enrol import SigningSetup

        return SigningSetup(self.signer, self.evidence_public_pem, verify_url, self.root_pem)

    def issue(self, name: str = "Other Signer", *, days: int = 15 * 365, at: dt.datetime = ISSUED,
              root_key=None, root=None) -> DocumentSigner:  # noqa: ANN001
        key = pki.new_ec_key()
        cert = ca.issue_signer(root_key or self.root_key, root or self.root, key.public_key(),
                               ca.Subject(name, INSTITUTION, "agent9", "dev-9"), at, days=days)
        return DocumentSigner(key, cert, (root or self.root,), (self.crl,))

    def crl_with(self, *entries: ca.RevokedEntry, at: dt.datetime) -> bytes:
        crl = ca.make_crl(self.root_key, self.root, entries, at, int(at.timestamp()))
        return crl.public_bytes(serialization.Encoding.DER)


def make_pki(institution: str = INSTITUTION) -> TestPki:
    root_key, root = ca.make_root(institution, ISSUED)
    device_key = pki.new_ec_key()
    device = ca.issue_signer(root_key, root, device_key.public_key(),
                             ca.Subject("李强", institution, "agent1", "laptop-0001"), ISSUED, days=15 * 365)
    tsa_key, tsa = ca.make_tsa(root_key, root, institution, ISSUED)
    crl = ca.make_crl(root_key, root, [], ISSUED, 1).public_bytes(serialization.Encoding.DER)
    return TestPki(root_key, root, device_key, device, tsa_key, tsa, crl, x25519.X25519PrivateKey.generate())
