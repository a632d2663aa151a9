"""The runtime state machine: what a screen reads, answers and their checks, back, stops,
notes, and resuming from JSON in the middle of a visit."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from fieldapp.core.errors import BadInput
from fieldapp.core.outcomes import Outcome
from fieldapp.script import CaseFacts, Runtime, load_script, load_script_text

from script_helpers import BROKEN, clock

CN = load_script("home_visit_cn")
US = load_script("home_visit_us")
TO_OFFERS = ["answered", None, None, "confirmed", None, "yes_talk", "income_fell"]


def _cn(lang="en", answers=(), case=None):
    rt = Runtime(CN, case or CN.example_case, lang, clock=clock)
    for value in answers:
        rt.answer(value)
    return rt


def test_the_view_gives_a_screen_everything_it_shows():
    rt = _cn("zh_CN")
    view = rt.current
    assert (view.node, view.type, view.can_go_back, view.finished) == ("at_door", "ask", False, False)
    assert [o.id for o in view.options] == ["answered", "no_answer"]
    assert view.options[0].text == "有人应门"
    assert [k for k, _ in view.stops] == ["distress", "asked_to_leave", "not_customer"]
    assert dict(view.stops)["asked_to_leave"] == "客户请我离开"
    rt.answer("answered")
    view = rt.current
    assert view.disclosure and view.type == "say" and view.can_go_back
    assert "示例银行" in view.text and "李明" in view.text and "{" not in view.text
    json.dumps(view.to_dict(), ensure_ascii=False)  # plain data, ready for any front end


def test_input_view_carries_bounds_from_the_case():
    rt = _cn(answers=TO_OFFERS + ["pay_by_date"])
    spec = rt.current.input
    assert (spec.kind, spec.min, spec.max, spec.currency) == ("money", "0.01", "12000.00", "CNY")
    rt.answer("500")
    spec = rt.current.input
    assert (spec.kind, spec.min, spec.max) == ("date", "2026-03-02", "2026-04-01")  # customer's today + 30


def test_answers_are_checked_with_messages_in_the_agents_language():
    rt = _cn(answers=TO_OFFERS + ["pay_by_date"])
    for bad, words in [("12000.01", "at most 12,000.00 CNY"), ("0", "at least 0.01 CNY"),
                       ("10.005", "at most 2 decimals"), (10.5, "Enter a number"), ("ten", "Enter a number")]:
        with pytest.raises(BadInput, match=words) as err:
            rt.answer(bad)
        assert err.value.field == "promise_amount"
    assert rt.current.node == "promise_amount"  # nothing moved
    rt.lang = "zh_CN"
    with pytest.raises(BadInput, match="请输入不超过 12,000.00 CNY 的值"):
        rt.answer("99999")
    rt.answer("12000")
    for bad, words in [("2026-03-01", "当天或之后"), ("2026-04-02", "当天或之前"), ("03/05/2026", "YYYY-MM-DD")]:
        with pytest.raises(BadInput, match=words):
            rt.answer(bad)
    rt.answer(dt.date(2026, 4, 1))
    assert rt.facts["promise_amount"] == Decimal("12000.00")
    assert "2026-04-01前还款12,000.00 元" in rt.current.text


def test_options_integers_and_yes_no_are_checked():
    rt = _cn(answers=TO_OFFERS)
    with pytest.raises(BadInput, match="Choose one of: pay_now, pay_by_date"):
        rt.answer("pay_later")
    rt.answer("instalments")  # the check node runs by itself: 12000 CNY >= 3000
    assert rt.current.node == "plan_count"
    for bad in ("1", "25", "2.5", True):
        with pytest.raises(BadInput):
            rt.answer(bad)
    rt.answer("6")
    assert rt.facts["plan_count"] == 6
    rt = _cn(answers=TO_OFFERS + ["pay_now"])
    with pytest.raises(BadInput, match="yes or no"):
        rt.answer("perhaps")
    rt.answer("no")
    assert rt.current.node == "offers"  # not seen: back to the offers


def test_a_say_step_takes_no_answer():
    rt = _cn(answers=["answered"])
    with pytest.raises(BadInput, match="read out"):
        rt.answer("confirmed")


def test_back_undoes_facts_and_identity_but_the_transcript_keeps_everything():
    rt = _cn(answers=["answered", None, None, "confirmed"])
    assert rt.identity_confirmed and rt.facts["confirm_identity"] == "confirmed"
    rt.back()
    assert rt.current.node == "confirm_identity"
    assert not rt.identity_confirmed and "confirm_identity" not in rt.facts
    assert rt.transcript[-1]["event"] == "back"
    assert [e["node"] for e in rt.transcript if e["event"] == "answer"][-1] == "confirm_identity"
    rt.answer("someone_else")
    assert rt.current.node == "third_party" and not rt.current.discusses_debt


def test_back_over_a_check_returns_to_the_question_before_it():
    small = dict(CN.example_case, amount_due="1000.00")
    rt = _cn(answers=TO_OFFERS + ["instalments"], case=small)
    assert rt.current.node == "instalments_not_offered"
    assert [e["branch"] for e in rt.transcript if e["event"] == "check"] == ["otherwise"]
    rt.back()
    assert rt.current.node == "offers"
    while rt.can_go_back:
        rt.back()
    assert rt.current.node == "at_door" and rt.trail == [{"node": "at_door"}]
    with pytest.raises(BadInput, match="no step to go back"):
        rt.back()


def test_stops_jump_from_any_node_and_cannot_be_undone():
    rt = _cn(answers=TO_OFFERS)
    rt.stop("distress", note="Customer started crying")
    assert rt.current.node == "distressed" and not rt.current.discusses_debt
    assert not rt.can_go_back
    rt.answer()
    assert rt.finished and rt.outcome == Outcome.VISIT_ABORTED_DISTRESS
    assert rt.record()["contact_made"] is True
    with pytest.raises(BadInput, match="ended"):
        rt.stop("asked_to_leave")
    with pytest.raises(BadInput, match="ended"):
        rt.answer()
    assert rt.current.stops == ()


def test_not_the_customer_withdraws_the_identity():
    rt = _cn(answers=["answered", None, None, "confirmed", None])
    assert rt.identity_confirmed
    rt.stop("not_customer")
    assert not rt.identity_confirmed
    rt.answer()
    assert rt.outcome == Outcome.THIRD_PARTY_ONLY and rt.record()["contact_made"] is False
    with pytest.raises(BadInput, match="unknown stop"):
        _cn().stop("bored")


def test_notes_are_checked_and_warnings_survive_an_undo():
    rt = _cn(answers=TO_OFFERS[:-1])
    assert rt.current.notes_allowed
    assert rt.check_notes("Customer lost her job") == []
    rt.answer("income_fell", note="Told him he will go to jail, 老赖")
    assert [w.to_record() for w in rt.note_warnings] == ["false_legal: jail", "insult: 老赖"]
    rt.back()
    assert rt.notes == [] and len(rt.note_warnings) == 2
    assert rt.record()["note_warnings"] == ["false_legal: jail", "insult: 老赖"]
    rt.answer("income_fell")
    with pytest.raises(BadInput, match="Notes are not taken"):
        rt.answer("pay_now", note="hello")


def test_resume_from_json_mid_visit_gives_the_same_visit():
    rest = ["pay_by_date", "800.50", "2026-03-20", None]
    straight = _cn("zh_CN", TO_OFFERS + rest)
    interrupted = _cn("zh_CN", TO_OFFERS + rest[:2])
    interrupted.answer("2026-03-19")
    interrupted.back()  # an undo before the laptop sleeps
    saved = interrupted.to_json()
    del interrupted
    resumed = Runtime.from_json(saved, clock=clock)  # the script travels inside the saved state
    assert resumed.current.node == "promise_date" and resumed.can_go_back
    assert resumed.facts["promise_amount"] == Decimal("800.50")
    for value in rest[2:]:
        resumed.answer(value)
    assert resumed.promise == straight.promise == {"amount": "800.50", "currency": "CNY", "due_date": "2026-03-20"}
    assert resumed.outcome == straight.outcome == Outcome.PROMISE_TO_PAY
    strip = lambda t: [e for e in t if e["event"] != "back" and e.get("answer") != "2026-03-19"]  # noqa: E731
    assert strip(resumed.transcript) == strip(straight.transcript)
    assert resumed.trail == straight.trail
    assert Runtime.from_json(resumed.to_json(), CN, clock=clock).record() == resumed.record()


def test_resume_refuses_another_version_of_the_script_and_damaged_state():
    saved = _cn(answers=TO_OFFERS).to_json()
    edited = load_script_text(CN.text.replace("version: 3", "version: 4"), source=CN.source)
    with pytest.raises(BadInput, match="has changed since this conversation started"):
        Runtime.from_json(saved, edited)
    data = json.loads(saved)
    data["node"] = "no_such_node"
    with pytest.raises(BadInput, match="not a node"):
        Runtime.from_json(json.dumps(data))
    del data["facts"]
    with pytest.raises(BadInput, match="damaged"):
        Runtime.from_json(json.dumps(data))
    with pytest.raises(BadInput, match="not a saved conversation"):
        Runtime.from_json('{"format": "something else"}')


def test_the_runtime_refuses_unsafe_scripts_missing_case_data_and_unknown_languages():
    with pytest.raises(BadInput, match="not valid"):
        Runtime(load_script(BROKEN / "debt_before_identity.yaml"), {})
    with pytest.raises(BadInput, match="needs these case fields: amount_due, currency"):
        Runtime(CN, {"customer_name": "王芳", "agent_name": "李明", "institution": "示例银行",
                     "reference": "R", "days_past_due": 3})
    with pytest.raises(BadInput, match="case: days_past_due"):
        CaseFacts.parse({"days_past_due": "ninety"})
    with pytest.raises(BadInput, match="unknown case field"):
        CaseFacts.parse({"amount": "1"})
    with pytest.raises(BadInput, match="more decimals"):
        CaseFacts.parse({"amount_due": "1.001", "currency": "CNY"})
    with pytest.raises(BadInput, match="unsupported language"):
        Runtime(CN, CN.example_case, "fr")


def test_us_script_says_the_debt_collector_disclosure_first_and_records_a_settlement():
    rt = Runtime(US, US.example_case, "en", clock=clock)
    for value in ["answered", None]:
        rt.answer(value)
    assert "Example Recovery Services" not in rt.current.text  # the door: own name only
    rt.answer("confirmed")
    assert rt.current.node == "mini_miranda"
    assert "is a debt collector. This is an attempt to collect a debt" in rt.current.text
    for value in [None, None, "yes_talk", "forgot", "settlement", "1800", "2026-03-09", None, "read_self"]:
        rt.answer(value)
    assert rt.outcome == Outcome.AGREEMENT_SIGNED
    assert rt.plan_request == {"kind": "settlement", "currency": "USD", "amount_due": "2450.00",
                               "amount": "1800.00", "due": "2026-03-09"}
    assert rt.disclosures_said == ("mini_miranda", "purpose")


def test_the_conversation_can_switch_language_mid_visit():
    rt = _cn("zh_CN", ["answered"])
    assert rt.current.text.startswith("您好")
    rt.lang = "en"
    rt.answer()
    assert rt.transcript[-1]["text"].startswith("Hello. My name is 李明")
