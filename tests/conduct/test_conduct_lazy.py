"""The Chinese segmenter is not loaded by importing the checker nor by English text."""

from __future__ import annotations

import subprocess
import sys


def test_jieba_loads_only_when_chinese_is_checked():
    code = ("import sys, fieldapp.conduct as c, fieldapp.script, fieldapp.ui.visit.outcome_step\n"
            "c.check_text('We will call your boss'); a = 'jieba' in sys.modules\n"
            "c.check_text('再不还钱就去他单位'); b = 'jieba' in sys.modules\n"
            "print(a, b)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
    assert "Prefix dict" not in out.stderr and "Building" not in out.stderr  # jieba stays quiet
