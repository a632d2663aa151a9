"""The agreement PDF shown in the app with QtPdf: pages load from bytes, the text is the
agreement's, and bytes that are not a PDF give a message instead of an empty view."""

from __future__ import annotations

import json

import pytest

from fieldapp.core.resources import resource_path
from fieldapp.documents.agreement import build_agreement_pdf
from fieldapp.documents.terms import parse_terms


@pytest.fixture(scope="module")
def agreement_pdf() -> bytes:
    path = resource_path("demo", "terms_example.json")
    terms = parse_terms(json.loads(path.read_text(encoding="utf-8")), where=str(path))
    return build_agreement_pdf(terms, "both")


@pytest.fixture
def preview(qtbot, language):
    from fieldapp.ui.visit.pdf_preview import PdfPreview

    widget = PdfPreview(language)
    widget.resize(800, 900)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_shows_the_agreement_pages(preview, agreement_pdf):
    assert preview.set_pdf(agreement_pdf)
    pages = preview.page_count()
    assert pages >= 1 and preview.info.text() == f"{pages} page(s)"
    text = "".join(preview.page_text(p) for p in range(pages)).replace("\n", "")
    assert "AGR-2026-000123" in text and "2,057.62" in text
    assert not preview.error.isVisible()


def test_zoom_and_language(preview, agreement_pdf, language):
    preview.set_pdf(agreement_pdf)
    before = preview.view.zoomFactor()
    preview.zoom_in.click()
    assert preview.view.zoomFactor() > before
    language.set_language("zh_CN")
    assert preview.info.text().startswith("共") and preview.fit.text() == "适合宽度"


def test_bytes_that_are_not_a_pdf_say_so(preview, agreement_pdf):
    assert not preview.set_pdf(b"%PDF-1.7 this is not really a pdf")
    assert preview.page_count() == 0 and preview.error.isVisible()
    assert preview.set_pdf(agreement_pdf) and not preview.error.isVisible()
