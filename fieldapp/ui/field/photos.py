"""Photo evidence: the capture dialog (the laptop's camera, or a file) and the strip of a
visit's photos the lead looks at.

The dialog shows, next to the camera's preview, what the case's policy allows: no photos of
people, none inside the home, and which of a photo's details are kept (the time, the
position). A photo from the camera (fieldapp.ui.field.camera) and a photo file take the same
road, `add_bytes`: everything else in its metadata is removed, it is scaled down and stored
encrypted (fieldapp.documents.photos via the agent service). The camera is turned on only
when the policy allows photos, and off when the dialog closes.
"""

from __future__ import annotations

from pathlib import Path
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.context import AppContext
from fieldapp.ui.errors import describe
from fieldapp.ui.field.camera import CameraView
from fieldapp.ui.formatting import time_text
from fieldapp.ui.i18n import N_
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.visit.style import BLOCK, MUTED, PASS, WARN

KINDS = {"house_number": N_("House number"), "door_notice": N_("Notice left at the door"), "other": N_("Other")}
SHA_ROLE = Qt.ItemDataRole.UserRole + 1
THUMB = QSize(160, 120)


def thumbnail(data: bytes) -> QPixmap:
    image = QImage.fromData(data)
    return QPixmap.fromImage(image.scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.SmoothTransformation))


def rule_lines(rules: Any, tr: Any) -> list[tuple[str, str]]:
    """What the policy says about photos, one sentence each, with a colour."""
    if rules is None:
        return [(tr("The case's policy could not be read; take no photos until it can."), BLOCK)]
    if not rules.allowed:
        return [(tr("This policy allows no photos."), BLOCK)]
    lines = []
    if not rules.people:
        lines.append((tr("No photos of people: not the customer, not anyone in the household."), WARN))
    if not rules.inside_homes:
        lines.append((tr("No photos inside the home: only the door, the house number, the outside."), WARN))
    kept = [tr("the time it was taken")] if rules.keep_time else []
    if rules.keep_position:
        kept.append(tr("where it was taken"))
    lines.append((tr("Kept from each photo's details: {kept}. Everything else (camera, owner, thumbnails) "
                     "is removed; the photo is scaled down to {side} pixels.",
                     kept=tr(", ").join(kept) if kept else tr("nothing"), side=rules.max_side_px), MUTED))
    return lines


class PhotoDialog(QDialog):
    changed = Signal()

    def __init__(self, ctx: AppContext, record: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photoDialog")
        self._ctx, self._lang, self.record = ctx, ctx.language, record
        self.rules: Any = None
        self.rules_known = False
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.rules_box = QVBoxLayout()
        self.rule_labels: list[QLabel] = []
        for _ in range(4):  # at most four sentences (rule_lines)
            label = QLabel(self)
            label.setWordWrap(True)
            self.rule_labels.append(label)
            self.rules_box.addWidget(label)
        self.camera = CameraView(self._lang, self)
        self.camera.taken.connect(self.add_still)
        self.fix: tuple[float, float] | None = None   # the laptop's position, asked for with the camera
        self._source: Any = None
        self.finished.connect(lambda _result: self.camera.stop())
        self.kind_label = QLabel(self)
        self.kind = QComboBox(self)
        self.kind.setObjectName("photoKind")
        for key in KINDS:
            self.kind.addItem("", key)
        self.file_button = QPushButton(self)
        self.file_button.setObjectName("photoFromFile")
        self.file_button.clicked.connect(self.choose_file)
        self.status = QLabel(self)
        self.status.setObjectName("photoStatus")
        self.status.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setObjectName("photoList")
        self.list.setIconSize(THUMB)
        self.list.setSpacing(4)
        self.list.setFlow(QListWidget.Flow.LeftToRight)  # a row of thumbnails under the preview
        self.list.setWrapping(False)  # (IconMode elides a two-line Chinese label to its first word)
        self.list.setFixedHeight(THUMB.height() + 40)
        self.remove_button = QPushButton(self)
        self.remove_button.setObjectName("removePhoto")
        self.remove_button.clicked.connect(self.remove_selected)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.buttons.rejected.connect(self.reject)
        side = QVBoxLayout()  # the policy's rules stay in sight of the preview
        side.addLayout(self.rules_box)
        side.addSpacing(12)
        side.addWidget(self.kind_label)
        side.addWidget(self.kind)
        side.addWidget(self.file_button)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.camera, 3)
        row.addLayout(side, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(row, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.list)
        layout.addWidget(self.remove_button)
        layout.addWidget(self.buttons)
        self.resize(960, 760)
        self._lang.changed.connect(self.retranslate)
        self.retranslate()
        service = ctx.service
        (ctx.tasks.db(service.photo_rules, record.id, label="photo_rules")
         .with_parent(self).success(self._rules).failure(lambda _e: self._rules(None)).start())
        self.reload()

    # ------------------------------------------------------------------ actions
    def choose_file(self) -> None:
        tr = self._lang.tr
        path, _ = QFileDialog.getOpenFileName(self, tr("Choose a photo"), str(Path.home()),
                                              tr("Photos (*.jpg *.jpeg *.png *.webp *.heic)"))
        if path:
            self.add_file(path)

    def add_file(self, path: str | Path) -> None:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self._say(lambda: self._lang.tr("The file cannot be read: {reason}", reason=reason),
                      BLOCK)
            return
        self.add_bytes(data)

    def add_bytes(self, data: bytes) -> None:
        if self.rules is not None and not self.rules.allowed:
            return
        kind = self.kind.currentData()
        (self._ctx.tasks.db(self._ctx.service.add_photo, self.record.id, data, kind, label="add_photo")
         .with_parent(self).success(self._added).failure(self._failed).start())

    def add_still(self, data: bytes) -> None:
        """A camera still: stamped with the app clock's time (the customer's zone) and the
        laptop's position, as a phone camera would, then the same road as a file."""
        from zoneinfo import ZoneInfo

        from fieldapp.documents.photos import stamp_photo

        taken = self._ctx.clock().astimezone(ZoneInfo(self.record.customer.timezone))
        self.add_bytes(stamp_photo(data, taken_at=taken.replace(microsecond=0), position=self.fix))

    def _locate(self) -> None:
        """Ask the position source once (the check-in's source) while the camera is on."""
        if self._source is not None or not (self.rules is not None and self.rules.keep_position):
            return
        from fieldapp.ui.visit.checkin import DEFAULT_TIMEOUT_MS, default_position_source

        self._source = (self._ctx.position_source or default_position_source)(self)
        if self._source is None:
            return
        self._source.positionUpdated.connect(self._located)
        self._source.requestUpdate(DEFAULT_TIMEOUT_MS)

    def _located(self, info: Any) -> None:
        coordinate = info.coordinate()
        if coordinate.isValid():
            self.fix = (coordinate.latitude(), coordinate.longitude())

    def remove_selected(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        (self._ctx.tasks.db(self._ctx.service.remove_photo, item.data(SHA_ROLE), label="remove_photo")
         .with_parent(self).success(lambda _ok: (self.reload(), emit(self.changed))).start())

    def reload(self) -> None:
        def load() -> list[tuple[Any, bytes]]:
            service = self._ctx.service
            return [(ref, service.attachment(ref.sha256)) for ref in service.pending_photos(self.record.id)]

        self._ctx.tasks.db(load, label="pending_photos").with_parent(self).success(self._fill).start()

    # ------------------------------------------------------------------ results
    def _rules(self, rules: Any) -> None:
        self.rules, self.rules_known = rules, True
        self.retranslate()
        if rules is not None and rules.allowed and self.camera.state == "off" and self.isVisible():
            self.camera.start()
            self._locate()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.rules is not None and self.rules.allowed and self.camera.state == "off":
            self.camera.start()
            self._locate()

    def _added(self, ref: Any) -> None:
        self._say(lambda: self._lang.tr("Added. The photo goes with the next visit you record for this case."), PASS)
        self.reload()
        emit(self.changed)

    def _failed(self, exc: Exception) -> None:
        self._say(lambda: describe(exc, self._lang).message, BLOCK)

    def _fill(self, photos: list[tuple[Any, bytes]]) -> None:
        self.photos = photos
        self._list()

    def _list(self) -> None:
        tr, tz = self._lang.tr, self.record.customer.timezone
        self.list.clear()
        for ref, data in getattr(self, "photos", []):
            item = QListWidgetItem(QIcon(thumbnail(data)), f"{tr(KINDS[ref.kind])}\n{time_text(ref.captured_at, tz)}")
            item.setData(SHA_ROLE, ref.sha256)
            self.list.addItem(item)
        self.remove_button.setEnabled(self.list.count() > 0)

    def _say(self, text: Callable[[], str], colour: str) -> None:
        """Show `text()` now and again after a language switch."""
        self._said = (text, colour)
        self.status.setText(text())
        self.status.setStyleSheet(f"color: {colour};")

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.setWindowTitle(tr("Photos for the visit"))
        self.intro.setText(tr("Photos of {customer} ({reference})'s visit: the house number, a notice left at "
                              "the door. They go to your lead with the visit.",
                              customer=self.record.customer.name, reference=self.record.reference))
        lines = rule_lines(self.rules, tr) if self.rules_known else [(tr("Reading the case's policy…"), MUTED)]
        for i, label in enumerate(self.rule_labels):
            text, colour = lines[i] if i < len(lines) else ("", MUTED)
            label.setText(text)
            label.setStyleSheet(f"color: {colour};")
            label.setVisible(bool(text))
        allowed = self.rules is not None and self.rules.allowed
        self.file_button.setEnabled(allowed)
        self.kind.setEnabled(allowed)
        self.kind_label.setText(tr("What the photo shows:"))
        for i, key in enumerate(KINDS):
            self.kind.setItemText(i, tr(KINDS[key]))
        self.file_button.setText(tr("Choose a file…"))
        self.remove_button.setText(tr("Remove the chosen photo"))
        said = getattr(self, "_said", None)
        if said is not None:
            self._say(*said)
        else:
            self._say(lambda: self._lang.tr("No photo yet."), MUTED)
        self._list()


class PhotoStrip(QWidget):
    """The photos of one visit, for the lead: fetched from the server when shown."""

    def __init__(self, ctx: AppContext, service: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("visitPhotos")
        self._ctx, self._service, self._lang = ctx, service, ctx.language
        self.item: Any = None
        self.photos: list[tuple[Any, bytes | None, str | None]] = []
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setObjectName("leadPhotoList")
        self.list.setIconSize(QSize(320, 240))
        self.list.setSpacing(4)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.list)
        self._lang.changed.connect(self.retranslate)
        self.retranslate()

    def title(self) -> str:
        count = len(self.item.visit.photos) if self.item is not None else 0
        return self._lang.tr("Photos ({count})", count=count)

    def show_item(self, item: Any) -> None:
        self.item, self.photos = item, []
        self.retranslate()
        if item is not None and item.visit.photos and hasattr(self._service, "visit_photos"):
            (self._ctx.tasks.net(self._service.visit_photos, item.visit_id, label="visit_photos")
             .with_parent(self).success(self._fetched).failure(self._failed).start())

    def _fetched(self, photos: list[tuple[Any, bytes | None, str | None]]) -> None:
        self.photos = photos
        self.retranslate()

    def _failed(self, exc: Exception) -> None:
        self.note.setText(describe(exc, self._lang).message)

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.list.clear()
        if self.item is None or not self.item.visit.photos:
            self.note.setText(tr("The agent took no photos on this visit."))
            return
        tz = self.item.case.timezone
        if not self.photos:
            self.note.setText(tr("Fetching the photos from the server…"))
            return
        missing = [p for _ref, data, p in self.photos if data is None]
        self.note.setText(tr("Photos the agent took, with when each was taken.") if not missing else
                          tr("Some photos could not be fetched: {reason}", reason=missing[0]))
        for ref, data, _problem in self.photos:
            if data is None:
                continue
            when = time_text(ref.taken_at or ref.captured_at, tz)
            item = QListWidgetItem(QIcon(QPixmap.fromImage(QImage.fromData(data))), f"{tr(KINDS[ref.kind])}\n{when}")
            item.setData(SHA_ROLE, ref.sha256)
            self.list.addItem(item)
