"""End to end: an agent practises on the Practice screen (its real laptop store), the
completion syncs to the live server, and the lead's Practice table shows who has and who
has not practised; the lead's comment dialog names wording against the conduct rules."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from fieldapp.ui.app import build_context
from fieldapp.ui.lead.decision_dialog import DecisionDialog
from fieldapp.ui.lead.window import LeadWindow
from fieldapp.ui.screens.practice import PracticeScreen
from fieldapp.ui.settings import SettingsStore


def _practise_on_screen(screen: PracticeScreen, script_id: str) -> None:
    screen.reload()
    screen.select(script_id)
    assert screen.current is not None and screen.current.practised_at is None
    screen.start()
    rt = screen.runtime
    for answer in ("answered", None, None, "confirmed", None, "not_now", None):
        if rt.finished:
            break
        screen.player.answer(answer)
    assert rt.finished


def test_practice_reaches_the_lead_table(qtbot, server, laptop, tmp_path):
    agent = laptop("agent", "agent1", server)
    ctx = build_context(agent, synchronous=True, settings_store=SettingsStore(tmp_path / "a.json"), language="zh_CN")
    screen = PracticeScreen(ctx)
    qtbot.addWidget(screen)
    _practise_on_screen(screen, "home_visit_cn")
    assert screen.recorded_item is not None
    assert "练习完成" in screen.status.text()
    assert screen.current.practised_at is not None                  # the list says so at once
    row = next(r for r in agent.outbox() if r.id == screen.recorded_item)
    assert (row.kind, row.case_id, row.state) == ("practice", "", "waiting")
    summary = agent.sync()
    assert summary.pushed_accepted == 1 and not summary.rejected
    ctx.tasks.shutdown()

    lead = laptop("lead", "lead1", server)
    lctx = build_context(lead, synchronous=True, settings_store=SettingsStore(tmp_path / "l.json"), language="en")
    win = LeadWindow(lctx, lead)
    qtbot.addWidget(win)
    win.show_screen("practice")
    table = win.practice.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == ["Agent", "Home visit (China) (version 3)", "Home visit (United States) (version 3)"]
    cells = {table.item(r, 0).text().split(" (")[1].rstrip(")"): [table.item(r, c).text()
                                                                   for c in range(1, table.columnCount())]
             for r in range(table.rowCount())}
    assert cells["agent1"][0].startswith("✓ practised") and cells["agent1"][1] == "✗ not practised"
    assert cells["agent2"] == ["✗ not practised", "✗ not practised"]
    assert win.practice.summary.text().startswith("0 of 2 agents have practised every current script")
    lctx.language.set_language("zh_CN")
    assert table.horizontalHeaderItem(1).text() == "上门拜访（中国）（第 3 版）"
    lctx.tasks.shutdown()


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_comment_dialog_warns_and_masks(qtbot, lang):
    from fieldapp.ui.i18n import Language

    dialog = DecisionDialog(Language(lang), "return", "王芳 · case CC-1 · Li")
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.comment.setPlainText("Please add the customer's new number to the notes.")
    assert ok.isEnabled() and dialog.conduct.isHidden()
    dialog.comment.setPlainText("再不还钱就去他单位。客户手机13800138000")
    assert not ok.isEnabled() and not dialog.keep.isHidden()
    assert [f.category for f in dialog.findings] == ["third_party"]
    assert "138****8000" in dialog.conduct.text()
    dialog.keep.setChecked(True)
    assert ok.isEnabled()
    assert dialog.stored_text() == "再不还钱就去他单位。客户手机138****8000"
