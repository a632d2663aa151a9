"""A grouped horizontal bar chart drawn with QPainter (the bundle leaves QtCharts out).

One group per agent, one bar per series, the value written at the end of each bar (the
numbers, not only the lengths, are what a lead compares); a legend on top. Series names
are translated by the caller; the chart only draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

PALETTE = ("#1a73e8", "#2e7d32", "#f9a825", "#8e24aa", "#c62828", "#00838f")
BAR_H = 11
GAP = 2
GROUP_GAP = 12
PAD = 10


@dataclass(frozen=True)
class Group:
    label: str
    values: tuple[int, ...]


class BarChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("barChart")
        self.series: list[str] = []
        self.groups: list[Group] = []
        self.empty_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(120)

    def set_data(self, series: list[str], groups: list[Group], empty_text: str = "") -> None:
        self.series, self.groups, self.empty_text = list(series), list(groups), empty_text
        self.updateGeometry()
        self.update()

    def _group_height(self) -> int:
        return len(self.series) * (BAR_H + GAP) + GROUP_GAP

    def _legend_height(self) -> int:
        return QFontMetrics(self.font()).height() + 2 * PAD

    def sizeHint(self) -> QSize:
        return QSize(600, self._legend_height() + max(1, len(self.groups)) * self._group_height() + PAD)

    def minimumSizeHint(self) -> QSize:
        return QSize(300, 120)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: ARG002 - Qt's signature
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        metrics = QFontMetrics(self.font())
        if not self.groups or not self.series:
            painter.setPen(QColor("#5f6368"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            painter.end()
            return
        self._legend(painter, metrics)
        widest = max(metrics.horizontalAdvance(g.label) for g in self.groups) + 4
        label_w = min(widest, self.width() // 3) + PAD  # names elide only beyond a third of the width
        top = self._legend_height()
        left = PAD + label_w
        number_w = metrics.horizontalAdvance("00000") + PAD
        span = max(1, self.width() - left - number_w - PAD)
        biggest = max((v for g in self.groups for v in g.values), default=0) or 1
        painter.setPen(QPen(QColor("#dadce0"), 1))
        painter.drawLine(left, top - 4, left, top + len(self.groups) * self._group_height())
        for gi, group in enumerate(self.groups):
            y = top + gi * self._group_height()
            block_h = len(self.series) * (BAR_H + GAP)
            painter.setPen(QColor("#202124"))
            label = metrics.elidedText(group.label, Qt.TextElideMode.ElideRight, label_w - PAD)
            painter.drawText(QRectF(PAD, y, label_w, block_h),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)
            for si, value in enumerate(group.values):
                by = y + si * (BAR_H + GAP)
                width = span * value / biggest
                colour = QColor(PALETTE[si % len(PALETTE)])
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
                painter.drawRect(QRectF(left + 1, by, max(width, 1.5 if value else 0), BAR_H))
                painter.setPen(QColor("#202124"))
                painter.drawText(QRectF(left + 4 + width, by - 2, number_w, BAR_H + 4),
                                 Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, str(value))
        painter.end()

    def _legend(self, painter: QPainter, metrics: QFontMetrics) -> None:
        x, y = PAD, PAD
        for si, name in enumerate(self.series):
            width = 14 + 6 + metrics.horizontalAdvance(name) + 18
            if x + width > self.width() - PAD and x > PAD:
                break  # the legend is one line; the table beside the chart names every series
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(PALETTE[si % len(PALETTE)]))
            painter.drawRect(QRectF(x, y + (metrics.height() - 10) / 2, 14, 10))
            painter.setPen(QColor("#202124"))
            painter.drawText(QRectF(x + 20, y, width, metrics.height()), Qt.AlignmentFlag.AlignVCenter, name)
            x += width
