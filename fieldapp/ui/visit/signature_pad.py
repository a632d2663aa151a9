"""A signature pad for mouse, touch screen and pen.

Strokes are kept as points (with pen pressure, 0.5 for a mouse, and the time since the
signature began) and drawn as quadratic curves through the midpoints of successive
points, so a fast signature stays smooth instead of turning into a polyline; a pen's
pressure widens the line. `handwriting()` hands the points with their times as evidence
(fieldapp.documents.evidence), to be encrypted to the institution at once. `to_png()` exports
only the area signed (tight crop plus a small margin), scaled down to at most
`MAX_EXPORT` pixels, on white or transparent. `captured_at()` is when the last stroke
ended. A signature restored from a draft is shown as an image; drawing on it starts
again, since a signature is given in one go.
"""

from __future__ import annotations

import datetime as _dt
import time
from typing import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor, QImage, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen, QTabletEvent, QTouchEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from fieldapp.core.timeutil import utcnow
from fieldapp.ui.i18n import Language
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.visit.style import MUTED, scaled_font

Point = tuple[float, float, float, int]  # x, y, pressure (0..1), ms since the signature began
MOUSE_PRESSURE = 0.5
MAX_EXPORT = QSize(1200, 400)
MIN_STEP = 0.75  # pixels: closer points add nothing but noise


class SignaturePad(QWidget):
    changed = Signal()

    def __init__(self, language: Language, parent: QWidget | None = None, *,
                 clock: Callable[[], _dt.datetime] = utcnow, pen_width: float = 2.6,
                 ink: str = "#101418") -> None:
        super().__init__(parent)
        self.setObjectName("signaturePad")
        self._lang = language
        self._clock = clock
        self._pen_width = pen_width
        self._ink = QColor(ink)
        self._strokes: list[list[Point]] = []
        self._current: list[Point] | None = None
        self._touch_id: int | None = None
        self._restored: tuple[bytes, QImage] | None = None
        self._captured_at: _dt.datetime | None = None
        self._started_at: _dt.datetime | None = None
        self._t0 = 0.0
        self._pressure_measured = False
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setMinimumSize(420, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        language.changed.connect(self.retranslate)
        self.retranslate()

    def retranslate(self, *_: object) -> None:
        self.setToolTip(self._lang.tr("Sign with a finger, a pen or the mouse"))
        self.setAccessibleName(self._lang.tr("Signature"))
        self.update()

    # ------------------------------------------------------------------ state
    def is_empty(self) -> bool:
        return not self._strokes and self._restored is None

    def stroke_count(self) -> int:
        return len(self._strokes)

    def captured_at(self) -> _dt.datetime | None:
        return None if self.is_empty() else self._captured_at

    def clear(self) -> None:
        self._strokes, self._current, self._restored, self._captured_at = [], None, None, None
        self._started_at, self._pressure_measured = None, False
        self._changed()

    def handwriting(self):  # type: ignore[no-untyped-def]
        """The strokes as evidence (points, times, pressure), or None when nothing was drawn
        here (empty, or a signature restored from a draft as an image)."""
        from fieldapp.documents.evidence import Handwriting

        if not self._strokes:
            return None
        strokes = tuple(tuple((x, y, t, p) for x, y, p, t in stroke) for stroke in self._strokes)
        return Handwriting(self.width(), self.height(), strokes, self._started_at, self._pressure_measured)

    def undo(self) -> None:
        """Take back the last stroke."""
        if self._strokes:
            self._strokes.pop()
            self._changed()
        elif self._restored is not None:
            self.clear()

    def restore(self, png: bytes, captured_at: _dt.datetime) -> None:
        """Show a signature saved earlier (from a draft); `to_png` gives the same bytes back."""
        image = QImage.fromData(QByteArray(png), "PNG")
        if image.isNull():
            raise ValueError("not a PNG image")
        self._strokes, self._current = [], None
        self._restored, self._captured_at = (png, image), captured_at
        self._changed()

    def _changed(self) -> None:
        self.update()
        emit(self.changed)

    # ------------------------------------------------------------------ input
    def _elapsed_ms(self) -> int:
        return int((time.monotonic() - self._t0) * 1000)

    def _begin(self, pos: QPointF, pressure: float) -> None:
        if self._restored is not None:
            self._restored = None
        if not self._strokes:
            self._t0, self._started_at = time.monotonic(), self._clock()
        self._current = [(pos.x(), pos.y(), pressure, self._elapsed_ms())]
        self._strokes.append(self._current)
        self.update()

    def _extend(self, pos: QPointF, pressure: float) -> None:
        if self._current is None:
            return
        x, y, _, _ = self._current[-1]
        if abs(pos.x() - x) + abs(pos.y() - y) < MIN_STEP:
            return
        self._current.append((pos.x(), pos.y(), pressure, self._elapsed_ms()))
        self.update()

    def _end(self) -> None:
        if self._current is None:
            return
        if len(self._current) == 1:  # a dot: give it a length so it is drawn
            x, y, p, t = self._current[0]
            self._current.append((x + 0.5, y + 0.5, p, t))
        self._current = None
        self._captured_at = self._clock()
        self._changed()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._touch_id is None:
            self._begin(event.position(), MOUSE_PRESSURE)
            event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._touch_id is None:
            self._extend(event.position(), MOUSE_PRESSURE)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._touch_id is None:
            self._extend(event.position(), MOUSE_PRESSURE)
            self._end()
        event.accept()

    def tabletEvent(self, event: QTabletEvent) -> None:
        pressure = max(0.05, min(1.0, event.pressure() or MOUSE_PRESSURE))
        self._pressure_measured = self._pressure_measured or bool(event.pressure())
        kind = event.type()
        if kind == QTabletEvent.Type.TabletPress:
            self._begin(event.position(), pressure)
        elif kind == QTabletEvent.Type.TabletMove:
            self._extend(event.position(), pressure)
        elif kind == QTabletEvent.Type.TabletRelease:
            self._extend(event.position(), pressure)
            self._end()
        event.accept()  # no synthesised mouse events: the pen is handled here

    def event(self, event) -> bool:  # noqa: ANN001 - Qt's event dispatcher
        kind = event.type()
        if kind in (QTouchEvent.Type.TouchBegin, QTouchEvent.Type.TouchUpdate, QTouchEvent.Type.TouchEnd,
                    QTouchEvent.Type.TouchCancel):
            self._touch(event)
            return True
        return super().event(event)

    def _touch(self, event: QTouchEvent) -> None:
        points = event.points()
        kind = event.type()
        if kind == QTouchEvent.Type.TouchCancel:
            self._end()
            self._touch_id = None
        elif points:
            point = next((p for p in points if p.id() == self._touch_id), points[0])
            pressure = point.pressure() if 0 < point.pressure() < 1 else MOUSE_PRESSURE
            self._pressure_measured = self._pressure_measured or 0 < point.pressure() < 1
            if self._touch_id is None:
                self._touch_id = point.id()
                self._begin(point.position(), pressure)
            else:
                self._extend(point.position(), pressure)
            if kind == QTouchEvent.Type.TouchEnd:
                self._end()
                self._touch_id = None
        event.accept()

    # ------------------------------------------------------------------ drawing
    def _draw_strokes(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for stroke in self._strokes:
            previous_mid = QPointF(stroke[0][0], stroke[0][1])
            for i in range(1, len(stroke)):
                x0, y0, p0, _ = stroke[i - 1]
                x1, y1, p1, _ = stroke[i]
                mid = QPointF((x0 + x1) / 2, (y0 + y1) / 2)
                last = i == len(stroke) - 1
                end = QPointF(x1, y1) if last else mid
                pen = QPen(self._ink, self._pen_width * (0.5 + (p0 + p1) / 2))
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
                painter.setPen(pen)
                path = QPainterPath(previous_mid)
                path.quadTo(QPointF(x0, y0), end)
                painter.drawPath(path)
                previous_mid = mid

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        base_y = self.height() - 44
        painter.setPen(QPen(QColor("#b0b4b8"), 1.2))
        painter.drawLine(24, base_y, self.width() - 24, base_y)
        painter.setPen(QColor(MUTED))
        painter.setFont(scaled_font(self, 1.6))
        painter.drawText(QRectF(24, base_y - 40, 40, 40), Qt.AlignmentFlag.AlignBottom, "×")
        if self._restored is not None:
            image = self._restored[1]
            target = QRectF(self.rect()).adjusted(16, 8, -16, -52)
            size = image.size().scaled(target.size().toSize(), Qt.AspectRatioMode.KeepAspectRatio)
            if size.width() > image.width():
                size = image.size()
            painter.drawImage(QRectF(target.topLeft(), size.toSizeF()), image)
        elif not self._strokes:
            painter.setFont(scaled_font(self, 1.1))
            painter.drawText(QRectF(0, base_y + 6, self.width(), 30), Qt.AlignmentFlag.AlignHCenter,
                             self._lang.tr("Sign above the line"))
        self._draw_strokes(painter)
        painter.setPen(QPen(QColor("#9aa0a6"), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()

    # ------------------------------------------------------------------ export
    def ink_rect(self) -> QRectF:
        xs = [p[0] for s in self._strokes for p in s]
        ys = [p[1] for s in self._strokes for p in s]
        if not xs:
            return QRectF()
        pad = self._pen_width * 1.5 + 8
        return QRectF(min(xs) - pad, min(ys) - pad, max(xs) - min(xs) + 2 * pad, max(ys) - min(ys) + 2 * pad)

    def to_image(self, *, transparent: bool = False) -> QImage:
        rect = self.ink_rect()
        if rect.isEmpty():
            return QImage()
        scale = min(1.0, MAX_EXPORT.width() / rect.width(), MAX_EXPORT.height() / rect.height())
        width, height = max(1, round(rect.width() * scale)), max(1, round(rect.height() * scale))
        image = QImage(width, height, QImage.Format.Format_ARGB32)
        image.fill(QColor(0, 0, 0, 0) if transparent else QColor("white"))
        painter = QPainter(image)
        painter.scale(scale, scale)
        painter.translate(-rect.topLeft())
        self._draw_strokes(painter)
        painter.end()
        return image

    def to_png(self, *, transparent: bool = False) -> bytes:
        """The signature as PNG bytes, cropped to the ink; empty bytes when nothing is signed."""
        if self._restored is not None and not self._strokes:
            return self._restored[0]
        image = self.to_image(transparent=transparent)
        if image.isNull():
            return b""
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        buffer.close()
        return bytes(data.data())
