"""PAdES signatures on our PDFs, with pyHanko: the laptop's signature and the server's seal.

- `sign_pdf`: a PAdES B-B signature (ETSI.CAdES.detached, SHA-256) by a device or signer
  key, as one incremental update that also carries the revocation list the signer holds
  (in the document security store, so the signature covers it). The signature covers the
  whole file: pages, signature images, embedded terms and encrypted handwriting data.
- `seal_pdf`: the server's receipt, a second incremental update with the current CRL in
  the DSS and an RFC 3161 document timestamp by the server's own time-stamping key. The
  timestamp's time is the server's, so the receipt time holds even when the laptop's
  clock was wrong. PAdES allows exactly these additions after a signature (pyHanko's
  difference analysis classes them as LTA updates).

Times come from the application clock (fieldapp.core.clock) through the callers' `now`.
"""

from __future__ import annotations

import datetime as _dt
import functools
import io
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import warnings

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from fieldapp.core.errors import BadInput, FieldappError
from fieldapp.documents import pki
from fieldapp.documents.offloop import off_loop

# pyHanko imports the DSA primitives, which cryptography marks as deprecated on import.
warnings.filterwarnings("ignore", message="DSA is deprecated")

SIGNATURE_FIELD = "fieldapp-signature"
SEAL_FIELD = "fieldapp-receipt"
CMS_RESERVED = 12_288   # bytes for the signature container: EC signature, two certificates, attributes
# A UUID-based OID (ITU-T X.667, arc 2.25) naming fieldapp's receipt time-stamping policy.
RECEIPT_POLICY_OID = "2.25." + str(uuid.UUID("5b0c8f0e-6a1f-4c55-9d7e-2f6b8a1d4e31").int)


class SigningFailed(FieldappError):
    """pyHanko refused to sign (a damaged PDF, an unusable key)."""


def _asn1_cert(cert: x509.Certificate):  # type: ignore[no-untyped-def]
    from asn1crypto import x509 as ax509

    return ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _asn1_key(key: pki.PrivateKey):  # type: ignore[no-untyped-def]
    from asn1crypto import keys as akeys

    return akeys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def _asn1_crl(der: bytes):  # type: ignore[no-untyped-def]
    from asn1crypto import crl as acrl

    return acrl.CertificateList.load(der)


@dataclass(frozen=True)
class DocumentSigner:
    """A signing key, its certificate, the chain up to the root and the CRLs it holds (DER)."""

    key: pki.PrivateKey = field(repr=False)
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()
    crls: tuple[bytes, ...] = ()

    @property
    def holder(self) -> pki.Holder:
        return pki.Holder.of(self.cert)

    @functools.cached_property
    def _pyhanko(self):  # type: ignore[no-untyped-def]
        """pyHanko's signer and the chain in its (asn1crypto) form, made once per signer."""
        from pyhanko.sign import signers
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        cert, chain = _asn1_cert(self.cert), [_asn1_cert(c) for c in self.chain]
        registry = SimpleCertificateStore.from_certs([cert, *chain])
        signer = signers.SimpleSigner(signing_cert=cert, signing_key=_asn1_key(self.key), cert_registry=registry)
        return signer, chain, [_asn1_crl(c) for c in self.crls]

    def check(self, now: _dt.datetime, *, where: str = "signing key") -> None:
        """The key is the certificate's, and the certificate is valid `now`."""
        pki.check_usable(self.key, self.cert, now, where=where)

    @classmethod
    def from_pem(cls, key_pem: bytes, cert_pem: bytes, chain_pem: bytes = b"", crl: bytes | None = None, *,
                 passphrase: bytes | None = None, key_where: str = "key", cert_where: str = "certificate",
                 chain_where: str = "chain", crl_where: str = "CRL") -> "DocumentSigner":
        key = pki.load_key(key_pem, passphrase, where=key_where)
        certs = pki.load_certs(cert_pem, where=cert_where)
        chain = certs[1:] + (pki.load_certs(chain_pem, where=chain_where) if chain_pem.strip() else [])
        crls: tuple[bytes, ...] = ()
        if crl:
            parsed = pki.load_crl(crl, where=crl_where)
            crls = (parsed.public_bytes(serialization.Encoding.DER),)
        if not pki.same_public_key(key, certs[0]):
            raise BadInput("the key does not match the certificate", where=key_where)
        return cls(key, certs[0], tuple(chain), crls)

    @classmethod
    def from_files(cls, key: Path, cert: Path, *, chain: Path | None = None, crl: Path | None = None,
                   passphrase: bytes | None = None) -> "DocumentSigner":
        """Files as `fieldapp server ca issue` writes them: chain.pem and crl.pem beside the
        certificate are used when no other chain or CRL is named."""
        chain = chain or _beside(cert, "chain.pem")
        crl = crl or _beside(cert, "crl.pem")
        return cls.from_pem(_read(key), _read(cert), _read(chain) if chain else b"",
                            _read(crl) if crl else None, passphrase=passphrase, key_where=str(key),
                            cert_where=str(cert), chain_where=str(chain), crl_where=str(crl))


def _beside(path: Path, name: str) -> Path | None:
    other = path.with_name(name)
    return other if other != path and other.is_file() else None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read the file: {exc.strerror}", where=str(path)) from None


def _clocked_signer_class():  # type: ignore[no-untyped-def]
    """pyHanko's PdfSigner, reading "now" from our clock instead of the system's."""
    from pyhanko.sign.signers.pdf_signer import PdfSigner

    class ClockedPdfSigner(PdfSigner):
        def __init__(self, *args, now: _dt.datetime, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            self._now = now

        def init_signing_session(self, pdf_out, existing_fields_only=False):  # type: ignore[no-untyped-def]
            session = super().init_signing_session(pdf_out, existing_fields_only)
            session.system_time = self._now
            return session

    return ClockedPdfSigner


def sign_pdf(pdf: bytes, signer: DocumentSigner, *, now: _dt.datetime, reason: str | None = None,
             location: str | None = None, field_name: str = SIGNATURE_FIELD) -> bytes:
    """`pdf` with a PAdES B-B signature by `signer` at `now` (an incremental update)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    signer.check(now)
    cms_signer, chain, crls = signer._pyhanko
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason, location=location, name=signer.holder.name)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        if crls:
            DocumentSecurityStore.supply_dss_in_writer(writer, None, certs=chain, crls=crls)
        pdf_signer = _clocked_signer_class()(meta, cms_signer, now=now)
        # A fixed reservation spares pyHanko a dry run of the whole CMS to measure it.
        out = off_loop(lambda: pdf_signer.sign_pdf(writer, bytes_reserved=CMS_RESERVED))
    except (ValueError, KeyError, TypeError) as exc:
        raise SigningFailed(f"the PDF could not be signed ({type(exc).__name__}: {exc})") from None
    return out.getvalue()


class _ReceiptStamper:
    """A local RFC 3161 time-stamper with the server's key (pyHanko's own, under our policy)."""

    @staticmethod
    def make(key: pki.PrivateKey, cert: x509.Certificate, chain: tuple[x509.Certificate, ...],
             now: _dt.datetime):  # type: ignore[no-untyped-def]
        from asn1crypto import cms, core, tsp
        from cryptography.hazmat.primitives import hashes
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from pyhanko.sign.general import as_signing_certificate, simple_cms_attribute
        from pyhanko_certvalidator.util import get_pyca_cryptography_hash

        class ReceiptTimeStamper(DummyTimeStamper):
            def _build_tst_info(self, message_imprint, dt, req):  # type: ignore[no-untyped-def]
                info = super()._build_tst_info(message_imprint, dt, req)
                info["policy"] = tsp.ObjectIdentifier(RECEIPT_POLICY_OID)
                return info

            def _sign_tst_info(self, tst_info_data, md_algorithm, dt):  # type: ignore[no-untyped-def]
                # as pyHanko's, with the key object we hold (reloading an RSA key costs ~0.1 s)
                digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
                digest.update(tst_info_data)
                attrs = cms.CMSAttributes([
                    simple_cms_attribute("content_type", "tst_info"),
                    simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                    simple_cms_attribute("signing_certificate", as_signing_certificate(self.tsa_cert)),
                    simple_cms_attribute("message_digest", digest.finalize()),
                ])
                signature = key.sign(attrs.dump(), PKCS1v15(), get_pyca_cryptography_hash(md_algorithm.upper()))
                return signature, attrs

        return ReceiptTimeStamper(tsa_cert=_asn1_cert(cert), tsa_key=_asn1_key(key),
                                  certs_to_embed=[_asn1_cert(c) for c in chain], fixed_dt=now)


def seal_pdf(pdf: bytes, *, tsa_key: pki.PrivateKey, tsa_cert: x509.Certificate,
             chain: tuple[x509.Certificate, ...], crl: bytes | None, now: _dt.datetime) -> bytes:
    """The server's receipt: DSS with `crl` and the chain, then a document timestamp at `now`."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        DocumentSecurityStore.supply_dss_in_writer(
            writer, None, certs=[_asn1_cert(c) for c in (tsa_cert, *chain)],
            crls=[_asn1_crl(crl)] if crl else None)
        stamper = PdfTimeStamper(_ReceiptStamper.make(tsa_key, tsa_cert, chain, now), field_name=SEAL_FIELD)
        out = off_loop(lambda: stamper.timestamp_pdf(writer, "sha256", bytes_reserved=CMS_RESERVED))
    except (ValueError, KeyError, TypeError) as exc:
        raise SigningFailed(f"the PDF could not be sealed ({type(exc).__name__}: {exc})") from None
    return out.getvalue()
