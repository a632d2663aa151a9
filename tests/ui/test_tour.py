"""`fieldapp tour --out DIR`: runs offscreen against the embedded demo server, writes a
screenshot of every screen in both languages and an agreement PDF the verifier accepts,
and prints the files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QImage

from fieldapp.cli import main
from fieldapp.ui.tour import ink

SCREENS = ["login", "today", "cases", "case_blocked", "case_detail", "visit_precheck", "visit_checkin",
           "visit_script", "visit_script_end", "visit_outcome", "visit_plan", "visit_read_draft", "visit_sign_customer_empty",
           "visit_sign_customer", "visit_sign_agent_empty", "visit_sign_agent", "visit_agreement",
           "outbox_before_sync", "outbox_after_sync", "case_document_viewer", "lead_queue", "lead_evidence", "lead_conversation",
           "lead_agreement", "lead_return", "lead_returned", "lead_figures", "today_returned_task",
           "case_returned", "case_answer", "case_reviews", "lead_answered", "settings", "day_map",
           "case_map"]
PDF_SCREENS = ("visit_agreement", "lead_agreement")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["FIELDAPP_HOME"] = str(home)
    return env


def test_the_tour_writes_every_screen_in_both_languages_and_the_agreement(tmp_path):
    out = tmp_path / "tour"
    result = subprocess.run([sys.executable, "-m", "fieldapp", "tour", "--out", str(out)],
                            env=_env(tmp_path / "home"), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    listed = [Path(line) for line in result.stdout.splitlines() if line.strip()]
    expected = [out / f"{n:02d}_{name}_{lang}.png" for n, name in enumerate(SCREENS, 1) for lang in ("en", "zh_CN")]
    assert sorted(p for p in listed if p.suffix == ".png") == sorted(expected)
    for path in expected:
        image = QImage(str(path))
        assert not image.isNull() and image.width() >= 400 and image.height() >= 150, path
    # the two languages really differ on screen
    assert QImage(str(out / "02_today_en.png")) != QImage(str(out / "02_today_zh_CN.png"))
    # a PDF preview is grabbed once painted: its page shows print, not a blank white sheet
    for n, name in enumerate(SCREENS, 1):
        if name in PDF_SCREENS:
            for lang in ("en", "zh_CN"):
                image = QImage(str(out / f"{n:02d}_{name}_{lang}.png"))
                page = QRect(image.width() // 5, image.height() // 4, image.width() * 3 // 5, image.height() // 2)
                assert ink(image, page) > 0.01, f"{name}_{lang} shows a blank page"
    pdf = out / "agreement.pdf"
    assert pdf in listed and pdf.read_bytes().startswith(b"%PDF")
    assert out / "root.pem" in listed   # the laptop signed it: checked against the demo CA's root
    verify = subprocess.run([sys.executable, "-m", "fieldapp", "agreement", "verify", str(pdf),
                             "--trust", str(out / "root.pem")],
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert not list(out.glob(".tour-*"))  # nothing of the tour's own left behind


def test_the_tour_refuses_an_output_that_is_a_file(tmp_path, capsys):
    target = tmp_path / "not-a-folder"
    target.write_text("x")
    assert main(["tour", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "not a folder" in err and len(err.strip().splitlines()) == 1


def _agreement_pdf() -> bytes:
    import json

    from fieldapp.core.resources import resources_root
    from fieldapp.documents.agreement import build_agreement_pdf
    from fieldapp.documents.terms import parse_terms

    data = json.loads((resources_root() / "demo" / "terms_example.json").read_text(encoding="utf-8"))
    return build_agreement_pdf(parse_terms(data, where="terms_example.json"), "both")


def test_a_pdf_preview_is_grabbed_only_once_painted(qtbot):
    """QtPdf paints pages on its own threads: grabbed at once, the page may still be blank;
    the tour waits for print on it, and says so when it never comes."""
    from PySide6.QtWidgets import QLabel

    from fieldapp.ui.i18n import Language
    from fieldapp.ui.tour import TourError, wait_painted
    from fieldapp.ui.visit.pdf_preview import PdfPreview

    preview = PdfPreview(Language("en"))
    preview.resize(900, 700)
    qtbot.addWidget(preview)
    preview.show()
    assert preview.set_pdf(_agreement_pdf())
    image = wait_painted(preview.view.viewport(), "the agreement", within=preview)
    assert ink(image) > 0.01
    blank = QLabel("")
    blank.resize(300, 200)
    qtbot.addWidget(blank)
    blank.show()
    with pytest.raises(TourError, match="stayed blank"):
        wait_painted(blank, "an empty label", timeout=0.5)
