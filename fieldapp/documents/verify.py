"""Is this agreement PDF the one that was signed? The full verdict.

A PDF is **intact** only when all of these hold:

1. it carries at least one signature (a PAdES signature by a device or signer key) and
   every signature and document timestamp in it is cryptographically valid: the bytes
   it covers hash to the signed digest and the signature over them checks out;
2. every signer's certificate chains to the trusted root (`--trust ROOT.pem`), was valid
   when it signed, and a receipt timestamp is by a time-stamping certificate of that root;
3. the signer was not revoked at signing time: no revocation list (embedded in the PDF or
   given) names its certificate as revoked, or compromised, before the server's receipt
   (before the claimed signing time when there is no receipt), and at least one CRL of
   the root is at hand;
4. nothing changed after the last signature beyond what PAdES allows (pyHanko's
   difference analysis: only revocation data and document timestamps may follow);
5. the facts check (`fieldapp.documents.facts`) still holds: the visible text says what
   the embedded, signed terms say.

A PDF with no signature at all is **unsigned** (a draft); anything else is **altered**.
The verdict names the signer, the device, the claimed signing time and the server's
receipt time.
"""

from __future__ import annotations

import datetime as _dt
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import warnings

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from fieldapp.core.errors import BadInput
from fieldapp.core.timeutil import utcnow
from fieldapp.documents import pki
from fieldapp.documents.offloop import off_loop
from fieldapp.documents.facts import check_facts

# pyHanko imports the DSA primitives, which cryptography marks as deprecated on import.
warnings.filterwarnings("ignore", message="DSA is deprecated")

INTACT, UNSIGNED, ALTERED = "intact", "unsigned", "altered"
# pyHanko logs each path it cannot build with a traceback; the verdict reports it in one line.
for _name in ("pyhanko_certvalidator", "pyhanko.sign.validation"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


@dataclass
class SignatureReport:
    field: str
    kind: str                          # signature | receipt
    ok: bool
    signer: str | None = None
    device_id: str | None = None
    serial: str | None = None
    time: _dt.datetime | None = None   # claimed signing time, or the receipt timestamp's time
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "kind": self.kind, "ok": self.ok, "signer": self.signer,
                "device_id": self.device_id, "serial": self.serial,
                "time": self.time.isoformat() if self.time else None, "problems": self.problems}


@dataclass
class Verification:
    status: str = ALTERED
    problems: list[str] = field(default_factory=list)
    agreement_id: str | None = None
    sha256: str | None = None
    pages: int = 0
    signatures: list[SignatureReport] = field(default_factory=list)
    signer: str | None = None
    device_id: str | None = None
    signed_at: _dt.datetime | None = None
    received_at: _dt.datetime | None = None
    crl_date: _dt.datetime | None = None
    # Notes that do not change the verdict (the bytes and signers are sound) but that a reader
    # of the evidence should know, e.g. a device clock that ran ahead of the server's receipt.
    warnings: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.status == INTACT

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "intact": self.intact, "agreement_id": self.agreement_id,
                "sha256": self.sha256, "pages": self.pages, "signer": self.signer,
                "device_id": self.device_id,
                "signed_at": self.signed_at.isoformat() if self.signed_at else None,
                "received_at": self.received_at.isoformat() if self.received_at else None,
                "crl_date": self.crl_date.isoformat() if self.crl_date else None,
                "signatures": [s.to_json() for s in self.signatures], "problems": self.problems,
                "warnings": self.warnings}


# A device clock may differ from the server's by seconds; beyond this, a signing time
# later than the receipt means the device's clock ran ahead (or was set ahead).
CLOCK_TOLERANCE = _dt.timedelta(minutes=2)


def verify_pdf_file(path: Path, *, trust: list[x509.Certificate] | None = None,
                    crls: list[bytes] | None = None) -> Verification:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read the file: {exc.strerror}", where=str(path)) from None
    return verify_pdf(data, trust=trust, crls=crls, where=str(path))


def verify_pdf(data: bytes, *, trust: list[x509.Certificate] | None = None, crls: list[bytes] | None = None,
               where: str = "PDF", now: _dt.datetime | None = None, received_now: bool = False,
               kind: str = "agreement") -> Verification:
    """The verdict on `data`; unreadable input is BadInput (exit 2), every other failure a problem.

    `received_now`: the server judging a document it is receiving; certificates and
    revocation are then checked at the server's `now`, not at the laptop's claimed time.
    `kind`: `agreement` (the facts check applies) or `visit_report` (it carries no terms:
    the signatures alone decide, and the document must say it is a visit report)."""
    facts = check_facts(data, where=where) if kind == "agreement" else _report_facts(data, where)
    result = Verification(agreement_id=facts.agreement_id, sha256=facts.sha256, pages=facts.pages)
    embedded, unreadable = _embedded(data, where)
    if unreadable:
        result.problems += [f"signature field {name}: holds a signature or receipt that cannot be read "
                            "(its dictionary was changed)" for name in unreadable]
        result.status = ALTERED
        if not embedded:
            return result
    if not embedded:
        result.status = UNSIGNED
        result.problems = ["the document is not signed (a draft): it proves nothing"] + facts.problems
        return result
    now = now or utcnow()
    checker = _Checker(result, trust or [], crls or [], now, now if received_now else None)
    from pyhanko.pdf_utils.misc import PdfError

    try:
        off_loop(lambda: checker.run(embedded))
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        # pyHanko reads the damaged objects lazily, past the point where _embedded could
        # catch it (an 'endstream' moved, a dictionary where a stream should be, ...).
        raise BadInput(f"the PDF's signatures cannot be read ({type(exc).__name__}: {exc})", where=where) from None
    result.problems += facts.problems
    result.status = INTACT if not result.problems else ALTERED
    return result


def _report_facts(data: bytes, where: str):  # type: ignore[no-untyped-def]
    """A visit report's own facts: its page count, and that it says it is one."""
    from fieldapp.documents.facts import Facts
    from fieldapp.documents.facts import _reader as read

    reader = read(data, where)
    result = Facts(pages=len(reader.pages))
    keywords = str((reader.metadata or {}).get("/Keywords", "")) if reader.metadata else ""
    if not keywords.startswith("fieldapp-visit-report/"):
        result.problems.append("the PDF is not a visit report")
    return result


def _embedded(data: bytes, where: str) -> tuple[list[Any], list[str]]:
    """The signatures pyHanko reads, and the names of signed fields it cannot read as one
    (a changed byte in a signature's dictionary, e.g. its /SubFilter, makes pyHanko pass
    over it: the seal would silently vanish instead of reading as damaged)."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
        filled = [name for name, _value, _ref in enumerate_sig_fields(reader, filled_status=True)]
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise BadInput(f"the PDF's signatures cannot be read ({type(exc).__name__}: {exc})", where=where) from None
    read = {e.field_name for e in embedded}
    return embedded, [name or "?" for name in filled if name not in read]


def _cert(asn1_cert) -> x509.Certificate:  # type: ignore[no-untyped-def]
    return x509.load_der_x509_certificate(asn1_cert.dump())


class _Checker:
    def __init__(self, result: Verification, trust: list[x509.Certificate], crls: list[bytes],
                 now: _dt.datetime, receiving: _dt.datetime | None) -> None:
        self.result, self.trust, self.now, self.receiving = result, trust, now, receiving
        self.crls = list(crls)

    def run(self, embedded: list[Any]) -> None:
        result = self.result
        if not self.trust:
            result.problems.append("no trusted root was given (--trust ROOT.pem): the signer cannot be checked")
        receipts = [e for e in embedded if e.sig_object_type == "/DocTimeStamp"]
        signatures = [e for e in embedded if e.sig_object_type != "/DocTimeStamp"]
        self.crls += self._embedded_crls(embedded[-1])
        for stamp in receipts:
            report = self._receipt(stamp)
            report.problems += _padding(stamp)
            report.ok = not report.problems
            result.signatures.append(report)
            if report.ok and result.received_at is None:
                result.received_at = report.time
        if not signatures:
            result.problems.append("the document carries a timestamp but no signature")
        order = {id(e): i for i, e in enumerate(embedded)}
        for sig in signatures:
            later = [r for e, r in zip(receipts, result.signatures) if order[id(e)] > order[id(sig)] and r.ok]
            received = later[0].time if later else self.receiving
            report = self._signature(sig, received)
            report.problems += _padding(sig)
            report.ok = not report.problems
            result.signatures.append(report)
            if result.signer is None:
                result.signer, result.device_id, result.signed_at = report.signer, report.device_id, report.time
        result.signatures.sort(key=lambda r: r.kind != "signature")
        if result.signed_at is not None and result.received_at is not None \
                and result.signed_at - result.received_at > CLOCK_TOLERANCE:
            result.warnings.append(
                f"the device's clock claims signing at {result.signed_at:%Y-%m-%d %H:%M:%S} UTC, after the "
                f"server's receipt at {result.received_at:%Y-%m-%d %H:%M:%S} UTC: the device clock ran ahead; "
                "the receipt's time is the one to rely on")
        for report in result.signatures:
            result.problems += [f"{'signature' if report.kind == 'signature' else 'receipt'} "
                                f"{report.field}: {p}" for p in report.problems]

    # ------------------------------------------------------------------ pieces
    def _context(self, moment: _dt.datetime | None):  # type: ignore[no-untyped-def]
        from asn1crypto import x509 as ax509
        from pyhanko_certvalidator import ValidationContext

        roots = [ax509.Certificate.load(c.public_bytes(Encoding.DER)) for c in self.trust]
        return ValidationContext(trust_roots=roots, moment=moment, allow_fetching=False)

    def _embedded_crls(self, last: Any) -> list[bytes]:
        """CRLs in the document security store (and in the signatures' own revocation data)."""
        from pyhanko.sign.validation.dss import DocumentSecurityStore
        from pyhanko.sign.validation.errors import NoDSSFoundError

        try:
            dss = DocumentSecurityStore.read_dss(last.reader)
        except (NoDSSFoundError, ValueError, KeyError, TypeError):
            return []
        out = []
        for ref in dss.crls:
            try:
                out.append(bytes(ref.get_object().data))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
        return out

    def _root_of(self, cert: x509.Certificate) -> x509.Certificate | None:
        return next((r for r in self.trust if pki.issued_by(cert, r) or cert == r), None)

    def _receipt(self, stamp: Any) -> SignatureReport:
        from pyhanko.sign.validation import validate_pdf_timestamp

        report = SignatureReport(stamp.field_name or "?", "receipt", False)
        try:
            status = validate_pdf_timestamp(stamp, validation_context=self._context(None))
        except Exception as exc:  # noqa: BLE001 - a damaged token must read as a problem, not a crash
            report.problems.append(f"cannot be checked ({type(exc).__name__}: {exc})")
            return report
        report.time = status.timestamp
        cert = _cert(status.signing_cert)
        report.signer = pki.Holder.of(cert).describe()
        report.serial = format(cert.serial_number, "x")
        if not (status.intact and status.valid):
            report.problems.append("the timestamp does not match the document (broken)")
        elif self.trust and (not status.trusted or self._root_of(cert) is None):
            report.problems.append(f"the time-stamping certificate ({report.signer}) does not chain to the trusted root")
        report.problems += _changes(status) + self._container(stamp)
        report.ok = not report.problems
        return report

    def _container(self, sig: Any) -> list[str]:
        """The certificates a signature carries beside its value are not covered by it: a
        changed byte in one leaves the signature valid. Each must be the trusted root or a
        certificate it issued (checked cryptographically), so such a change reads as one."""
        if not self.trust:
            return []
        problems = []
        try:
            certs = sig.signed_data["certificates"]
            count = len(certs)
        except (ValueError, TypeError, KeyError):  # no set at all (a Void), or one that does not parse
            certs, count = None, 0
        for i in range(count):
            try:
                choice = certs[i]  # type: ignore[index]
                cert = x509.load_der_x509_certificate(choice.chosen.dump()) if choice.name == "certificate" else None
            except (ValueError, TypeError, KeyError):
                cert = None
            if cert is None:
                problems.append("a certificate carried in the signature cannot be read (its bytes were changed)")
            elif cert not in self.trust and self._root_of(cert) is None:
                problems.append(f"the signature carries a certificate the trusted root did not issue, or whose "
                                f"bytes were changed ({cert.subject.rfc4514_string()})")
        return problems

    def _signature(self, sig: Any, received: _dt.datetime | None) -> SignatureReport:
        from pyhanko.sign.validation import validate_pdf_signature

        report = SignatureReport(sig.field_name or "?", "signature", False)
        claimed = sig.self_reported_timestamp
        report.time = claimed
        moment = received or claimed or self.now
        try:
            status = validate_pdf_signature(sig, self._context(moment))
        except Exception as exc:  # noqa: BLE001 - pyHanko raises many types on damaged input
            report.problems.append(f"cannot be checked ({type(exc).__name__}: {exc})")
            return report
        cert = _cert(status.signing_cert)
        holder = pki.Holder.of(cert)
        report.signer, report.device_id = holder.describe(), holder.device_id
        report.serial = format(cert.serial_number, "x")
        if not status.intact:
            report.problems.append("the signed bytes were changed (the signature is broken)")
        elif not status.valid:
            report.problems.append("the signature value is not valid")
        if self.trust:
            root = self._root_of(cert)
            if root is None:
                report.problems.append(f"signed by a certificate of another authority ({_issuer(cert)}), "
                                       "not of the trusted root")
            elif not (cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc):
                report.problems.append(f"the certificate was not valid at {moment:%Y-%m-%d %H:%M} UTC "
                                       f"(valid {cert.not_valid_before_utc:%Y-%m-%d} to "
                                       f"{cert.not_valid_after_utc:%Y-%m-%d})")
            elif not status.trusted:
                report.problems.append("the certificate chain is not accepted by the trusted root")
            else:
                report.problems += self._revocation(cert, root, received, claimed)
        report.problems += _changes(status) + self._container(sig)
        report.ok = not report.problems
        return report

    def _revocation(self, cert: x509.Certificate, root: x509.Certificate, received: _dt.datetime | None,
                    claimed: _dt.datetime | None) -> list[str]:
        lists = []
        for der in self.crls:
            try:
                crl = x509.load_der_x509_crl(der)
            except ValueError:
                continue
            if pki.crl_signed_by(crl, root):
                lists.append(crl)
        if not lists:
            return ["no revocation list of the trusted root is embedded or given (--crl CRL.pem): "
                    "whether the device was revoked cannot be told"]
        newest = max(c.last_update_utc for c in lists)
        self.result.crl_date = max(self.result.crl_date or newest, newest)
        when = received or claimed
        for crl in lists:
            revoked = pki.revocation_of(crl, cert.serial_number)
            if revoked is None:
                continue
            if when is None or revoked.effective <= when:
                since = revoked.effective
                return [f"the certificate was revoked (compromised since {since:%Y-%m-%d %H:%M} UTC), before "
                        + ("the server received the document" if received else "the document claims to be signed")]
        return []


def _issuer(cert: x509.Certificate) -> str:
    try:
        return cert.issuer.rfc4514_string()[:120]
    except ValueError:
        return "unknown issuer"


def _padding(sig: Any) -> list[str]:
    """The signature container's reserved space past the CMS itself must stay zero: it is the
    one part of a signed file no signature covers, so nothing may hide there."""
    from asn1crypto.parser import parse

    try:
        raw = bytes(sig.sig_object["/Contents"])
        _, _, _, header, content, trailer = parse(raw)
    except (KeyError, ValueError, TypeError):
        return ["its signature container cannot be read"]
    if raw[len(header) + len(content) + len(trailer):].strip(b"\x00"):
        return ["bytes were changed in the space reserved for the signature"]
    return []


def _changes(status: Any) -> list[str]:
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    level = status.modification_level
    if status.coverage not in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION):
        return ["it does not cover the whole document"]
    if level is None or level > ModificationLevel.LTA_UPDATES:
        what = level.name.lower().replace("_", " ") if level is not None else "unknown"
        return [f"the document was changed after it was signed ({what} changes)"]
    if status.docmdp_ok is False:
        return ["the changes after it break its modification policy"]
    return []
