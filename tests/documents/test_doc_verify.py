from __future__ import annotations

import json

import pytest
from doc_builders import signature_png, terms_dict
from doc_pdfedit import drop_attachments, replace_attachment, replace_in_content, set_keywords

from fieldapp.core.canonical import canonical_json
from fieldapp.core.errors import BadInput
from fieldapp.documents.terms import parse_terms
from fieldapp.documents.facts import check_facts as verify_pdf


def test_the_original_verifies(terms, agreement_pdf):
    result = verify_pdf(agreement_pdf)
    assert result.intact, result.problems
    assert (result.agreement_id, result.sha256, result.pages) == (terms.agreement_id, terms.sha256, 2)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_language_verifies(terms, lang):
    from fieldapp.documents.agreement import build_agreement_pdf

    assert verify_pdf(build_agreement_pdf(terms, lang)).intact


def test_one_changed_amount_in_the_page_fails(agreement_pdf):
    # a new value anywhere
    result = verify_pdf(replace_in_content(agreement_pdf, b"(2,057.62)", b"(2,957.62)", occurrence=1))
    assert not result.intact
    assert "schedule row 6 (2026-08-31, 2,057.62 CNY) is not shown as agreed" in result.problems
    assert "the amount 2,957.62 is printed but is not in the terms" in result.problems
    # a value that exists elsewhere in the document, moved into another row
    result = verify_pdf(replace_in_content(agreement_pdf, b"(2,057.62)", b"(2,057.61)", occurrence=1))
    assert result.problems == ["schedule row 6 (2026-08-31, 2,057.62 CNY) is not shown as agreed"]
    # the amount due in the summary
    result = verify_pdf(replace_in_content(agreement_pdf, b"(12,345.67 CNY)", b"(12,845.67 CNY)"))
    assert "the amount 12,845.67 is printed but is not in the terms" in result.problems


def test_changed_due_date_fails(agreement_pdf):
    result = verify_pdf(replace_in_content(agreement_pdf, b"(2026-05-31)", b"(2026-06-01)"))
    assert result.problems == ["schedule row 3 (2026-05-31, 2,057.61 CNY) is not shown as agreed"]


def test_edited_embedded_terms_fail(terms, agreement_pdf):
    body = terms.canonical_bytes()
    # one amount changed in the embedded JSON: no longer adds up
    forged = body.replace(b'"amount":"2057.62"', b'"amount":"2057.72"')
    result = verify_pdf(replace_attachment(agreement_pdf, "agreement-terms.json", forged))
    assert len(result.problems) == 1 and "do not add up" in result.problems[0]
    # consistent new terms (another customer name): the hash no longer matches pages or keywords
    other = parse_terms(terms_dict(customer={"name": "王小芳", "id_tail": "3412", "address": "南京"}))
    forged = replace_attachment(agreement_pdf, "agreement-terms.json", other.canonical_bytes())
    problems = verify_pdf(forged).problems
    assert any("keywords name SHA-256" in p for p in problems)
    assert any(p.startswith("page 1 shows SHA-256 " + terms.sha256) for p in problems)
    # ...even when the keywords are forged too
    forged = set_keywords(forged, f"fieldapp-agreement/1 agreement:{other.agreement_id} sha256:{other.sha256}")
    problems = verify_pdf(forged).problems
    assert [p for p in problems if "keywords" in p] == []
    assert len([p for p in problems if " shows SHA-256 " in p]) == 2
    # re-serialised (not canonical) JSON with the same content
    pretty = json.dumps(json.loads(body), indent=1, ensure_ascii=False).encode()
    result = verify_pdf(replace_attachment(agreement_pdf, "agreement-terms.json", pretty))
    assert "the embedded terms are not in canonical form (they were rewritten)" in result.problems


def test_swapped_signature_fails(agreement_pdf):
    result = verify_pdf(replace_attachment(agreement_pdf, "signature-agent.png", signature_png(9)))
    assert result.problems == ["the agent's signature image does not match the terms"]


def test_pdf_without_terms_is_unverifiable(agreement_pdf):
    result = verify_pdf(drop_attachments(agreement_pdf))
    assert not result.intact and "no embedded terms" in result.problems[0]


def test_unreadable_input_is_bad_input(agreement_pdf):
    with pytest.raises(BadInput, match="not a PDF"):
        verify_pdf(b"hello", where="x.pdf")
    with pytest.raises(BadInput, match="cannot be read"):
        verify_pdf(agreement_pdf[:400], where="x.pdf")


def test_canonical_terms_round_trip_through_the_pdf(terms, agreement_pdf):
    from io import BytesIO

    from pypdf import PdfReader

    body = PdfReader(BytesIO(agreement_pdf)).attachments["agreement-terms.json"][0]
    assert canonical_json(json.loads(body)) == body == terms.canonical_bytes()


@pytest.mark.parametrize("old, new, problem", [
    (b"3412", b"3419", "the identity document tail is not shown as agreed"),
    (b"agrees to pay", b"agrees to owe", "clause 1 of the en terms is not shown as agreed"),
    (b"Nanjing Demo Bank", b"Nanjing Demo Fund", "the creditor's name is not shown as agreed"),
    (b"(12,345.67 CNY)", b"(2,057.61 CNY)", "the amount due 12,345.67 CNY is not shown as agreed"),
    (b"2026-03-02", b"2026-03-12", "the agreement date is not shown as agreed"),
])
def test_the_facts_check_reads_names_clauses_and_labelled_amounts(agreement_pdf, old, new, problem):
    result = verify_pdf(replace_in_content(agreement_pdf, old, new))
    assert problem in result.problems, result.problems


def test_the_facts_check_reads_yen_amounts():
    from fieldapp.documents.agreement import build_agreement_pdf

    data = terms_dict(currency="JPY", amount_due="1234567",
                      plan={"kind": "instalments", "count": 6, "frequency": "monthly", "first_due": "2026-03-31"})
    pdf = build_agreement_pdf(parse_terms(data), "both")
    assert verify_pdf(pdf).problems == []
    result = verify_pdf(replace_in_content(pdf, b"(1,234,567 JPY)", b"(1,234,667 JPY)"))
    assert "the amount 1,234,667 is printed but is not in the terms" in result.problems
