from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from doc_builders import terms_dict
from pypdf import PdfReader

from fieldapp.core.canonical import sha256_hex
from fieldapp.documents.agreement import build_agreement_pdf, qr_payload
from fieldapp.documents.terms import parse_terms


def _texts(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


def test_bilingual_agreement_reads_back_with_amounts_chinese_and_hash_on_every_page(terms, agreement_pdf):
    reader = PdfReader(io.BytesIO(agreement_pdf))
    texts = [p.extract_text() for p in reader.pages]
    assert len(texts) == 2
    whole = "\n".join(texts)
    for expected in ("还款协议", "Repayment agreement", "王芳", "李强", "12,345.67 CNY",
                     "第 6 期含分摊尾差 0.01 CNY", "Instalment 6 carries the rounding difference of 0.01 CNY",
                     "2026-08-31", "客户签名", "Agent signature",
                     "2026-03-02 10:41:07 (UTC+08:00, Asia/Shanghai)", "五、本协议一式两份"):
        assert expected in whole, expected
    rows = re.findall(r"^(\d)\n(\d{4}-\d\d-\d\d)\n([\d,]+\.\d\d)\n([\d,]+\.\d\d)$", whole, re.M)
    assert rows == [("1", "2026-03-31", "2,057.61", "10,288.06"), ("2", "2026-04-30", "2,057.61", "8,230.45"),
                    ("3", "2026-05-31", "2,057.61", "6,172.84"), ("4", "2026-06-30", "2,057.61", "4,115.23"),
                    ("5", "2026-07-31", "2,057.61", "2,057.62"), ("6", "2026-08-31", "2,057.62", "0.00")]
    for number, text in enumerate(texts, 1):
        assert f"Page {number} of 2" in text and f"第 {number} 页，共 2 页" in text
        assert terms.sha256 in text and "AGR-2026-000123" in text
    assert reader.metadata["/Keywords"] == f"fieldapp-agreement/1 agreement:AGR-2026-000123 sha256:{terms.sha256}"
    files = {k: v[0] for k, v in reader.attachments.items()}
    assert files["agreement-terms.json"] == terms.canonical_bytes()
    assert sha256_hex(files["signature-customer.png"]) == terms.signatures["customer"].sha256
    fonts = {str(f) for page in reader.pages for f in page["/Resources"]["/Font"].values()
             for f in [f.get_object()["/BaseFont"]]}
    assert any("WenQuanYiMicroHei" in f for f in fonts)  # the CJK font is embedded (subset)


@pytest.mark.parametrize("lang, present, absent", [
    ("zh_CN", ["还款计划", "一、客户确认"], ["Payment schedule", "1. The customer confirms"]),
    ("en", ["Payment schedule", "1. The customer confirms"], ["还款计划", "一、客户确认"]),
])
def test_single_language_agreements(terms, lang, present, absent):
    whole = "\n".join(_texts(build_agreement_pdf(terms, lang)))
    assert all(p in whole for p in present) and not any(a in whole for a in absent)
    assert "2,057.62" in whole and "王芳" in whole


def test_terms_in_one_language_only_are_shown_whatever_the_document_language():
    data = terms_dict(terms_text={"en": "1. Only English terms were agreed."})
    whole = "\n".join(_texts(build_agreement_pdf(parse_terms(data), "zh_CN")))
    assert "1. Only English terms were agreed." in whole and "还款计划" in whole


def test_long_schedule_repeats_its_header_on_every_page():
    data = terms_dict(amount_due="60000.00", plan={"kind": "instalments", "total": "60000.00", "count": 156,
                                                   "frequency": "weekly", "first_due": "2026-03-09",
                                                   "remainder": "first"})
    terms = parse_terms(data)
    texts = _texts(build_agreement_pdf(terms, "en"))
    assert len(texts) >= 4
    pages_with_rows = [t for t in texts if re.search(r"^\d{1,3}\n2\d{3}-\d\d-\d\d\n", t, re.M)]
    assert len(pages_with_rows) >= 3
    assert all("Due date" in t and "Balance after (CNY)" in t for t in pages_with_rows)
    assert "Instalment 1 carries the rounding difference of 0.84 CNY" in "\n".join(texts)


def test_settlement_and_deferral_are_stated():
    settled = terms_dict(plan={"kind": "settlement", "total": "10000.00", "count": 2, "frequency": "monthly",
                               "first_due": "2026-03-31"})
    whole = "\n".join(_texts(build_agreement_pdf(parse_terms(settled), "en")))
    assert "Amount forgiven" in whole and "2,345.67 CNY" in whole and "full settlement" in whole
    deferred = terms_dict(plan={"kind": "deferral", "count": 1, "first_due": "2026-07-31"})
    whole = "\n".join(_texts(build_agreement_pdf(parse_terms(deferred), "en")))
    assert "no payment is due before 2026-07-31" in whole and "One payment of 12,345.67 CNY" in whole


def test_output_is_deterministic(terms, agreement_pdf, app_clock):
    # the same terms at the same moment give the same bytes; the moment is the CreationDate
    import datetime as dt

    at = dt.datetime(2026, 3, 2, 2, 45, tzinfo=dt.timezone.utc)
    assert build_agreement_pdf(terms, "both", created=at) == build_agreement_pdf(terms, "both", created=at)
    app_clock.set(at)
    assert build_agreement_pdf(terms, "both") == build_agreement_pdf(terms, "both", created=at)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed")
def test_pages_rasterise_and_the_qr_code_decodes(tmp_path, terms, agreement_pdf):
    from PIL import Image

    src = tmp_path / "a.pdf"
    src.write_bytes(agreement_pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(src), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2
    zxingcpp = pytest.importorskip("zxingcpp")
    for png in pages:
        image = Image.open(png).convert("L")
        w, h = image.size
        assert image.crop((0, 0, w, h // 2)).getextrema()[0] < 64   # ink in the body
        found = [r.text for r in zxingcpp.read_barcodes(image)]
        assert found == [qr_payload(terms.agreement_id, terms.sha256)]
