"""Agreement build time against a bare reportlab canvas drawing the same text.

Target: median < 150 ms for a two-page bilingual agreement with two signatures and a
QR code, and at most 4x the bare canvas (same font, same text, no layout).
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "documents"))

from doc_builders import terms_dict  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from fieldapp.documents.agreement import build_agreement_pdf  # noqa: E402
from fieldapp.documents.fonts import document_font  # noqa: E402
from fieldapp.documents.terms import parse_terms  # noqa: E402

RUNS = 21


def _bare(pages: list[list[str]], font: str) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    for lines in pages:
        canvas.setFont(font, 9)
        y = A4[1] - 50
        for line in lines:
            canvas.drawString(45, y, line)
            y -= 12
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _medians(ours, bare) -> dict[str, float]:
    """Median milliseconds, CPU and wall clock; the two builds alternate so that load
    from other processes falls on both alike."""
    cpu = {"ours": [], "bare": []}
    wall = {"ours": [], "bare": []}
    for _ in range(RUNS):
        for name, fn in (("ours", ours), ("bare", bare)):
            c, w = time.process_time(), time.perf_counter()
            fn()
            cpu[name].append(time.process_time() - c)
            wall[name].append(time.perf_counter() - w)
    return {f"{kind}_{name}": statistics.median(values[name]) * 1000
            for kind, values in (("cpu", cpu), ("wall", wall)) for name in values}


def test_agreement_build_time():
    terms = parse_terms(terms_dict())
    font = document_font().name
    pdf = build_agreement_pdf(terms, "both")  # warm-up: font registration, imports
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    pages = [p.extract_text().splitlines() for p in reader.pages]
    _bare(pages, font)

    m = _medians(lambda: build_agreement_pdf(terms, "both"), lambda: _bare(pages, font))
    ratio = m["cpu_ours"] / m["cpu_bare"]
    print(f"\nagreement (2 pages, both languages, 2 signatures, QR), median of {RUNS}: "
          f"{m['cpu_ours']:.1f} ms CPU ({m['wall_ours']:.1f} ms wall); bare canvas, same text: "
          f"{m['cpu_bare']:.1f} ms CPU ({m['wall_bare']:.1f} ms wall); ratio {ratio:.2f}")
    assert m["cpu_ours"] < 150, f"{m['cpu_ours']:.1f} ms"
    assert ratio <= 4, f"ratio {ratio:.2f}"
