"""Every label the documents print has a Chinese translation in documents.po."""

from __future__ import annotations

import string

from doc_builders import terms_dict, visit_report_dict

from fieldapp.core.i18n import parse_po
from fieldapp.core.outcomes import Outcome
from fieldapp.core.resources import resource_path
from fieldapp.documents.agreement import build_agreement_pdf
from fieldapp.documents.layout import Labels
from fieldapp.documents.terms import parse_terms
from fieldapp.documents.visit_report import OUTCOME_LABELS, build_visit_report


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_printed_label_is_translated(monkeypatch):
    used: set[str] = set()
    original = Labels.parts

    def recording(self, message, **values):
        used.add(message)
        return original(self, message, **values)

    monkeypatch.setattr(Labels, "parts", recording)
    plans = [
        {"kind": "instalments", "count": 6, "frequency": "monthly", "first_due": "2026-03-31"},
        {"kind": "instalments", "count": 4, "frequency": "weekly", "first_due": "2026-03-09", "remainder": "first"},
        {"kind": "deferral", "count": 2, "frequency": "fortnightly", "first_due": "2026-06-01"},
        {"kind": "settlement", "total": "10000.00", "count": 1, "first_due": "2026-03-31"},
        {"kind": "instalments", "total": "12345.66", "count": 2, "frequency": "monthly", "first_due": "2026-03-31"},
    ]
    for plan in plans:
        data = terms_dict(plan=plan)
        if plan.get("total") == "12345.66":
            data["amount_due"] = "12345.66"
        build_agreement_pdf(parse_terms(data), "both")
    unsigned = terms_dict()
    unsigned.pop("signatures")
    build_agreement_pdf(parse_terms(unsigned, unsigned=True), "both", draft=True, verify_url="https://x.example")
    build_visit_report(visit_report_dict(), "both")
    build_visit_report(visit_report_dict(location=None, agreement=None, transcript=[],
                                         decision={"allowed": False, "policy": {"id": "x", "version": 1},
                                                   "results": []}), "both")
    used |= set(OUTCOME_LABELS.values())
    assert set(OUTCOME_LABELS) == set(Outcome)

    po = resource_path("translations", "zh_CN", "documents.po")
    catalog = parse_po(po.read_text(encoding="utf-8"), where=str(po))
    missing = sorted(used - set(catalog))
    assert missing == []
    for msgid in used:
        assert _fields(catalog[msgid]) == _fields(msgid), msgid
    assert "All instalments are equal." in used and "Amount forgiven" in used
