"""`fieldapp tour --out DIR`: runs offscreen against the embedded demo server, writes a
screenshot of every screen in both languages and an agreement PDF the verifier accepts,
and prints the files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from fieldapp.cli import main

SCREENS = ["login", "today", "cases", "case_blocked", "case_detail", "visit_precheck", "visit_checkin",
           "visit_script", "visit_script_end", "visit_outcome", "visit_plan", "visit_sign_customer_empty",
           "visit_sign_customer", "visit_sign_agent_empty", "visit_sign_agent", "visit_agreement",
           "outbox_before_sync", "outbox_after_sync", "today_returned_task", "case_returned", "settings"]


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
