"""From what the visit collected to what is kept: the agreement (terms + PDF) and the
protocol `VisitRecord` with its attachments. Qt-free.

The agreement terms go through `fieldapp.documents.terms.parse_terms`, the same reader
`fieldapp agreement render` uses, so the app can never sign something the verifier would
refuse. Attachments are content-addressed: {sha256: bytes}.
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
from fieldapp.protocol.v1 import AgreementRecord, SignatureRef
from fieldapp.ui.visit.setup import VisitSetup

ROLES = ("customer", "agent")


@dataclass(frozen=True)
class SignatureCapture:
    role: str
    png: bytes
    captured_at: _dt.datetime

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.png).hexdigest()

    def to_json(self) -> dict[str, str]:
        return {"png_base64": base64.b64encode(self.png).decode("ascii"), "captured_at": iso(self.captured_at)}


@dataclass(frozen=True)
class Agreement:
    terms: AgreementTerms
    pdf: bytes

    @property
    def pdf_sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()

    def record(self, signatures: dict[str, SignatureCapture]) -> AgreementRecord:
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
    """Check the terms as the verifier will, then render the PDF (BadInput names the field)."""
    from fieldapp.documents.agreement import build_agreement_pdf

    data = terms_data(setup, agreement_id, plan, agreed_on, signatures)
    terms = parse_terms(data, where="agreement", limits=setup.limits)
    return Agreement(terms, build_agreement_pdf(terms, setup.document_lang(), where="agreement"))
