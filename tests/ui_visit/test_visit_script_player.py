"""The script player walks the shipped scripts by clicking: disclosures marked, bounds
refused inline, notes with abusive wording held until the agent keeps them, stops that
ask once and end the conversation, and back that undoes an answer."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from fieldapp.script import Runtime, load_script

from .visit_drive import TO_AGREEMENT, answer, click, play

CASE = {"customer_name": "王芳", "agent_name": "李明", "institution": "示例银行", "reference": "CC-2026-0042",
        "amount_due": "12000.00", "currency": "CNY", "days_past_due": 95, "tier": "B",
        "timezone": "Asia/Shanghai"}


@pytest.fixture
def player(qtbot, language, clock):
    from fieldapp.ui.visit.script_player import ScriptPlayer

    widget = ScriptPlayer(language)
    widget.resize(900, 640)
    qtbot.addWidget(widget)
    widget.show()
    widget.set_runtime(Runtime(load_script("home_visit_cn"), CASE, "en", clock=clock))
    return widget


def test_clicking_through_the_cn_script_reaches_an_agreement(player, qtbot):
    play(qtbot, player, TO_AGREEMENT[:2])
    assert player.view().disclosure and player.badge.isVisible()
    assert "disclosure" in player.badge.text().lower()
    with qtbot.waitSignal(player.finished) as finished:
        play(qtbot, player, TO_AGREEMENT[2:])
    assert finished.args == ["agreement_signed"]
    rt = player.runtime
    assert rt.plan_request == {"kind": "instalments", "currency": "CNY", "amount_due": "12000.00", "count": 6,
                               "first_due": "2026-03-20"}
    assert {"introduction", "recording", "purpose"} <= set(rt.disclosures_said)
    assert player.end_label.isVisible() and "agreement" in player.end_label.text().lower()
    assert not player.stop_bar.isVisible() and not player.say_button.isVisible()


def test_us_script_by_clicking_to_a_promise_with_money_and_date(qtbot, language, clock):
    from fieldapp.ui.visit.script_player import ScriptPlayer

    case = {"customer_name": "Jordan Smith", "agent_name": "Alex Rivera", "institution": "Example Recovery",
            "reference": "AC-55821", "amount_due": "2450.00", "currency": "USD", "days_past_due": 120,
            "tier": "B", "timezone": "America/New_York"}
    clock.now = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.timezone.utc)
    player = ScriptPlayer(language)
    qtbot.addWidget(player)
    player.show()
    player.set_runtime(Runtime(load_script("home_visit_us"), case, "en", clock=clock))
    play(qtbot, player, ["answered", None, "confirmed", None, None, "yes_talk", "forgot", "pay_by_date"])
    assert player.money_edit.isVisible() and player.currency_label.text() == "USD"
    answer(qtbot, player, "9999.00")                      # above the amount due: refused inline
    assert player.view().node == "promise_amount"
    assert "2,450.00 USD" in player.error.text() and player.error.isVisible()
    answer(qtbot, player, "300.00")
    assert player.view().input.kind == "date" and not player.error.isVisible()
    with qtbot.waitSignal(player.finished) as finished:
        play(qtbot, player, ["2026-03-15", None])
    assert finished.args == ["promise_to_pay"]
    assert player.runtime.promise == {"amount": "300.00", "currency": "USD", "due_date": "2026-03-15"}


def test_abusive_note_is_held_until_the_agent_keeps_it(player, qtbot):
    play(qtbot, player, TO_AGREEMENT[:6])
    assert player.view().node == "listen" and player.notes.isVisible()
    qtbot.keyClicks(player.notes, "Said he lost his job. You'll regret it if you don't pay")
    click(qtbot, player, "option_income_fell")
    assert player.view().node == "listen"                 # not saved yet
    assert "regret" in player.note_warning.text() and player.keep_wording.isVisible()
    player.keep_wording.setChecked(True)
    click(qtbot, player, "option_income_fell")
    assert player.view().node == "offers"
    assert [w.to_record() for w in player.runtime.note_warnings] == ["threat: You'll regret"]


def test_a_stop_asks_once_then_ends_the_conversation(player, qtbot):
    play(qtbot, player, TO_AGREEMENT[:4])
    assert player.stop_bar.isVisible()
    click(qtbot, player, "stop_distress")
    assert player.confirm_bar.isVisible() and player.view().node == "purpose"
    click(qtbot, player, "cancelStop")
    assert not player.confirm_bar.isVisible()
    click(qtbot, player, "stop_distress")
    click(qtbot, player, "confirmStop")
    assert player.runtime.stopped == "distress"
    play(qtbot, player, [None])
    assert player.runtime.outcome.value == "visit_aborted_distress"


def test_back_undoes_the_last_answer(player, qtbot):
    assert not player.back_button.isEnabled()
    play(qtbot, player, ["answered", None])
    assert player.view().node == "recording"
    qtbot.mouseClick(player.back_button, Qt.MouseButton.LeftButton)
    assert player.view().node == "introduction"
    assert [e["event"] for e in player.runtime.transcript][-1] == "back"


def test_the_script_follows_the_ui_language(player, qtbot, language):
    play(qtbot, player, ["answered"])
    english = player.text.text()
    language.set_language("zh_CN")
    assert player.runtime.lang == "zh_CN" and player.text.text() != english
    assert "示例银行" in player.text.text()
    assert player.say_button.text() != "Said it — continue"
    assert player.stop_buttons["asked_to_leave"].text() == "客户请我离开"
