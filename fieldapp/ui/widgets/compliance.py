"""The traffic light for a case's planning check: green allowed, amber warning or not yet
checked, red blocked. Colour is never the only signal: the model also shows a word and
the reason as a tooltip."""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap


class ComplianceState(str, Enum):
    ALLOWED = "allowed"
    WARNING = "warning"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"


COLOURS = {
    ComplianceState.ALLOWED: "#2e7d32",
    ComplianceState.WARNING: "#f9a825",
    ComplianceState.BLOCKED: "#c62828",
    ComplianceState.UNKNOWN: "#9e9e9e",
}


def compliance_state(row: Any) -> ComplianceState:
    """The light for a row: its `compliance_allowed`, and warnings when it carries any."""
    allowed = getattr(row, "compliance_allowed", None)
    if allowed is None:
        return ComplianceState.UNKNOWN
    if not allowed:
        return ComplianceState.BLOCKED
    if getattr(row, "compliance_warnings", 0):
        return ComplianceState.WARNING
    return ComplianceState.ALLOWED


@lru_cache(maxsize=None)
def compliance_icon(state: ComplianceState, size: int = 12) -> QIcon:
    pixmap = QPixmap(size * 2, size * 2)  # drawn at 2x, crisp on high-DPI screens
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = QColor(COLOURS[state])
    painter.setPen(colour.darker(130))
    painter.setBrush(colour)
    painter.drawEllipse(QRectF(1, 1, size - 2, size - 2))
    painter.end()
    return QIcon(pixmap)
