"""Taking a photo with the laptop's camera, on a machine that has none: a QVideoFrameInput
feeds the photo dialog's real QMediaCaptureSession (as a QCamera would), the preview shows
the frames, Take a photo holds one, Keep sends it down the same road as a photo file
(metadata stripped, scaled down, encrypted in the laptop's store, attached to the case's
next visit). Also: the sentences for no camera, a camera Qt cannot open, and a system that
refuses the app the camera. Real laptop store, live server. Drawn in English and Chinese
(FIELDAPP_UI_SHOTS=DIR keeps the pictures)."""

from __future__ import annotations

import io

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtMultimedia import QCamera, QCameraDevice, QVideoFrame, QVideoFrameInput
from PySide6.QtWidgets import QApplication
from ui.test_contact_dialog import _detail, _shot, photo_laptop  # noqa: F401  (a fixture)

RED, GREEN, BLUE, YELLOW = (220, 30, 40), (20, 170, 60), (30, 60, 210), (240, 200, 20)


def pattern(width: int = 2400, height: int = 1800) -> QImage:
    """Four coloured quarters (and a white bar along the top): a picture whose orientation
    and colours show whether what was stored is what the camera sent."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    w, h = width // 2, height // 2
    for (x, y), colour in zip(((0, 0), (w, 0), (0, h), (w, h)), (RED, GREEN, BLUE, YELLOW)):
        painter.fillRect(x, y, w, h, QColor(*colour))
    painter.fillRect(0, 0, width, height // 20, QColor(255, 255, 255))
    painter.end()
    return image


def quarters(get, width: int, height: int) -> list[tuple[int, int, int]]:
    """The colour at the middle of each quarter (top left, top right, bottom left, bottom right)."""
    return [get(int(width * fx), int(height * fy)) for fx, fy in ((.25, .3), (.75, .3), (.25, .75), (.75, .75))]


def close(seen, wanted, slack: int = 14) -> bool:
    return all(abs(a - b) <= slack for s, w in zip(seen, wanted) for a, b in zip(s, w))


def preview_colours(camera) -> list[tuple[int, int, int]]:
    image = camera.preview.pixmap().toImage()
    assert not image.isNull()
    return quarters(lambda x, y: image.pixelColor(x, y).getRgb()[:3], image.width(), image.height())


def send(source: QVideoFrameInput, image: QImage) -> None:
    assert source.sendVideoFrame(QVideoFrame(image))
    QApplication.processEvents()


def test_a_photo_from_the_camera_is_kept_like_a_photo_file(qtbot, photo_laptop, tmp_path):
    from PIL import Image

    from fieldapp.ui.positioning import FixedPosition

    ctx, detail, case_id = _detail(qtbot, photo_laptop, tmp_path)
    ctx.position_source = FixedPosition((32.0611, 118.7779, 8.0))   # the laptop's position at the door
    dialog = detail.ask_photos()
    camera = dialog.camera
    qtbot.waitUntil(lambda: dialog.fix is not None)
    assert camera.state == "none" and camera.message.text().startswith("No camera found on this laptop")
    assert camera.preview.text() == "No camera on this laptop" and camera.take_button.isHidden()
    source = QVideoFrameInput()
    camera.feed(source)  # a camera's place in the session: the session, sink and preview are the real ones
    assert camera.message.text() == "Waiting for the camera's picture…" and not camera.take_button.isEnabled()
    send(source, pattern())
    qtbot.waitUntil(lambda: camera.state == "live")
    assert camera.take_button.isEnabled() and camera.keep_button.isHidden()
    assert close(preview_colours(camera), [RED, GREEN, BLUE, YELLOW])
    # The rules stay in sight, beside the preview.
    rules = [label for label in dialog.rule_labels if label.text()]
    assert rules[0].text().startswith("No photos of people") and rules[1].text().startswith("No photos inside")
    assert rules[0].isVisible() and rules[0].mapTo(dialog, rules[0].rect().topLeft()).x() > \
        camera.preview.mapTo(dialog, camera.preview.rect().topRight()).x()

    camera.take_button.click()
    assert camera.state == "still" and camera.keep_button.isVisible() and camera.retake_button.isVisible()
    assert camera.message.text().startswith("Keep this photo?")
    send(source, pattern().flipped(Qt.Orientation.Horizontal | Qt.Orientation.Vertical))  # the camera goes on; the held photo does not change
    assert close(preview_colours(camera), [RED, GREEN, BLUE, YELLOW])
    camera.retake_button.click()  # back to what the camera sees now
    assert camera.state == "live" and close(preview_colours(camera), [YELLOW, BLUE, GREEN, RED])
    assert photo_laptop.pending_photos(case_id) == []

    send(source, pattern())
    camera.take_button.click()
    dialog.kind.setCurrentIndex(0)  # house number
    camera.keep_button.click()
    qtbot.waitUntil(lambda: dialog.list.count() == 1)
    assert camera.state == "live" and dialog.status.text().startswith("Added.")
    [ref] = photo_laptop.pending_photos(case_id)
    # The still was stamped like a phone's photo; the policy keeps its time and place.
    assert ref.kind == "house_number"
    assert ref.taken_at == ctx.clock().replace(microsecond=0)
    assert abs(ref.lat - 32.0611) < 1e-4 and abs(ref.lon - 118.7779) < 1e-4
    stored = photo_laptop.attachment(ref.sha256)
    with Image.open(io.BytesIO(stored)) as photo:
        assert photo.format == "JPEG" and photo.size == (1600, 1200)  # the policy's 1600 pixels
        exif = photo.getexif()
        assert set(exif) == {0x8769, 0x8825}   # the time and the GPS position, nothing else
        assert set(exif.get_ifd(0x8769)) == {0x9003, 0x9011}
        rgb = photo.convert("RGB")
        assert close(quarters(lambda x, y: rgb.getpixel((x, y)), *photo.size), [RED, GREEN, BLUE, YELLOW])
        assert min(rgb.getpixel((800, 20))) > 240  # the white bar is still on top
    sealed = photo_laptop.store.files.path(ref.sha256).read_bytes()
    assert stored not in sealed and b"JFIF" not in sealed and not sealed.startswith(b"\xff\xd8")

    send(source, pattern(1280, 720))
    _shot(dialog, tmp_path, "photo_camera_en.png")
    ctx.language.set_language("zh_CN")
    assert camera.message.text().startswith("将摄像头对准门牌号") and camera.take_button.text() == "拍照"
    assert dialog.rule_labels[0].text().startswith("不得拍摄人物")
    _shot(dialog, tmp_path, "photo_camera_zh_CN.png")
    camera.take_button.click()
    assert camera.keep_button.text() == "保留这张照片" and camera.retake_button.text() == "重拍"
    _shot(dialog, tmp_path, "photo_camera_keep_zh_CN.png")
    dialog.done(0)  # closing the screen lets the camera and its frames go
    assert camera.camera is None and camera.session.videoFrameInput() is None
    ctx.tasks.shutdown()


def test_a_camera_qt_cannot_open_is_said_plainly(qtbot, photo_laptop, tmp_path):
    ctx, detail, _case_id = _detail(qtbot, photo_laptop, tmp_path)
    dialog = detail.ask_photos()
    camera = dialog.camera
    # A camera unplugged between listing and opening: Qt's QCamera reports its own error.
    camera.open_device(QCameraDevice())
    assert camera.camera.error() == QCamera.Error.CameraError
    assert camera.state == "failed" and camera.message.text().startswith("The camera cannot be used: another")
    assert camera.camera.errorString() in camera.message.text()
    assert camera.retry_button.isVisible() and camera.take_button.isHidden()
    # A named camera another program holds (QCamera.errorOccurred's arguments, as Qt sends them).
    camera._name = "Integrated Webcam"
    camera.camera_failed(QCamera.Error.CameraError, "Device or resource busy")
    assert camera.message.text().startswith("The camera “Integrated Webcam” cannot be used")
    assert camera.message.text().endswith("(The system says: Device or resource busy)")
    camera.camera_failed(QCamera.Error.NoError, "")  # not an error: nothing changes
    assert camera.state == "failed"
    _shot(dialog, tmp_path, "photo_camera_busy_en.png")
    ctx.language.set_language("zh_CN")
    assert camera.message.text().startswith("无法使用摄像头“Integrated Webcam”")
    _shot(dialog, tmp_path, "photo_camera_busy_zh_CN.png")
    # Two cameras listed: the agent chooses; the one chosen opens (here: Qt says it cannot).
    assert camera.choice.isHidden()
    camera.devices = [QCameraDevice(), QCameraDevice()]
    camera.retranslate()
    assert camera.choice.isVisible() and camera.choice.count() == 2
    camera.choice.activated.emit(1)
    assert camera.state == "failed" and camera.message.text().startswith("无法使用摄像头：")
    ctx.tasks.shutdown()


def test_a_refused_camera_says_where_to_allow_it(qtbot, photo_laptop, tmp_path):
    ctx, detail, _case_id = _detail(qtbot, photo_laptop, tmp_path)
    dialog = detail.ask_photos()
    camera = dialog.camera
    camera.permission_answered(Qt.PermissionStatus.Denied)
    assert camera.state == "refused" and camera.camera is None
    assert camera.message.text().startswith("This laptop does not let the app use the camera.")
    assert camera.retry_button.isVisible()
    ctx.language.set_language("zh_CN")
    assert camera.message.text().startswith("本机不允许本应用使用摄像头")
    camera.retry_button.click()  # asks again; this machine has no camera at all
    assert camera.state == "none" and camera.message.text().startswith("本机未找到摄像头")
    ctx.tasks.shutdown()
