"""A signed visit report verifies as a visit report against the root, and only as one: an
agreement is not a report, a report is not an agreement, and a changed byte breaks it."""

from __future__ import annotations

from doc_builders import visit_report_dict

from fieldapp.documents.signing import sign_pdf
from fieldapp.documents.verify import ALTERED, INTACT, UNSIGNED, verify_pdf
from fieldapp.documents.visit_report import build_visit_report


def test_a_signed_report_verifies_only_as_a_report(test_pki, app_clock):
    now = app_clock()
    unsigned = build_visit_report(visit_report_dict(), "both")
    assert verify_pdf(unsigned, trust=[test_pki.root], now=now, kind="visit_report").status == UNSIGNED
    signed = sign_pdf(unsigned, test_pki.signer, now=now, reason="Visit report")
    verdict = verify_pdf(signed, trust=[test_pki.root], now=now, kind="visit_report")
    assert verdict.status == INTACT, verdict.problems
    assert verdict.device_id == "laptop-0001" and verdict.pages >= 1
    as_agreement = verify_pdf(signed, trust=[test_pki.root], now=now)
    assert as_agreement.status == ALTERED and "no embedded terms" in " ".join(as_agreement.problems)
    assert verify_pdf(signed, trust=[], now=now, kind="visit_report").status == ALTERED   # no root: no trust
    at = signed.index(b"V-2026-0302-0007")
    edited = signed[:at] + b"V-2026-0302-0008" + signed[at + 16:]
    assert verify_pdf(edited, trust=[test_pki.root], now=now, kind="visit_report").status == ALTERED
