"""From what the visit collected to what is kept: the agreement (terms + PDF) and the
protocol `VisitRecord` with its attachments. Qt-free.

The agreement terms go through `fieldapp.documents.terms.parse_terms`, the same reader
`fieldapp agreement render` uses, so the app can never sign something the verifier would
refuse. Attachments are content-addressed: {sha256: bytes}.

Signing happens here, offline, the moment both parties have signed by hand: the PDF is
rendered with the handwriting evidence (already encrypted to the institution) embedded
and signed with this laptop's device key (PAdES, fieldapp.documents.signing). A laptop
that is not enrolled produces a draft marked as not digitally signed. `make_draft`
renders the unsigned agreement the customer reads before signing. `make_report` renders
the visit report when the visit is recorded and signs it the same way; it lists the
record's photos (the ones waiting for the visit when it is recorded) with a thumbnail of each.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from fieldapp.core.plans import Plan
from fieldapp.core.timeutil import iso
from fieldapp.documents.terms import AgreementTerms, parse_terms
from fieldapp.protocol.v1 import AgreementRecord, SignatureRef, VisitRecord
from fieldapp.ui.visit.setup import VisitSetup

ROLES = ("customer", "agent")


@dataclass(frozen=True)
class SignatureCapture:
    role: str
    png: bytes
    captured_at: _dt.datetime
    evidence: bytes | None = None   # the strokes, encrypted to the institution (evidence envelope)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.png).hexdigest()

    def to_json(self) -> dict[str, str]:
        """The TERMS.json form (the evidence travels inside the PDF, not in the terms)."""
        return {"png_base64": base64.b64encode(self.png).decode("ascii"), "captured_at": iso(self.captured_at)}

    def to_draft(self) -> dict[str, str]:
        data = self.to_json()
        if self.evidence is not None:
            data["evidence_base64"] = base64.b64encode(self.evidence).decode("ascii")
        return data


def seal_handwriting(setup: VisitSetup, agreement_id: str, role: str, png: bytes, handwriting: Any) -> bytes | None:
    """The strokes encrypted to the institution's evidence key (None without a key or strokes)."""
    signing = setup.signing
    if handwriting is None or signing is None or not signing.evidence_key_pem:
        return None
    from fieldapp.documents import evidence

    key = evidence.load_public_key(signing.evidence_key_pem)
    return evidence.seal(handwriting, key, evidence.context(agreement_id, role, hashlib.sha256(png).hexdigest()))


@dataclass(frozen=True)
class Agreement:
    terms: AgreementTerms
    pdf: bytes

    @property
    def pdf_sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()

    def record(self, signatures: dict[str, SignatureCapture], *,
               read_before_signing: str | None = None) -> AgreementRecord:
        terms = self.terms
        return AgreementRecord(
            agreement_id=terms.agreement_id,
            terms=json.loads(terms.canonical_bytes()),
            terms_sha256=terms.sha256,
            pdf_sha256=self.pdf_sha256,
            total=format(terms.plan.total, "f"),
            currency=terms.currency,
            signatures=[SignatureRef(role=role, sha256=signatures[role].sha256,
                                     captured_at=signatures[role].captured_at) for role in ROLES],
            read_before_signing=read_before_signing,
        )

    def attachments(self, signatures: dict[str, SignatureCapture]) -> dict[str, bytes]:
        files = {self.pdf_sha256: self.pdf}
        files.update({s.sha256: s.png for s in signatures.values()})
        return files


def terms_data(setup: VisitSetup, agreement_id: str, plan: Plan, agreed_on: _dt.date,
               signatures: dict[str, SignatureCapture]) -> dict[str, Any]:
    """The TERMS.json structure (fieldapp/documents/TERMS.md) of this visit's agreement."""
    case, inst = setup.case, setup.institution
    return {
        "agreement_id": agreement_id,
        "case_reference": case.reference,
        "creditor": {"name": inst.name, "address": inst.address, "registration": inst.registration},
        "customer": {"name": case.customer.name, "id_tail": case.customer.id_tail,
                     "address": case.customer.address},
        "agent": {"name": setup.agent_name, "id": setup.agent_id},
        "currency": plan.currency,
        "amount_due": format(plan.amount_due, "f"),
        "plan": {"kind": plan.kind.value, "total": format(plan.total, "f"), "count": plan.count,
                 "frequency": plan.frequency.value if plan.frequency else None,
                 "first_due": plan.first_due.isoformat(), "remainder": plan.remainder.value},
        "terms_text": dict(setup.terms_text),
        "place": case.customer.address[:200],
        "date": agreed_on.isoformat(),
        "timezone": case.customer.timezone,
        "signatures": {role: sig.to_json() for role, sig in signatures.items()},
    }


def make_agreement(setup: VisitSetup, agreement_id: str, plan: Plan, agreed_on: _dt.date,
                   signatures: dict[str, SignatureCapture]) -> Agreement:
    """Check the terms as the verifier will, render the PDF and sign it with the device key
    (BadInput names the field; an expired or unusable device certificate is BadInput too)."""
    from fieldapp.documents.agreement import build_agreement_pdf

    data = terms_data(setup, agreement_id, plan, agreed_on, signatures)
    terms = parse_terms(data, where="agreement", limits=setup.limits)
    signing, now = setup.signing, setup.now()
    evidence = {role: s.evidence for role, s in signatures.items() if s.evidence is not None}
    pdf = build_agreement_pdf(terms, setup.document_lang(), where="agreement", draft=signing is None,
                              created=now, verify_url=signing.verify_url if signing else None, evidence=evidence)
    pdf = _sign(setup, pdf, now, reason=f"Repayment agreement {terms.agreement_id}", location=terms.place)
    return Agreement(terms, pdf)


def _sign(setup: VisitSetup, pdf: bytes, now: _dt.datetime, *, reason: str, location: str | None) -> bytes:
    """`pdf` PAdES-signed by this laptop's device key (unchanged when it is not enrolled)."""
    signing = setup.signing
    if signing is None:
        return pdf
    from fieldapp.documents.signing import sign_pdf

    signing.signer.check(now, where="device certificate")
    return sign_pdf(pdf, signing.signer, now=now, reason=reason, location=location)


@dataclass(frozen=True)
class Report:
    pdf: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


def report_data(setup: VisitSetup, record: VisitRecord) -> dict[str, Any]:
    """The visit report's input (fieldapp.documents.visit_report) from the record as it is kept."""
    case = setup.case
    decision = record.checkin_decision or record.planning_decision
    location = None
    if record.location is not None:
        location = {"lat": record.location.lat, "lon": record.location.lon,
                    "accuracy_m": record.location.accuracy_m, "distance_m": record.distance_m,
                    "captured_at": iso(record.checked_in_at) if record.checked_in_at else None}
    promise = record.promise
    return {
        "visit_id": record.visit_id,
        "case": {"reference": case.reference, "customer_name": case.customer.name,
                 "address": case.customer.address, "amount_due": case.amount_due, "currency": case.currency},
        "agent": {"name": setup.agent_name, "id": setup.agent_id},
        "timezone": case.customer.timezone,
        "started_at": iso(record.agent_started_at), "ended_at": iso(record.ended_at),
        "decision": dict(decision) if decision is not None else None,
        "transcript": list(record.transcript),
        "outcome": {"code": record.outcome.value, "notes": record.notes,
                    "promise": {"amount": promise.amount, "due": promise.due_date.isoformat()} if promise else None},
        "location": location,
        "agreement": {"id": record.agreement.agreement_id, "sha256": record.agreement.pdf_sha256}
        if record.agreement else None,
        "photos": [{"sha256": p.sha256, "kind": p.kind, "captured_at": iso(p.captured_at),
                    "taken_at": iso(p.taken_at) if p.taken_at else None, "lat": p.lat, "lon": p.lon}
                   for p in record.photos],
    }


def make_report(setup: VisitSetup, record: VisitRecord, photos: dict[str, bytes] | None = None) -> Report:
    """The visit report PDF, signed with the device key like the agreement (BadInput names the
    field). `photos`: {sha256: file} of the record's photos, for their thumbnails."""
    from fieldapp.documents.visit_report import build_visit_report

    now = setup.now()
    lang = setup.document_lang()
    pdf = build_visit_report(report_data(setup, record), lang, where="visit report", images=photos)
    return Report(_sign(setup, pdf, now, reason=f"Visit report {record.visit_id}", location=None))


def make_draft(setup: VisitSetup, agreement_id: str, plan: Plan, agreed_on: _dt.date) -> bytes:
    """The agreement as the customer reads it before signing: all its terms, no signatures,
    every page marked as a draft."""
    from fieldapp.documents.agreement import build_agreement_pdf

    data = terms_data(setup, agreement_id, plan, agreed_on, {})
    data.pop("signatures")
    terms = parse_terms(data, where="agreement", limits=setup.limits, unsigned=True)
    signing = setup.signing
    return build_agreement_pdf(terms, setup.document_lang(), where="agreement", draft=True, created=setup.now(),
                               verify_url=signing.verify_url if signing else None)
