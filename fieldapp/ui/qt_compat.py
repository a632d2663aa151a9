"""Work-arounds for defects of particular Qt for Python releases.

PySide6 6.12.0: `SignalInstance.emit()` returns `True` without a new reference, so every
emit from Python takes one reference away from the `True` singleton; after a few
thousand emits the interpreter aborts ("bool_dealloc: deallocating True or False").
`emit()` below puts the reference back when, and only when, this release's behaviour
is detected (measured once, not guessed from the version number). Every Python-side
emit in the GUI goes through it; a test keeps it that way.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal

_py_incref = ctypes.pythonapi.Py_IncRef
_py_incref.argtypes = [ctypes.py_object]
_py_incref.restype = None

_emit_steals: bool | None = None


class _Probe(QObject):
    ping = Signal()


def _measure() -> bool:
    probe = _Probe()
    rounds = 32
    before = sys.getrefcount(True)
    for _ in range(rounds):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    if lost >= rounds:  # the loss is exactly one per emit
        for _ in range(lost):
            _py_incref(True)
        return True
    return False


def emit_steals_reference() -> bool:
    """Whether this PySide6 has the emit() reference defect."""
    global _emit_steals
    if _emit_steals is None:
        _emit_steals = _measure()
    return _emit_steals


def emit(signal: Any, *args: Any) -> None:
    """`signal.emit(*args)`, safe on every PySide6 release."""
    result = signal.emit(*args)
    if (_emit_steals if _emit_steals is not None else emit_steals_reference()) and isinstance(result, bool):
        _py_incref(result)
