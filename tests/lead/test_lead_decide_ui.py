"""A decision is taken once: the buttons follow the review state, and an escalation, like a
return, says why (the dialog, the laptop's service and the server each refuse it bare)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from fieldapp.core.errors import BadInput
from fieldapp.core.timeutil import iso, utcnow
from lead.lead_world import add_case, password, visit
from server.kit import Api, item


def _buttons(ev) -> tuple[bool, bool, bool]:
    return ev.approve_button.isEnabled(), ev.return_button.isEnabled(), ev.escalate_button.isEnabled()


def _decide(window, qtbot, decision: str, comment: str = "") -> None:
    ev = window.evidence
    button = {"approve": ev.approve_button, "return": ev.return_button, "escalate": ev.escalate_button}[decision]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = window.dialog
    if comment:
        qtbot.keyClicks(dialog.comment, comment)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def test_an_approved_visit_can_no_longer_be_decided(window, world, qtbot):
    window.open_visit(world["ids"]["far"])
    ev = window.evidence
    assert _buttons(ev) == (True, True, True)
    _decide(window, qtbot, "approve")
    assert ev.evidence.item.review.state.value == "approved"  # synced at once (inline here)
    assert _buttons(ev) == (False, False, False)
    assert "Approved by Lena Lead" in ev.decide_note.text()
    window.open_visit(world["ids"]["rude"])  # another, undecided visit: free again
    assert _buttons(window.evidence) == (True, True, True)


def test_a_returned_visit_waits_for_the_agent(window, world, qtbot):
    window.open_visit(world["ids"]["far"])
    _decide(window, qtbot, "return", "Explain the 800 m.")
    ev = window.evidence
    assert ev.evidence.item.review.state.value == "returned"
    assert _buttons(ev) == (False, False, False)
    assert "waits for the agent" in ev.decide_note.text()


def test_an_escalated_visit_can_still_be_settled_but_not_escalated_again(window, world, qtbot):
    window.open_visit(world["ids"]["rude"])
    _decide(window, qtbot, "escalate", "Threatening words in the notes.")
    ev = window.evidence
    assert ev.evidence.item.review.state.value == "escalated"
    assert _buttons(ev) == (True, True, False)


def test_the_escalate_dialog_needs_a_comment(window, world, qtbot):
    window.open_visit(world["ids"]["rude"])
    qtbot.mouseClick(window.evidence.escalate_button, Qt.MouseButton.LeftButton)
    dialog = window.dialog
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    qtbot.keyClicks(dialog.comment, "   ")
    assert not ok.isEnabled() and dialog.problem.isVisible()
    assert "escalated visit needs a comment" in dialog.problem.text()
    qtbot.keyClicks(dialog.comment, "Threatening words.")
    assert ok.isEnabled()


def test_the_laptop_refuses_a_bare_escalation(world):
    with pytest.raises(BadInput, match="escalated visit needs a comment"):
        world["lead"].decide(world["ids"]["rude"], "escalate", "  ")


def test_the_server_refuses_a_bare_escalation(server, laptop):
    with server.session() as s, s.begin():
        case_id = add_case(s, "ESC-1")
    agent = laptop("agent", "agent1", server)
    agent.sync()
    v = visit(case_id)
    agent.record_visit(v)
    agent.sync()
    api = Api(server.url)
    api.login("lead1", password("lead1"))
    payload = {"visit_id": v.visit_id, "decision": "escalate", "comment": " ", "decided_at": iso(utcnow())}
    [result] = api.push(item(case_id, payload, kind="review_decision"))
    assert result["status"] == "rejected" and result["code"] == "invalid"
    assert "escalated visit needs a comment" in result["reason"]


def test_the_dialog_follows_the_language(window, world, qtbot):
    window.open_visit(world["ids"]["rude"])
    qtbot.mouseClick(window.evidence.escalate_button, Qt.MouseButton.LeftButton)
    dialog = window.dialog
    assert " · case REF-" in dialog.summary.text()
    window._lang.set_language("zh_CN")
    assert " · 案件 REF-" in dialog.summary.text() and dialog.windowTitle() == "上报"
