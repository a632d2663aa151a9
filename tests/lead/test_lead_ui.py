"""The lead's screens driven with pytest-qt (offscreen) on a real lead laptop synced with a
live server; background work runs inline (synchronous task runner)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from fieldapp.ui.lead.queue_model import Column
from lead.lead_world import PINNED


def _choose(combo, data):
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def test_the_queue_lists_and_filters_the_teams_visits(window, world):
    queue = window.queue
    assert queue.model.rowCount() == 4
    assert "4 visits · 4 to review" == queue.count_label.text()
    assert window.sidebar.badge("queue") == 4
    texts = {queue.model.index(r, Column.EXCEPTIONS).data() for r in range(4)}
    assert {"Outside the geofence", "Abusive-phrase warning", "No location, Policy warnings"} <= texts
    _choose(queue.exception, "outside_geofence")
    assert [r.visit_id for r in queue.model.rows] == [world["ids"]["far"]]
    _choose(queue.exception, None)
    _choose(queue.agent, "agent2")
    assert {r.visit_id for r in queue.model.rows} == {world["ids"]["no_location"], world["ids"]["rude"]}
    _choose(queue.outcome, "not_home")
    assert [r.visit_id for r in queue.model.rows] == [world["ids"]["no_location"]]
    queue.clear_filters()
    queue.use_dates.setChecked(True)
    today = window._ctx.today()
    assert today == PINNED.date()
    queue.date_from.setDate(today - dt.timedelta(days=1))
    queue.date_to.setDate(today)
    assert {r.visit_id for r in queue.model.rows} <= {world["ids"]["no_location"], world["ids"]["rude"]}
    assert world["ids"]["agreement"] not in {r.visit_id for r in queue.model.rows}
    _choose(queue.state, "approved")
    assert queue.model.rowCount() == 0


def test_evidence_shows_rules_transcript_notes_pdf_and_history(window, world, qtbot):
    queue = window.queue
    row = queue.model.find(world["ids"]["agreement"])
    queue.table.selectRow(row)
    qtbot.mouseClick(queue.open_button, Qt.MouseButton.LeftButton)
    ev = window.evidence
    assert window.current_screen() == "evidence" and ev.visit_id == world["ids"]["agreement"]
    assert ev.title.text().startswith("Visit of 王芳")
    assert "Distance to the address at check-in: 29 m (±12 m)" in ev.facts.text()
    verdicts = [w for _rule, w, _text in ev.checkin.row_texts()]
    assert len(verdicts) >= 4 and set(verdicts) == {"Passed"}
    assert ev.checkin.isVisible() and ev.planning.isVisible()
    assert ev.transcript.rowCount() == 2 and "外访专员" in ev.transcript.item(0, 1).text()
    assert ev.notes.toPlainText() == "客户同意分两期还款。"
    assert ev.verification.text().startswith("Verified: the PDF matches the signed terms")
    assert ev.verification.text().endswith("Before signing, the agent read the whole agreement aloud to the customer.")
    assert ev.pdf.page_count() >= 1 and "AGR-" in ev.pdf.page_text(0)
    assert ev.history.rowCount() == 1 and ev.history.item(0, 1).text() == "Received from Wang Agent"
    assert ev.approve_button.isEnabled()
    # the signed visit report, fetched with the queue, reads and verifies offline too
    assert [ev.document_choice.itemText(i) for i in range(ev.document_choice.count())] == \
        ["Repayment agreement", "Visit report"]
    ev.show_document("report")
    assert ev.document_kind() == "report"
    assert ev.verification.text().startswith("Verified: the visit report is intact, signed by the agent's laptop")
    assert ev.pdf.page_count() >= 1 and world["ids"]["agreement"] in ev.pdf.page_text(0).replace("\n", "")
    ev.show_document("agreement")
    assert "AGR-" in ev.pdf.page_text(0)
    window.open_visit(world["ids"]["no_location"])
    assert "No location was recorded at check-in" in ev.facts.text()
    assert "Warning" in [w for _r, w, _t in ev.checkin.row_texts()]
    assert not ev.tabs.isTabEnabled(3)


def test_returning_a_visit_needs_a_comment_and_reaches_the_server(window, world, qtbot):
    window.open_visit(world["ids"]["far"])
    ev = window.evidence
    qtbot.mouseClick(ev.return_button, Qt.MouseButton.LeftButton)
    dialog = window.dialog
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.isVisible() and not ok.isEnabled()  # no comment yet
    qtbot.keyClicks(dialog.comment, "Check-in was 800 m away: explain or revisit.")
    assert ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    # recorded, synced at once (inline here), and shown as the server now has it
    assert "Synced at" in window.status_text.text()
    assert ev.evidence.item.review.state.value == "returned"
    assert "Comment: Check-in was 800 m away" in ev.state.text()
    assert ev.history.item(1, 1).text() == "Returned by Lena Lead"
    row = window.queue.model.row_at(window.queue.model.find(world["ids"]["far"]))
    assert row.state == "returned" and row.pending_decision is None


def test_approving_offline_waits_for_the_next_sync(window, world, qtbot):
    world["server"].stop()
    window.open_visit(world["ids"]["rude"])
    qtbot.mouseClick(window.evidence.approve_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert window.offline and window.status_text.text().startswith("Offline")
    ev = window.evidence
    assert "Your decision “Approve” waits to be sent." in ev.state.text()
    assert not ev.approve_button.isEnabled()
    row = window.queue.model.row_at(window.queue.model.find(world["ids"]["rude"]))
    assert window.queue.model.index(window.queue.model.find(row.visit_id), Column.STATE).data() == \
        "To review → Approve (unsent)"


def test_team_figures_table_chart_and_csv(window, world, tmp_path):
    window.show_screen("figures")
    fig = window.figures
    fig.zone_name = "Asia/Shanghai"
    today = window._ctx.today()
    fig.set_period(today - dt.timedelta(days=10), today)
    fig.load()
    assert fig.table.rowCount() == 3  # agent1, agent2, team total
    assert fig.table.item(2, 0).text() == "Team total" and fig.table.item(2, 1).text() == "4"
    assert [g.values for g in fig.chart.groups] == [(2, 2, 0, 1, 1), (2, 1, 0, 0, 2)]
    assert fig.chart.series[0] == "Visits"
    fig.export_csv()
    [name] = window.saved
    written = (tmp_path / name).read_text(encoding="utf-8-sig")
    assert written.splitlines()[0].startswith("Agent,Name,Visits") and "Team total" in written
    assert fig.status.text().startswith("Saved to ")


def test_everything_switches_to_chinese(window, world):
    window.open_visit(world["ids"]["agreement"])
    window._lang.set_language("zh_CN")
    ev = window.evidence
    assert window.sync_button.text() == "同步"
    assert window.windowTitle().startswith("团队审核")
    assert ev.approve_button.text() == "批准" and ev.tabs.tabText(1) == "谈话记录"
    assert ev.verification.text().startswith("已核验") and "签字前，外访员已向客户朗读完整协议。" in ev.verification.text()
    assert any(text.startswith("外访员距客户地址") for _r, _w, text in ev.checkin.row_texts())
    assert window.queue.model.headerData(Column.STATE, Qt.Orientation.Horizontal) == "审核"
    window.show_screen("figures")
    assert window.figures.title.text() == "团队数据"
