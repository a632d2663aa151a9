"""Emitting signals from Python must not wear down the `True` singleton (PySide6 6.12.0
returns it from emit() without a reference), and the GUI emits only through the guard."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from PySide6.QtCore import QObject, Signal

import fieldapp.ui
from fieldapp.ui.qt_compat import emit


class _Sender(QObject):
    plain = Signal()
    payload = Signal(object)


def test_many_emits_keep_the_bool_singletons_alive(qapp):
    sender = _Sender()
    got = []
    sender.payload.connect(got.append)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for i in range(20_000):  # more than True's reference count in this process
        emit(sender.plain)
        emit(sender.payload, i)
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert len(got) == 20_000
    assert abs(after[0] - before[0]) < 50 and abs(after[1] - before[1]) < 50


def test_gui_code_emits_only_through_the_guard():
    ui = Path(fieldapp.ui.__file__).parent
    direct = [f"{path.name}:{n}" for path in ui.rglob("*.py") if path.name != "qt_compat.py"
              for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if re.search(r"\.emit\(", line)]
    assert direct == []
