"""What the conduct checker costs: the Chinese segmenter's dictionary is loaded on first use
(never at import), so it is paid once per process, by the first Chinese text checked.

Prints, for fresh processes (median of 3): importing fieldapp.conduct, the first English
check (the baseline: no segmenter), the first Chinese check (the segmenter loads), and one
more check of a note once loaded; the ratio is first Chinese / first English.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

import pytest

from installed import child_env

CODE = """
import json, sys, time
t0 = time.monotonic()
import fieldapp.conduct as c
t1 = time.monotonic(); c.check_text("We will call your boss tomorrow."); t2 = time.monotonic()
lazy = "jieba" not in sys.modules
c.check_text("再不还钱就去他单位"); t3 = time.monotonic()
c.check_text("客户表示下周五前还款，态度良好。告诉他不还钱就曝光通讯录。" * 5); t4 = time.monotonic()
print(json.dumps({"import": t1 - t0, "first_en": t2 - t1, "first_zh": t3 - t2, "note": t4 - t3, "lazy": lazy}))
"""


@pytest.mark.perf
def test_the_segmenter_loads_once_and_only_for_chinese():
    runs = [json.loads(subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True,
                                      env=child_env()).stdout) for _ in range(3)]
    assert all(r["lazy"] for r in runs)
    med = {k: statistics.median(r[k] for r in runs) for k in ("import", "first_en", "first_zh", "note")}
    print(f"\nconduct: import {med['import']:.3f} s; first English check {med['first_en']:.3f} s (baseline); "
          f"first Chinese check {med['first_zh']:.3f} s (segmenter loads; ratio "
          f"{med['first_zh'] / med['first_en']:.1f}x); a note once loaded {med['note'] * 1000:.1f} ms")
