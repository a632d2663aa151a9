"""The customer's copy: a case's signed agreements and visit reports, reopened, printed, saved.

A window over the documents this laptop recorded for one case (`service.documents`). It
shows the server's sealed copy when the laptop has fetched it after a sync, and the
laptop's own signed copy otherwise, and says which; beside it the verdict of
`fieldapp.documents.verify` against the institution's root (intact, sealed by the server
at its receipt time, or why not). Print renders each page with QtPdf into the printer the
Qt print dialog chose; Save as… writes the very bytes shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (QComboBox, QDialog, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout,
                               QWidget)

from fieldapp.ui.context import AppContext
from fieldapp.ui.formatting import time_text
from fieldapp.ui.i18n import N_
from fieldapp.ui.visit.pdf_preview import PdfPreview
from fieldapp.ui.visit.style import BLOCK, MUTED, PASS, WARN, wrapped_label

KIND_LABELS = {"agreement": N_("Repayment agreement"), "visit_report": N_("Visit report")}
PRINT_DPI = 200


class DocumentViewer(QDialog):
    def __init__(self, ctx: AppContext, case_id: str, rows: list[Any], parent: QWidget | None = None, *,
                 timezone: str | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentViewer")
        self.setWindowFlag(Qt.WindowType.Window, True)
        self._ctx = ctx
        self._lang = ctx.language
        self.case_id = case_id
        self.rows = list(rows)
        self._tz = timezone
        self.current: tuple[Any, bytes, Any] | None = None   # (row, bytes, verdict)
        self._error: str | None = None
        self.choice = QComboBox(self)
        self.choice.setObjectName("documentChoice")
        self.preview = PdfPreview(ctx.language, self)
        self.copy_label = wrapped_label(self, "documentCopy", bold=True)
        self.verdict_label = wrapped_label(self, "documentVerdict")
        self.print_button = QPushButton(self)
        self.print_button.setObjectName("printDocument")
        self.save_button = QPushButton(self)
        self.save_button.setObjectName("saveDocument")
        self.close_button = QPushButton(self)
        self.close_button.setObjectName("closeViewer")
        for button in (self.print_button, self.save_button, self.close_button):
            button.setMinimumHeight(40)
        for button in self.preview.findChildren(QPushButton):
            button.setAutoDefault(False)           # Enter does not zoom
        self.close_button.setDefault(True)
        self.print_button.clicked.connect(self.print_dialog)
        self.save_button.clicked.connect(self.save_as)
        self.close_button.clicked.connect(self.close)
        self.choice.currentIndexChanged.connect(self._chosen)
        top = QHBoxLayout()
        self.choice_title = QLabel(self)
        top.addWidget(self.choice_title)
        top.addWidget(self.choice, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.print_button, self.save_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.copy_label)
        layout.addWidget(self.verdict_label)
        layout.addWidget(self.preview, 1)
        layout.addLayout(buttons)
        self.resize(900, 760)
        self._lang.changed.connect(self.retranslate)
        self._fill_choices()
        self.retranslate()

    # ------------------------------------------------------------------ choosing
    def _fill_choices(self) -> None:
        self.choice.blockSignals(True)
        self.choice.clear()
        for row in self.rows:
            self.choice.addItem("", (row.visit_id, row.kind))
        self.choice.blockSignals(False)
        self._label_choices()

    def _label_choices(self) -> None:
        tr = self._lang.tr
        for i, row in enumerate(self.rows):
            self.choice.setItemText(i, tr("{when} · {document}", when=time_text(row.created_at, self._zone()),
                                          document=tr(KIND_LABELS.get(row.kind, row.kind))))

    def show_document(self, visit_id: str, kind: str) -> None:
        """Select and load one document (the visit's agreement or report)."""
        for i, row in enumerate(self.rows):
            if (row.visit_id, row.kind) == (visit_id, kind):
                if self.choice.currentIndex() == i:
                    self._chosen(i)
                else:
                    self.choice.setCurrentIndex(i)
                return

    def _chosen(self, index: int) -> None:
        if index < 0 or index >= len(self.rows):
            return
        row = self.rows[index]
        self.current, self._error = None, None
        self.preview.clear()
        self.retranslate()
        (self._ctx.tasks.db(self._ctx.service.document, row.visit_id, row.kind, label="open_document")
         .with_parent(self)
         .success(self._loaded)
         .failure(self._failed)
         .start())

    def _loaded(self, result: tuple[Any, bytes, Any]) -> None:
        self.current = result
        self.preview.set_pdf(result[1])
        self.retranslate()

    def _failed(self, exc: Exception) -> None:
        from fieldapp.ui.errors import describe

        self._error = describe(exc, self._lang).message
        self.retranslate()

    # ------------------------------------------------------------------ print and save
    def data(self) -> bytes | None:
        return None if self.current is None else self.current[1]

    def suggested_name(self) -> str:
        if self.current is None:
            return "document.pdf"
        row = self.current[0]
        return f"{row.kind}-{row.visit_id[:8]}.pdf"

    def save_as(self) -> Path | None:
        if self.data() is None:
            return None
        name, _ = QFileDialog.getSaveFileName(self, self._lang.tr("Save the document"), self.suggested_name(),
                                              self._lang.tr("PDF files (*.pdf)"))
        return self.save_to(Path(name)) if name else None

    def save_to(self, path: Path) -> Path:
        """Write the shown document, byte for byte."""
        data = self.data()
        if data is None:
            raise ValueError("no document is shown")
        path.write_bytes(data)
        return path

    def print_dialog(self) -> int:
        if self.data() is None:
            return 0
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(self._lang.tr("Print the document"))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return 0
        return self.print_to(printer)

    def print_to(self, printer: QPrinter) -> int:
        """Render every page (QtPdf) into `printer`, fitted to its paintable area; the number of
        pages printed."""
        document = self.preview.document
        pages = document.pageCount()
        if not pages:
            return 0
        resolution = printer.resolution()
        painter = QPainter()
        if not painter.begin(printer):
            raise OSError("the printer cannot be opened")
        try:
            area = printer.pageLayout().paintRectPixels(resolution)
            for page in range(pages):
                if page:
                    printer.newPage()
                size = document.pagePointSize(page)
                scale = min(area.width() / max(size.width(), 1), area.height() / max(size.height(), 1))
                width, height = size.width() * scale, size.height() * scale
                dpi_scale = min(PRINT_DPI / 72, scale)
                image = document.render(page, QSize(round(size.width() * dpi_scale), round(size.height() * dpi_scale)))
                painter.drawImage(QRectF(0, 0, width, height), image)
        finally:
            painter.end()
        return pages

    # ------------------------------------------------------------------ text
    def _zone(self) -> Any:
        return self._tz or self._ctx.zone()

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.setWindowTitle(tr("Documents of the case"))
        self.choice_title.setText(tr("Document:"))
        self.print_button.setText(tr("Print…"))
        self.save_button.setText(tr("Save as…"))
        self.close_button.setText(tr("Close"))
        self._label_choices()
        ready = self.current is not None
        self.print_button.setEnabled(ready)
        self.save_button.setEnabled(ready)
        if self._error is not None:
            self.copy_label.setText(self._error)
            self.copy_label.setStyleSheet(f"color: {BLOCK};")
            self.verdict_label.setText("")
            return
        if not ready:
            self.copy_label.setText(tr("Opening the document…") if self.rows else tr("No document"))
            self.copy_label.setStyleSheet(f"color: {MUTED};")
            self.verdict_label.setText("")
            return
        row, _data, verdict = self.current  # type: ignore[misc]
        if row.sealed_sha256:
            self.copy_label.setText(tr("The server's sealed copy, fetched {when}.",
                                       when=time_text(row.sealed_at, self._zone())))
        else:
            self.copy_label.setText(tr("This laptop's signed copy: the server's sealed copy is not here yet "
                                       "(it comes with a sync after the visit is accepted)."))
        self.copy_label.setStyleSheet("")
        text, colour = verdict_text(verdict, tr, self._zone())
        self.verdict_label.setText(text)
        self.verdict_label.setStyleSheet(f"color: {colour};")


def verdict_text(verdict: Any, tr: Any, zone: Any) -> tuple[str, str]:
    """The verify verdict in words, and its colour."""
    if verdict.status == "intact":
        text = tr("Intact: signed by {signer} at {time}.", signer=verdict.signer or "-",
                  time=time_text(verdict.signed_at, zone) if verdict.signed_at else "-")
        if verdict.received_at is not None:
            text += " " + tr("Sealed by the server at {time}.", time=time_text(verdict.received_at, zone))
        else:
            text += " " + tr("Not yet sealed by the server.")
        if verdict.warnings:
            text += " " + tr("Note: the laptop's clock ran ahead of the server's; the seal's time is the one "
                             "to rely on.")
            return text, WARN
        return text, PASS
    if verdict.status == "unsigned":
        return tr("Unsigned: this copy was made before the laptop could sign; it proves nothing by itself."), WARN
    problem = verdict.problems[0] if verdict.problems else "-"
    return tr("Not intact: {problem}", problem=problem), BLOCK
