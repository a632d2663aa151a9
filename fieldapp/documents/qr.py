"""QR codes with reportlab's own encoder, drawn as one path.

reportlab picks the mask pattern by scoring all eight with pure-Python list code, which
took a third of an agreement's build time. `penalty` computes the very same score
(reportlab's variant of the ISO 18004 rules, checked against it in the tests) with
string and integer operations, so the chosen mask and the code are unchanged.
"""

from __future__ import annotations

import itertools
import re

from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel
from reportlab.pdfgen.canvas import Canvas

_RUN = re.compile(r"0{5,}|1{5,}")
_FINDER = "10111010000"  # reportlab scores this one orientation, and along rows only


def _lines(modules: list[list[bool]]) -> list[str]:
    return ["".join("1" if m else "0" for m in row) for row in modules]


def penalty(modules: list[list[bool]]) -> int:
    rows = _lines(modules)
    cols = ["".join(col) for col in zip(*rows)]
    n = len(rows)
    score = 0
    for line in itertools.chain(rows, cols):
        score += sum(len(m) - 2 for m in _RUN.findall(line))          # runs of 5 or more
    score += 40 * sum(line[:-1].count(_FINDER) for line in rows)      # finder-like pattern
    mask = (1 << (n - 1)) - 1
    full = (1 << n) - 1
    ints = [int(r, 2) for r in rows]
    for a, b in zip(ints, ints[1:]):                                  # 2x2 blocks of one colour
        dark = a & b & (a >> 1) & (b >> 1) & mask
        na, nb = ~a & full, ~b & full
        light = na & nb & (na >> 1) & (nb >> 1) & mask
        score += 3 * (bin(dark).count("1") + bin(light).count("1"))
    dark_count = sum(r.count("1") for r in rows)
    score += 10 * (abs(100 * dark_count // (n * n) - 50) // 5)        # balance of dark and light
    return score


def qr_modules(value: str) -> list[list[bool]]:
    """The module matrix reportlab's QRCode.make() would give for `value` at level M."""
    qr = QRCode(None, QRErrorCorrectLevel.M)
    qr.addData(value)
    qr.version = qr.calculate_version()
    best, best_score = 0, -1
    for pattern in range(8):
        qr.makeImpl(True, pattern)
        score = penalty(qr.modules)
        if best_score < 0 or score < best_score:
            best, best_score = pattern, score
    qr.makeImpl(False, best)
    return qr.modules


def draw_qr(canvas: Canvas, value: str, x: float, y: float, size: float, border: int = 2) -> None:
    """Draw the QR code of `value` in a `size` square at (x, y).

    The dark runs of each row become `re` operators of one filled path, written as PDF
    text directly: the same drawing as reportlab's path objects, at a tenth of the cost.
    """
    modules = qr_modules(value)
    box = size / (len(modules) + 2 * border)
    ops = ["q 0 g"]
    for r, row in enumerate(modules):
        c = 0
        top = y + size - (r + border + 1) * box
        for dark, run in itertools.groupby(row):
            n = len(list(run))
            if dark:
                ops.append(f"{x + (c + border) * box:.3f} {top:.3f} {n * box:.3f} {box:.3f} re")
            c += n
    ops.append("f Q")
    canvas.addLiteral("\n".join(ops))
