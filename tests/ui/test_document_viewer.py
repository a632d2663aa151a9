"""The customer's copy in the app, end to end on loopback (a server with its signing CA,
the real AgentService and store): after a visit with an agreement and its sync, the case
reopens the agreement and the visit report in the document viewer, from its button and
from the visit history; the viewer shows the server's sealed copy and says it is intact
and sealed; Save as writes the same bytes; Print renders every page into a PDF printer."""

from __future__ import annotations

import hashlib
import io

import pytest
from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter

from fieldapp.server.testing import LiveServer
from fieldapp.sync.service import AgentService

from .app_drive import (WAIT_MS, allowed_stop, at_the_door, converse, finish_with_agreement, idle, make_app,
                        open_visit, press, sign_in, to_the_conversation)


@pytest.fixture
def live_server(tmp_path):
    with LiveServer(f"sqlite:///{tmp_path / 'server.sqlite3'}", seed_demo=True, geocoder="none",
                    signing_ca=True) as server:
        yield server


def test_the_case_reopens_prints_and_saves_the_sealed_documents(qtbot, tmp_path, live_server):
    service = AgentService(store_path=tmp_path / "client.sqlite3")
    app = make_app(qtbot, service, tmp_path)
    try:
        sign_in(qtbot, app, live_server.url)
        assert service.signing_setup() is not None            # enrolled at the first sign-in
        window = app.window
        stop = allowed_stop(qtbot, app)
        at_the_door(app, stop)
        flow = open_visit(qtbot, app, stop.record.id)
        to_the_conversation(qtbot, flow)
        converse(qtbot, flow, stop)
        finish_with_agreement(qtbot, flow)
        visit_id = flow.state.visit_id
        record = flow.state.result[0]
        assert record.agreement.read_before_signing == "customer_read" and record.report_sha256
        # sent at once; the sync after it brings the sealed copies back
        qtbot.waitUntil(lambda: all(d.sealed_sha256 for d in service.documents(stop.record.id)) and
                        len(service.documents(stop.record.id)) == 2, timeout=WAIT_MS)
        idle(qtbot, app)

        window.open_case(stop.record.id)
        detail = window.detail
        qtbot.waitUntil(lambda: detail.view is not None and detail.case_id == stop.record.id
                        and len(detail.view.documents) == 2 and bool(detail.view.record.visits), timeout=WAIT_MS)
        assert "2 signed document(s)" in detail.documents_info.text()
        press(qtbot, detail, "openDocuments")
        viewer = detail.document_viewer
        qtbot.waitUntil(lambda: viewer.current is not None and viewer.preview.page_count() > 0, timeout=WAIT_MS)
        row, data, verdict = viewer.current
        assert (row.visit_id, row.kind) == (visit_id, "agreement") and data.startswith(b"%PDF")
        assert hashlib.sha256(data).hexdigest() == row.sealed_sha256 != record.agreement.pdf_sha256
        assert viewer.copy_label.text().startswith("The server's sealed copy, fetched")
        assert viewer.verdict_label.text().startswith("Intact: signed by") and "Sealed by the server at" in \
            viewer.verdict_label.text()

        saved = viewer.save_to(tmp_path / "copy.pdf")       # Save as…, without its dialog
        assert saved.read_bytes() == data
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp_path / "printed.pdf"))
        pages = viewer.print_to(printer)                     # Print…, without its dialog
        assert pages == viewer.preview.page_count() >= 2
        assert len(PdfReader(io.BytesIO((tmp_path / "printed.pdf").read_bytes())).pages) == pages

        viewer.choice.setCurrentIndex(1)                     # the visit report, sealed too
        qtbot.waitUntil(lambda: viewer.current is not None and viewer.current[0].kind == "visit_report",
                        timeout=WAIT_MS)
        assert viewer.current[2].intact and viewer.current[2].received_at is not None
        assert "Visit report" in viewer.choice.currentText()
        viewer.close()

        # from the visit history: a double-click on the visit opens its documents
        item = next(detail.visits.topLevelItem(i) for i in range(detail.visits.topLevelItemCount())
                    if detail.visits.topLevelItem(i).data(0, 0x0100) == visit_id)
        detail.visits.itemDoubleClicked.emit(item, 0)
        viewer = detail.document_viewer
        qtbot.waitUntil(lambda: viewer.current is not None and viewer.current[0].visit_id == visit_id,
                        timeout=WAIT_MS)
        assert viewer.isVisible() and viewer.current[0].kind == "agreement"
        app.ctx.language.set_language("zh_CN")
        assert viewer.copy_label.text().startswith("服务器加盖回执的副本")
        assert viewer.print_button.text() == "打印…" and viewer.save_button.text() == "另存为…"
        viewer.close()
    finally:
        app.shutdown()
        service.close()


def test_the_verdict_in_words_notes_a_laptop_clock_ahead_of_the_seal():
    import datetime as dt

    from fieldapp.documents.verify import Verification
    from fieldapp.ui.screens.document_viewer import verdict_text
    from fieldapp.ui.visit.style import PASS, WARN

    def tr(text, **kw):
        return text.format(**kw)

    at = dt.datetime(2026, 3, 2, 2, 45, tzinfo=dt.timezone.utc)
    sound = Verification(status="intact", signer="agent1", signed_at=at, received_at=at + dt.timedelta(hours=1))
    text, colour = verdict_text(sound, tr, dt.timezone.utc)
    assert colour == PASS and "Sealed by the server" in text and "clock" not in text
    ahead = Verification(status="intact", signer="agent1", signed_at=at, received_at=at - dt.timedelta(hours=3),
                         warnings=["the device's clock claims signing at …"])
    text, colour = verdict_text(ahead, tr, dt.timezone.utc)
    assert colour == WARN and text.startswith("Intact") and "clock ran ahead" in text
