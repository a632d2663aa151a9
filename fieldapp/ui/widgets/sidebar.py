"""The left navigation: one entry per screen, each with an optional count badge (open
tasks on Today, unsent items on Outbox), drawn as a pill so it is seen at a glance."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from fieldapp.ui.qt_compat import emit

KEY_ROLE = Qt.ItemDataRole.UserRole + 1
BADGE_ROLE = Qt.ItemDataRole.UserRole + 2
BADGE_COLOUR_ROLE = Qt.ItemDataRole.UserRole + 3


class _BadgeDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        super().paint(painter, option, index)
        count = index.data(BADGE_ROLE)
        if not count:
            return
        text = str(count) if count < 100 else "99+"
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(option.font)
        font.setBold(True)
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        height = metrics.height() + 2
        width = max(height, metrics.horizontalAdvance(text) + 12)
        rect = QRectF(option.rect.right() - width - 10, option.rect.center().y() - height / 2, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(index.data(BADGE_COLOUR_ROLE) or "#c62828"))
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 48, max(size.height(), 40))


class Sidebar(QListWidget):
    chosen = Signal(str)  # the key of the screen chosen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setItemDelegate(_BadgeDelegate(self))
        self.setFrameShape(QListWidget.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.setFont(font)
        self.setStyleSheet("QListWidget#sidebar { background: #f1f3f4; }"
                           "QListWidget#sidebar::item { padding: 4px 10px; }"
                           "QListWidget#sidebar::item:selected { background: #d2e3fc; color: #174ea6; }")
        self.currentItemChanged.connect(self._on_current)
        # A click on the entry already current goes back to its screen (from a case, say).
        self.itemClicked.connect(lambda item: emit(self.chosen, item.data(KEY_ROLE)))

    def add(self, key: str, text: str = "") -> QListWidgetItem:
        item = QListWidgetItem(text, self)
        item.setData(KEY_ROLE, key)
        return item

    def item_for(self, key: str) -> QListWidgetItem | None:
        for i in range(self.count()):
            if self.item(i).data(KEY_ROLE) == key:
                return self.item(i)
        return None

    def set_text(self, key: str, text: str, tooltip: str = "") -> None:
        item = self.item_for(key)
        if item is not None:
            item.setText(text)
            item.setToolTip(tooltip)

    def set_badge(self, key: str, count: int, colour: str = "#c62828") -> None:
        item = self.item_for(key)
        if item is not None:
            item.setData(BADGE_ROLE, count)
            item.setData(BADGE_COLOUR_ROLE, colour)

    def badge(self, key: str) -> int:
        item = self.item_for(key)
        return int(item.data(BADGE_ROLE) or 0) if item is not None else 0

    def select(self, key: str | None) -> None:
        """Mark `key` as the current screen without emitting `chosen` (None: no entry)."""
        self.blockSignals(True)
        item = self.item_for(key) if key else None
        if item is None:
            self.clearSelection()
            self.setCurrentRow(-1)
        else:
            self.setCurrentItem(item)
        self.blockSignals(False)

    def current_key(self) -> str | None:
        item = self.currentItem()
        return item.data(KEY_ROLE) if item is not None else None

    def _on_current(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            emit(self.chosen, current.data(KEY_ROLE))
