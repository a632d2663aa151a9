"""A PDF shown inside the app (QtPdf): the agreement as it will be kept, before it is final.

The bytes are held in a QBuffer owned by this widget for as long as the document shows
them (QPdfDocument reads lazily from the device). Pages are stacked and fitted to the
width; zoom buttons for reading the small print to the customer.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from fieldapp.ui.i18n import Language
from fieldapp.ui.visit.style import BLOCK, MUTED, wrapped_label

ZOOM_STEP = 1.25


class PdfPreview(QWidget):
    def __init__(self, language: Language, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pdfPreview")
        self._lang = language
        self._buffer: QBuffer | None = None
        self._data = QByteArray()
        self._error: str | None = None
        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setObjectName("pdfView")
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.info = QLabel(self)
        self.info.setObjectName("pdfInfo")
        self.info.setStyleSheet(f"color: {MUTED};")
        self.error = wrapped_label(self, "pdfError", colour=BLOCK)
        self.error.hide()
        self.zoom_out = QPushButton(self)
        self.zoom_out.setObjectName("zoomOut")
        self.zoom_in = QPushButton(self)
        self.zoom_in.setObjectName("zoomIn")
        self.fit = QPushButton(self)
        self.fit.setObjectName("zoomFit")
        self.zoom_in.clicked.connect(lambda: self._zoom(ZOOM_STEP))
        self.zoom_out.clicked.connect(lambda: self._zoom(1 / ZOOM_STEP))
        self.fit.clicked.connect(lambda: self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth))
        bar = QHBoxLayout()
        bar.addWidget(self.info, 1)
        for button in (self.zoom_out, self.zoom_in, self.fit):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.error)
        layout.addWidget(self.view, 1)
        language.changed.connect(self.retranslate)
        self.retranslate()

    def set_pdf(self, data: bytes) -> bool:
        """Show `data`; False (and a message in place of the pages) when it is not a readable PDF."""
        self.document.close()
        if self._buffer is not None:
            self._buffer.close()
        self._data = QByteArray(data)
        self._buffer = QBuffer(self._data, self)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(self._buffer)
        ok = self.document.status() == QPdfDocument.Status.Ready and self.document.pageCount() > 0
        self._error = None if ok else str(self.document.error().name)
        self.retranslate()
        return ok

    def clear(self) -> None:
        self.document.close()
        self._error = None
        self.retranslate()

    def page_count(self) -> int:
        return self.document.pageCount()

    def page_text(self, page: int) -> str:
        """The text of one page as QtPdf reads it (what the agent sees)."""
        return self.document.getAllText(page).text()

    def _zoom(self, factor: float) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.25, min(4.0, self.view.zoomFactor() * factor)))

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.zoom_in.setText(tr("Larger"))
        self.zoom_out.setText(tr("Smaller"))
        self.fit.setText(tr("Fit width"))
        pages = self.document.pageCount()
        self.info.setText(tr("{pages} page(s)", pages=pages) if pages else tr("No document"))
        self.error.setVisible(self._error is not None)
        if self._error is not None:
            self.error.setText(tr("The document cannot be shown ({error}).", error=self._error))
