"""Taking a photo with the laptop's camera: a live preview, "Take a photo", then keep it or
take it again. A kept photo leaves as JPEG bytes (`taken`) for the very same pipeline as a
photo file (AgentService.add_photo -> fieldapp.documents.photos: metadata stripped to what
the policy keeps, scaled down, encrypted in the store). Nothing here strips, scales or
stores anything.

The preview's pictures come from one QMediaCaptureSession and its QVideoSink. On a laptop
the session is fed by a QCamera (with a QImageCapture for the still); any QVideoFrameInput
can feed the same session instead (Qt 6.8+, `feed`), which is how a machine without a
camera drives the whole screen. Without a QImageCapture ready, the still is the latest
frame the session showed.

What the agent is told, each in one sentence: no camera on this laptop, the system refuses
the app the camera (QCameraPermission, where the platform asks), the camera cannot be used
(QCamera.errorOccurred: busy in another program, unplugged, switched off).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from fieldapp.ui.qt_compat import emit
from fieldapp.ui.visit.style import BLOCK, MUTED, WARN, big_button

try:
    from PySide6 import QtMultimedia
except ImportError:  # a Qt build without multimedia: files only
    QtMultimedia = None  # type: ignore[assignment]

PREVIEW = QSize(480, 360)
JPEG_QUALITY = 92   # the pipeline re-encodes; this only has to lose little on the way there


def cameras() -> list[Any]:
    """The laptop's cameras (QtMultimedia); empty when none, or when QtMultimedia is missing."""
    if QtMultimedia is None:
        return []
    return list(QtMultimedia.QMediaDevices.videoInputs())


def jpeg_bytes(image: QImage) -> bytes:
    """`image` as a JPEG file's bytes (Qt's encoder, no metadata of its own)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.convertToFormat(QImage.Format.Format_RGB32).save(buffer, "JPEG", JPEG_QUALITY):
        raise ValueError("Qt could not encode the picture as JPEG")
    buffer.close()
    return bytes(data.data())


class CameraView(QWidget):
    """Preview, camera choice, Take a photo / Keep / Take it again, and one sentence."""

    taken = Signal(bytes)   # a JPEG the agent chose to keep

    def __init__(self, lang: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cameraView")
        self._lang = lang
        self.devices: list[Any] = cameras()
        self.state = "off"          # off | waiting | live | still | none | refused | failed
        self.camera: Any = None
        self.capture: Any = None
        self.frame: QImage | None = None   # the latest picture the session showed
        self.still: QImage | None = None   # the picture waiting for Keep / Take it again
        self._said: tuple[Callable[[], str], str] | None = None
        self._device: Any = None
        self._name = ""
        self.session: Any = None
        self.sink: Any = None
        if QtMultimedia is not None:
            self.session = QtMultimedia.QMediaCaptureSession(self)
            self.sink = QtMultimedia.QVideoSink(self)
            self.session.setVideoSink(self.sink)
            self.sink.videoFrameChanged.connect(self._frame)
            self._media = QtMultimedia.QMediaDevices(self)
            self._media.videoInputsChanged.connect(self._devices_changed)
        self.choice = QComboBox(self)
        self.choice.setObjectName("cameraChoice")
        self.choice.activated.connect(lambda i: self.open_device(self.devices[i]))
        self.preview = QLabel(self)
        self.preview.setObjectName("cameraPreview")
        self.preview.setMinimumSize(PREVIEW)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setWordWrap(True)
        self.preview.setStyleSheet("background: #202124; color: #bdc1c6; padding: 12px;")
        self.take_button = big_button(self, "takePhoto", primary=True)
        self.take_button.clicked.connect(self.take)
        self.keep_button = big_button(self, "keepPhoto", primary=True)
        self.keep_button.clicked.connect(self.keep)
        self.retake_button = big_button(self, "retakePhoto")
        self.retake_button.clicked.connect(self.retake)
        self.retry_button = big_button(self, "retryCamera")
        self.retry_button.clicked.connect(lambda: self.start(self._device))
        self.message = QLabel(self)
        self.message.setObjectName("cameraMessage")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.take_button, self.keep_button, self.retake_button, self.retry_button):
            button.setDefault(False)  # Enter in the dialog takes no photo: only a deliberate press does
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.choice)
        layout.addWidget(self.preview, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self._lang.changed.connect(self.retranslate)
        self.retranslate()

    # ------------------------------------------------------------------ sources
    def start(self, device: Any = None) -> None:
        """Open `device` (by default the system's default camera) once the system allows it."""
        if not self.devices:
            self.devices = cameras()
        if not self.devices:
            self._set("none", lambda: self._lang.tr(
                "No camera found on this laptop: choose a photo file instead (for example from your phone)."), WARN)
            return
        if device is None:
            default = QtMultimedia.QMediaDevices.defaultVideoInput()
            device = default if any(d.id() == default.id() for d in self.devices) else self.devices[0]
        self._device = device
        app = QCoreApplication.instance()
        try:
            from PySide6.QtCore import QCameraPermission
        except ImportError:  # a Qt without the permissions API: nothing to ask
            self.permission_answered(Qt.PermissionStatus.Granted)
            return
        permission = QCameraPermission()
        status = app.checkPermission(permission)
        if status == Qt.PermissionStatus.Undetermined:
            app.requestPermission(permission, self, self.permission_answered)
        else:
            self.permission_answered(status)

    def permission_answered(self, answer: Any) -> None:
        """The system's answer to "may this app use the camera?" (a status or a QPermission)."""
        status = answer.status() if callable(getattr(answer, "status", None)) else answer
        if status == Qt.PermissionStatus.Granted:
            self.open_device(self._device)
            return
        self._set("refused", lambda: self._lang.tr(
            "This laptop does not let the app use the camera. Allow it in the system's privacy settings "
            "(Camera), then choose Try the camera again; or choose a photo file."), BLOCK)

    def open_device(self, device: Any) -> None:
        """Show what `device` sees; a camera Qt cannot open is said at once (QCamera reports
        errors found while it is built before anyone can listen, so its state is read too)."""
        self.stop()
        self._device = device
        camera = QtMultimedia.QCamera(device, self)
        camera.errorOccurred.connect(self.camera_failed)
        self.camera = camera
        self.capture = QtMultimedia.QImageCapture(self)
        self.capture.imageCaptured.connect(lambda _id, image: self._hold(image))
        self.capture.errorOccurred.connect(lambda _id, _error, _text: self._hold(self.frame))
        self.session.setImageCapture(self.capture)
        self.session.setCamera(camera)
        self._name = device.description()
        if camera.error() != QtMultimedia.QCamera.Error.NoError:
            self.camera_failed(camera.error(), camera.errorString())
            return
        self._set("waiting", lambda: self._lang.tr("Waiting for the camera's picture…"), MUTED)
        camera.start()

    def _devices_changed(self) -> None:
        """A camera plugged in or out: the choice follows; a first camera is turned on."""
        self.devices = cameras()
        if self.state == "none" and self.devices and self.isVisible():
            self.start()
        else:
            self.retranslate()

    def feed(self, source: Any) -> None:
        """Show what `source` (a QVideoFrameInput) sends, through the same session and sink."""
        self.stop()
        self._name = ""
        self.session.setVideoFrameInput(source)
        self._set("waiting", lambda: self._lang.tr("Waiting for the camera's picture…"), MUTED)

    def stop(self) -> None:
        """Let the camera go (its light goes off); called when the screen closes."""
        if self.camera is not None:
            self.camera.errorOccurred.disconnect(self.camera_failed)
            self.camera.stop()
            if self.session is not None:
                self.session.setCamera(None)
                self.session.setImageCapture(None)
            self.camera.deleteLater()
            self.capture.deleteLater()
            self.camera = self.capture = None
        if self.session is not None and self.session.videoFrameInput() is not None:
            self.session.setVideoFrameInput(None)
        self.frame = self.still = None

    def camera_failed(self, error: Any, detail: str) -> None:
        """QCamera.errorOccurred: busy in another program, unplugged, switched off, refused."""
        if error == QtMultimedia.QCamera.Error.NoError:
            return
        name, detail = self._name, detail or "-"
        self.frame = self.still = None

        def text() -> str:
            tr = self._lang.tr
            if name:
                return tr("The camera “{name}” cannot be used: another program may be using it, or it is "
                          "unplugged or switched off. Close the other program and choose Try the camera again, "
                          "or choose a photo file. (The system says: {detail})", name=name, detail=detail)
            return tr("The camera cannot be used: another program may be using it, or it is unplugged or "
                      "switched off. Close the other program and choose Try the camera again, or choose a "
                      "photo file. (The system says: {detail})", detail=detail)

        self._set("failed", text, BLOCK)

    # ------------------------------------------------------------------ pictures
    def _frame(self, frame: Any) -> None:
        if not frame.isValid() or self.state in ("none", "refused", "failed"):
            return
        image = frame.toImage()
        if image.isNull():
            return
        self.frame = image
        if self.state == "waiting":
            self._set("live", lambda: self._lang.tr(
                "Point the camera at the house number or the notice, then choose Take a photo."), MUTED)
        if self.state == "live":
            self._show(image, Qt.TransformationMode.FastTransformation)

    def take(self) -> None:
        if self.state != "live":
            return
        if self.capture is not None and self.capture.isReadyForCapture():
            self.capture.capture()   # the camera's own still: imageCaptured -> _hold
        else:
            self._hold(self.frame)

    def _hold(self, image: QImage | None) -> None:
        if image is None or image.isNull():
            return
        self.still = image.copy()
        self._set("still", lambda: self._lang.tr(
            "Keep this photo? Check that no person and nothing inside a home is in it."), WARN)
        self._show(self.still, Qt.TransformationMode.SmoothTransformation)

    def keep(self) -> None:
        if self.state != "still" or self.still is None:
            return
        data = jpeg_bytes(self.still)
        self.retake()
        emit(self.taken, data)

    def retake(self) -> None:
        self.still = None
        self._set("live", lambda: self._lang.tr(
            "Point the camera at the house number or the notice, then choose Take a photo."), MUTED)
        if self.frame is not None:
            self._show(self.frame, Qt.TransformationMode.FastTransformation)

    def _show(self, image: QImage, how: Qt.TransformationMode) -> None:
        size = self.preview.contentsRect().size()
        self.preview.setPixmap(QPixmap.fromImage(image.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, how)))

    # ------------------------------------------------------------------ words
    def _set(self, state: str, text: Callable[[], str], colour: str) -> None:
        self.state, self._said = state, (text, colour)
        self.retranslate()

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.choice.clear()
        for device in self.devices:
            self.choice.addItem(device.description())
        current = self._device
        for i, device in enumerate(self.devices):
            if current is not None and device.id() == current.id():
                self.choice.setCurrentIndex(i)
        self.choice.setToolTip(tr("Which camera to use"))
        self.choice.setVisible(len(self.devices) > 1)
        picture = self.state in ("live", "still") or (self.state == "waiting" and self.frame is not None)
        if not picture:
            self.preview.setPixmap(QPixmap())
            self.preview.setText(tr("No camera on this laptop") if self.state == "none" else
                                 tr("Camera off") if self.state in ("off", "refused", "failed")
                                 else tr("Starting the camera…"))
        self.take_button.setText(tr("Take a photo"))
        self.keep_button.setText(tr("Keep this photo"))
        self.retake_button.setText(tr("Take it again"))
        self.retry_button.setText(tr("Try the camera again"))
        self.take_button.setVisible(self.state in ("waiting", "live"))
        self.take_button.setEnabled(self.state == "live")
        self.keep_button.setVisible(self.state == "still")
        self.retake_button.setVisible(self.state == "still")
        self.retry_button.setVisible(self.state in ("refused", "failed"))
        text, colour = self._said if self._said is not None else (lambda: "", MUTED)
        self.message.setText(text())
        self.message.setStyleSheet(f"color: {colour};")
        self.message.setVisible(bool(self.message.text()))
