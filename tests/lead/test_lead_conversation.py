"""The evidence's Conversation tab, on the transcript of a real run of the shipped script:
compact rows, every row says something, answers are the options' words in the visit's
language (looked up in the script by node and answer), not their codes."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtWidgets import QApplication

from fieldapp.script import load_script
from lead.lead_world import PINNED, add_case, scripted_transcript, visit

CODES = {"answered", "confirmed", "yes_talk", "income_fell", "instalments", "agrees", "yes", "True", "true"}


def _push(world, laptop, transcript) -> str:
    server = world["server"]
    with server.session() as s, s.begin():
        case_id = add_case(s, f"CONV-{len(transcript)}", "agent1")
    agent = laptop("agent", "agent1", server)
    agent.sync()
    v = visit(case_id, started=PINNED - dt.timedelta(hours=3))
    v.transcript = transcript
    agent.record_visit(v)
    agent.sync()
    world["lead"].sync()
    return v.visit_id


@pytest.fixture
def conversation(window, world, laptop):
    def open_(lang: str, **kw) -> object:
        visit_id = _push(world, laptop, scripted_transcript(lang, PINNED - dt.timedelta(hours=3), **kw))
        window.refresh()
        window.open_visit(visit_id)
        ev = window.evidence
        ev.tabs.setCurrentWidget(ev.transcript)
        QApplication.processEvents()
        return ev
    return open_


def _rows(table) -> list[tuple[str, str, str]]:
    return [tuple(table.item(r, c).text() if table.item(r, c) else "" for c in range(3))
            for r in range(table.rowCount())]


def test_rows_are_compact_and_many_are_visible(conversation):
    ev = conversation("zh_CN")
    table = ev.transcript
    assert table.rowCount() >= 12
    line = table.fontMetrics().lineSpacing()
    heights = [table.rowHeight(r) for r in range(table.rowCount())]
    assert max(heights) <= 4 * line + 12, heights  # a long sentence wraps over a few lines at most
    visible = sum(1 for r in range(table.rowCount())
                  if table.rowViewportPosition(r) + table.rowHeight(r) <= table.viewport().height())
    assert visible >= 10, (visible, heights)


def test_no_row_is_blank(conversation):
    ev = conversation("zh_CN", stop_after=9)
    rows = _rows(ev.transcript)
    assert rows and all(text.strip() for _when, text, _answer in rows), rows
    assert any("情绪激动" in text or "distress" in text.lower() for _w, text, _a in rows)  # the stop, in words


def test_answers_are_the_options_words_in_the_visits_language(conversation, window):
    script = load_script("home_visit_cn")
    ev = conversation("zh_CN")
    answers = [a for _w, _t, a in _rows(ev.transcript)]
    assert not CODES & set(answers), answers
    door = script.nodes["at_door"]
    answered = next(o for o in door.options if o.id == "answered")
    assert answered.text["zh_CN"] in answers
    hardship = next(n for n in script.nodes.values() if any(o.id == "income_fell" for o in n.options))
    fell = next(o for o in hardship.options if o.id == "income_fell")
    assert fell.text["zh_CN"] in answers
    assert "6" in answers  # the number of instalments, as entered
    window._lang.set_language("en")  # the lead's language does not change what was said
    assert fell.text["zh_CN"] in [a for _w, _t, a in _rows(ev.transcript)]


def test_an_english_visit_shows_english_answers(conversation, window):
    window._lang.set_language("zh_CN")
    script = load_script("home_visit_cn")
    ev = conversation("en")
    answers = [a for _w, _t, a in _rows(ev.transcript)]
    answered = next(o for o in script.nodes["at_door"].options if o.id == "answered")
    assert answered.text["en"] in answers and not CODES & set(answers)


def test_a_yes_no_answer_is_a_word_of_the_visits_language():
    from fieldapp.ui.lead.transcript import TranscriptReader

    reader = TranscriptReader("home_visit_cn", "CNY", "Asia/Shanghai", lambda m, **v: m.format(**v), "en")
    script = load_script("home_visit_cn")
    said = script.nodes["payment_seen"].text["zh_CN"]
    [row] = reader.rows([{"at": "2026-03-11T06:31:20Z", "event": "answer", "node": "payment_seen",
                          "type": "input", "text": said, "answer": True}])
    assert (row.text, row.answer) == (said, "是")
