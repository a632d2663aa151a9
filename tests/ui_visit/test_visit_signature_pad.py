"""The signature pad: strokes from mouse, touch and pen, undo and clear, and a tight PNG
that the agreement's own signature check accepts; an empty pad gives nothing to sign with."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from fieldapp.core.errors import BadInput
from fieldapp.documents.images import check_signature_png
from fieldapp.ui.visit.signature_pad import MAX_EXPORT, SignaturePad

from .visit_drive import sign


@pytest.fixture
def pad(qtbot, language, clock):
    widget = SignaturePad(language, clock=clock)
    widget.resize(600, 240)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_mouse_strokes_export_a_cropped_png_with_ink(pad, qtbot, clock):
    assert pad.is_empty() and pad.to_png() == b"" and pad.captured_at() is None
    with qtbot.waitSignal(pad.changed):
        sign(qtbot, pad)
    assert not pad.is_empty() and pad.stroke_count() == 2
    assert pad.captured_at() == clock.now
    png = pad.to_png()
    checked = check_signature_png(png, field="signature")  # the agreement's own check passes
    with Image.open(io.BytesIO(png)) as img:
        width, height = img.size
        grey = img.convert("L")
        # tight: the strokes span 40..380 x 50..130, plus a margin of a few pixels
        assert 340 < width < 380 and 80 < height < 120
        assert grey.getpixel((0, 0)) == 255  # white background
        assert sum(grey.histogram()[:160]) > 300  # real ink, not a dot
    assert (checked.width, checked.height) == (width, height)


def test_transparent_export_keeps_only_the_ink_opaque(pad, qtbot):
    sign(qtbot, pad)
    with Image.open(io.BytesIO(pad.to_png(transparent=True))) as img:
        rgba = img.convert("RGBA")
        assert rgba.getpixel((0, 0))[3] == 0
        assert rgba.getchannel("A").getextrema() == (0, 255)


def test_undo_takes_back_the_last_stroke_and_clear_empties(pad, qtbot):
    sign(qtbot, pad)
    pad.undo()
    assert pad.stroke_count() == 1 and not pad.is_empty()
    pad.clear()
    assert pad.is_empty() and pad.to_png() == b""
    with pytest.raises(BadInput, match="empty"):
        check_signature_png(pad.to_png(), field="signature")


def test_a_tap_is_not_a_signature(pad, qtbot):
    qtbot.mouseClick(pad, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    assert pad.stroke_count() == 1
    with pytest.raises(BadInput, match="blank"):
        check_signature_png(pad.to_png(), field="signature")


def test_a_huge_signature_is_scaled_down(qtbot, language):
    pad = SignaturePad(language)
    pad.resize(3000, 1500)
    qtbot.addWidget(pad)
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    qtbot.mouseMove(pad, QPoint(1500, 1400))
    qtbot.mouseMove(pad, QPoint(2900, 20))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(2900, 20))
    with Image.open(io.BytesIO(pad.to_png())) as img:
        assert img.width <= MAX_EXPORT.width() and img.height <= MAX_EXPORT.height()


def test_pen_pressure_widens_the_line(qtbot, language):
    def ink_after(pressure: float) -> int:
        pad = SignaturePad(language)
        pad.resize(500, 200)
        qtbot.addWidget(pad)
        device = QPointingDevice("pen", 1, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
                                 QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 3)
        for kind, x in ((QTabletEvent.Type.TabletPress, 20), (QTabletEvent.Type.TabletMove, 200),
                        (QTabletEvent.Type.TabletMove, 400), (QTabletEvent.Type.TabletRelease, 460)):
            pos = QPointF(x, 100)
            event = QTabletEvent(kind, device, pos, pad.mapToGlobal(pos), pressure, 0, 0, 0, 0, 0,
                                 Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton,
                                 Qt.MouseButton.LeftButton)
            QApplication.sendEvent(pad, event)
        assert pad.stroke_count() == 1
        with Image.open(io.BytesIO(pad.to_png())) as img:
            return sum(img.convert("L").histogram()[:160])

    assert ink_after(1.0) > ink_after(0.1) * 1.5


def test_touch_draws_one_stroke_per_finger_down(pad, qtbot):
    device = QTest.createTouchDevice()
    QTest.touchEvent(pad, device).press(0, QPoint(50, 100)).commit()
    for x in (100, 200, 300, 400):
        QTest.touchEvent(pad, device).move(0, QPoint(x, 100 + x // 10)).commit()
    QTest.touchEvent(pad, device).release(0, QPoint(420, 140)).commit()
    assert pad.stroke_count() == 1 and not pad.is_empty()
    check_signature_png(pad.to_png(), field="signature")
    QTest.touchEvent(pad, device).press(0, QPoint(60, 150)).commit()
    QTest.touchEvent(pad, device).move(0, QPoint(200, 60)).commit()
    QTest.touchEvent(pad, device).release(0, QPoint(200, 60)).commit()
    assert pad.stroke_count() == 2


def test_restored_signature_gives_the_same_bytes_and_a_new_stroke_starts_again(pad, qtbot, clock):
    sign(qtbot, pad)
    png, when = pad.to_png(), pad.captured_at()
    other = SignaturePad(pad._lang)
    qtbot.addWidget(other)
    other.restore(png, when)
    assert not other.is_empty() and other.to_png() == png and other.captured_at() == when
    qtbot.mousePress(other, Qt.MouseButton.LeftButton, pos=QPoint(30, 30))
    qtbot.mouseMove(other, QPoint(300, 150))
    qtbot.mouseRelease(other, Qt.MouseButton.LeftButton, pos=QPoint(300, 150))
    assert other.stroke_count() == 1 and other.to_png() != png
