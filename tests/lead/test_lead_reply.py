"""A returned visit is answered by its agent (a comment for the lead, and corrected notes
when the notes were wrong); the answer reaches the lead, who decides again. The agent sees
the lead's decisions on its visits, approvals included, with the lead's name (never the
login). Real server, real agent and lead laptops, the agent's window driven with pytest-qt."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QPushButton

from fieldapp.core.timeutil import iso, utcnow
from fieldapp.ui.app import Credentials, FieldApp, build_context
from fieldapp.ui.settings import SettingsStore
from lead.lead_world import PINNED, SHANGHAI, add_case, password, visit
from server.kit import Api, item

COMMENT = "请写明客户的收入来源。Please note the customer's source of income."


@pytest.fixture
def returned(server, laptop, app_clock):
    """agent1 recorded two visits on one case; lead1 returned the first and approved the second."""
    app_clock.set(PINNED)
    with server.session() as s, s.begin():
        case_id = add_case(s, "RET-1", "agent1", start=PINNED + dt.timedelta(days=1))
    agent = laptop("agent", "agent1", server)
    agent.sync()
    first = visit(case_id, started=PINNED - dt.timedelta(days=2), notes="客户承诺月底还款")
    second = visit(case_id, started=PINNED - dt.timedelta(days=1), outcome="refused", notes="客户拒绝")
    agent.record_visit(first)
    agent.record_visit(second)
    agent.sync()
    lead = laptop("lead", "lead1", server)
    lead.sync()
    lead.decide(first.visit_id, "return", COMMENT)
    lead.decide(second.visit_id, "approve", "")
    assert not lead.sync().rejected
    agent.sync()
    return {"agent": agent, "lead": lead, "case_id": case_id, "first": first.visit_id,
            "second": second.visit_id, "server": server}


@pytest.fixture
def agent_app(qtbot, returned, tmp_path):
    ctx = build_context(returned["agent"], synchronous=True, settings_store=SettingsStore(tmp_path / "a.json"),
                        language="en")
    ctx.local_zone = SHANGHAI
    app = FieldApp(ctx)
    qtbot.addWidget(app.window)
    app.start(credentials=Credentials(returned["server"].url, "agent1", password("agent1")))
    app.window.open_case(returned["case_id"])
    yield app
    ctx.tasks.shutdown()


def test_the_return_note_names_the_lead(returned, agent_app):
    [task] = returned["agent"].tasks()
    assert task.created_by == "Lena Lead"
    banner = agent_app.window.detail.task_banner
    assert banner.isVisible() and "Lena Lead" in banner.text() and "lead1" not in banner.text()
    assert COMMENT in banner.text()


def test_the_agent_sees_the_leads_decisions_approvals_included(returned, agent_app):
    detail = agent_app.window.detail
    rows = [[detail.visits.topLevelItem(i).text(c) for c in range(detail.visits.columnCount())]
            for i in range(detail.visits.topLevelItemCount())]
    reviews = [row[-1] for row in rows]
    assert any(r.startswith("Approved by Lena Lead") for r in reviews), rows
    assert any(r.startswith("Returned by Lena Lead") for r in reviews), rows
    assert all("Wang Agent" in row for row in rows)  # the agent by name, not agent1
    agent_app.ctx.language.set_language("zh_CN")
    reviews = [detail.visits.topLevelItem(i).text(detail.visits.columnCount() - 1)
               for i in range(detail.visits.topLevelItemCount())]
    assert any(r.startswith("已由Lena Lead批准") for r in reviews), reviews


@pytest.fixture
def lead_window(qtbot, returned, tmp_path):
    from fieldapp.ui.lead.window import LeadWindow

    ctx = build_context(returned["lead"], synchronous=True, settings_store=SettingsStore(tmp_path / "l.json"),
                        language="en")
    ctx.local_zone = SHANGHAI
    ctx.user.username, ctx.user.display_name = "lead1", "Lena Lead"
    win = LeadWindow(ctx, returned["lead"], save_path=lambda *_: None)
    qtbot.addWidget(win)
    win.show()
    yield win
    ctx.tasks.shutdown()


def test_the_agent_answers_and_the_lead_sees_the_answer(returned, agent_app, qtbot, lead_window):
    window = lead_window
    detail = agent_app.window.detail
    answer = detail.findChild(QPushButton, "answerReturn")
    assert answer is not None and answer.isVisible() and answer.isEnabled()
    qtbot.mouseClick(answer, Qt.MouseButton.LeftButton)
    dialog = detail.reply_dialog
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.isVisible() and not ok.isEnabled()  # a reply says something
    assert dialog.notes.toPlainText() == "客户承诺月底还款"  # the notes as sent, to correct
    qtbot.keyClicks(dialog.comment, "Factory job: ")  # typed; the Chinese pasted
    dialog.comment.insertPlainText("客户在工厂上班，月薪六千。")
    dialog.notes.setPlainText("客户承诺月底还款；收入来源：工厂工资，月薪六千元。")
    assert ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert returned["agent"].tasks() == []  # answered: no longer an open task
    assert not detail.task_banner.isVisible() or "answered" in detail.task_banner.text().lower()
    [entry] = [o for o in returned["agent"].outbox() if o.kind == "review_reply"]
    assert entry.state == "accepted"  # sent at once (the app was online)
    # the lead: back in the queue to review, with the agent's answer and corrected notes
    lead = returned["lead"]
    lead.sync()
    row = next(r for r in lead.queue() if r.visit_id == returned["first"])
    assert row.state == "pending"
    window.refresh()
    window.open_visit(returned["first"])
    ev = window.evidence
    assert "客户在工厂上班，月薪六千。" in ev.state.text() and "Wang Agent" in ev.state.text()
    assert "收入来源：工厂工资" in ev.notes.toPlainText()
    assert ev.history.item(ev.history.rowCount() - 1, 1).text() == "Answered by Wang Agent"
    assert ev.approve_button.isEnabled()  # to decide again


def test_the_server_refuses_an_empty_answer_or_one_to_a_visit_not_returned(returned, server):
    api = Api(server.url)
    api.login("agent1", password("agent1"))
    now = iso(utcnow())
    empty = {"visit_id": returned["first"], "comment": "  ", "replied_at": now}
    approved = {"visit_id": returned["second"], "comment": "Thanks", "replied_at": now}
    results = api.push(item(returned["case_id"], empty, kind="review_reply"),
                       item(returned["case_id"], approved, kind="review_reply"))
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert "comment" in results[0]["reason"] and "not returned" in results[1]["reason"]
    other = Api(server.url)
    other.login("agent2", password("agent2"))
    mine = {"visit_id": returned["first"], "comment": "Not my visit", "replied_at": now}
    [result] = other.push(item(returned["case_id"], mine, kind="review_reply", item_id=str(uuid.uuid4())))
    assert result["status"] == "rejected" and result["code"] == "not_yours"
