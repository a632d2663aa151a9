"""The fast mask scoring must choose exactly what reportlab's encoder chooses."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel, QRUtil

from fieldapp.documents.qr import penalty, qr_modules


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=160))
def test_penalty_and_modules_equal_reportlabs(value):
    qr = QRCode(None, QRErrorCorrectLevel.M)
    qr.addData(value)
    qr.version = qr.calculate_version()
    for pattern in range(8):
        qr.makeImpl(True, pattern)
        assert penalty(qr.modules) == QRUtil.getLostPoint(qr)
    reference = QRCode(None, QRErrorCorrectLevel.M)
    reference.addData(value)
    reference.make()
    assert qr_modules(value) == reference.modules
