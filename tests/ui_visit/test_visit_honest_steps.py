"""What the visit says is true when it says it: a visit that is too early (or too late)
is stopped at the first step with the time to come back; the step counter never changes
its total under the agent; an agreement is not called signed before it is; notes taken
in the conversation reach the visit notes; an ended visit is not shown as a success; and
the identity check shows what to compare."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from fieldapp.ui.visit.flow_state import Step
from fieldapp.ui.visit.style import PASS, WARN_FILL

from .visit_drive import TO_AGREEMENT, click, confirm_read, make_flow, next_step, play, sign
from .visit_helpers import SHANGHAI, Clock, make_case, make_setup


@pytest.fixture
def done():
    return []


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


# ---------------------------------------------------------------------- 5: too early, too late
def test_two_days_early_is_stopped_at_the_first_step_with_the_time_to_come_back(qtbot, language, position, done):
    clock = Clock(at(2, 9) - dt.timedelta(days=2))           # the appointment is 2026-03-02 09:00-10:00
    case = make_case(notified_hours=72)                      # the notice went out before "now"
    flow = make_flow(qtbot, language, position, done, make_setup(case, clock=clock))
    assert flow.state.step is Step.PRECHECK and not flow.next_button.isEnabled()
    assert flow.blocker.text() == "Too early: come back from 2026-03-02 08:45 (UTC+8)."
    page = flow.pages[Step.PRECHECK]
    assert "Too early: come back from 2026-03-02 08:45 (UTC+8)." in page.decision_view.problem_label.text()
    assert "Allowed" not in page.decision_view.summary.text()
    assert "Ready to continue" not in flow.blocker.text()


def test_on_the_day_it_says_the_time_only_and_opens_when_the_time_comes(qtbot, language, position, done):
    clock = Clock(at(2, 8, 30))
    flow = make_flow(qtbot, language, position, done, make_setup(clock=clock), time_check_ms=20)
    assert flow.blocker.text() == "Too early: come back from 08:45 (UTC+8)."
    clock.now = at(2, 8, 46)
    qtbot.waitUntil(flow.next_button.isEnabled, timeout=3000)  # the page checks the time again by itself
    assert flow.blocker.text() == "Ready to continue."


def test_after_the_appointment_it_is_too_late(qtbot, language, position, done):
    flow = make_flow(qtbot, language, position, done, make_setup(clock=Clock(at(2, 10, 30))))
    assert not flow.next_button.isEnabled()
    assert flow.blocker.text() == "Too late: the appointment ended at 10:00 (UTC+8)."


# ---------------------------------------------------------------------- 6: a step count that holds
STEP = re.compile(r"^Step (\d+)(?: of (\d+))?$")


def test_the_step_count_never_changes_its_total_and_the_agreement_is_not_signed_early(
        qtbot, language, position, done, clock):
    flow = make_flow(qtbot, language, position, done, make_setup(clock=clock))
    seen: list[tuple[Step, str]] = [(flow.state.step, flow.progress.text())]

    def note() -> None:
        seen.append((flow.state.step, flow.progress.text()))

    with qtbot.waitSignal(flow.checkin.checked_in):
        next_step(qtbot, flow)
    note()
    next_step(qtbot, flow)
    note()
    for value in TO_AGREEMENT:
        play(qtbot, flow.player, [value])
        note()
    assert "Repayment agreement signed" not in flow.player.end_label.text()
    assert next_step(qtbot, flow) is Step.OUTCOME
    note()
    outcome = flow.pages[Step.OUTCOME]
    assert "Repayment agreement signed" not in outcome.outcome.text()
    assert outcome.outcome.text() == "Repayment agreement (to be signed)"
    assert next_step(qtbot, flow) is Step.PLAN
    note()
    assert next_step(qtbot, flow) is Step.READ_DRAFT
    note()
    confirm_read(qtbot, flow)
    assert next_step(qtbot, flow) is Step.SIGN_CUSTOMER
    sign(qtbot, flow.sign_page("customer").pad)
    note()
    assert next_step(qtbot, flow) is Step.SIGN_AGENT
    sign(qtbot, flow.sign_page("agent").pad, offset=30)
    note()
    assert next_step(qtbot, flow) is Step.PREVIEW
    note()
    assert next_step(qtbot, flow) is Step.DONE
    assert "Repayment agreement signed" in flow.done_label.text()

    totals = {m.group(2) for _, text in seen if (m := STEP.match(text)) and m.group(2)}
    assert len(totals) <= 1, seen
    numbers = [(step, int(STEP.match(text).group(1))) for step, text in seen]
    for (step_a, a), (step_b, b) in zip(numbers, numbers[1:]):
        assert b == a if step_a is step_b else b == a + 1, seen


# ---------------------------------------------------------------------- 8: conversation notes carried over
def test_notes_taken_in_the_conversation_reach_the_visit_notes(qtbot, language, position, done, clock):
    flow = make_flow(qtbot, language, position, done, make_setup(clock=clock))
    with qtbot.waitSignal(flow.checkin.checked_in):
        next_step(qtbot, flow)
    next_step(qtbot, flow)
    play(qtbot, flow.player, TO_AGREEMENT[:6])
    assert flow.player.view().notes_allowed                  # the hardship question
    qtbot.keyClicks(flow.player.notes, "Lost his job in January; wife is ill.")
    play(qtbot, flow.player, TO_AGREEMENT[6:])
    assert next_step(qtbot, flow) is Step.OUTCOME
    notes = flow.pages[Step.OUTCOME].notes
    assert "Lost his job in January; wife is ill." in notes.toPlainText()
    qtbot.keyClicks(notes, " Agreed six payments.")
    flow.go_back()                                           # back into the conversation, and on again
    play(qtbot, flow.player, [TO_AGREEMENT[-1]])
    next_step(qtbot, flow)
    assert notes.toPlainText().count("Lost his job in January") == 1
    assert "Agreed six payments." in notes.toPlainText()


# ---------------------------------------------------------------------- 9: severity and the identity check
def test_a_visit_ended_for_distress_is_not_shown_as_a_success(qtbot, language, position, done, clock):
    flow = make_flow(qtbot, language, position, done, make_setup(clock=clock))
    with qtbot.waitSignal(flow.checkin.checked_in):
        next_step(qtbot, flow)
    next_step(qtbot, flow)
    play(qtbot, flow.player, TO_AGREEMENT[:6])
    click(qtbot, flow.player, "stop_distress")
    click(qtbot, flow.player, "confirmStop")
    while not flow.player.view().finished:              # the kind words after a stop
        click(qtbot, flow.player, "sayDone")
    end = flow.player.end_label
    assert "customer distressed" in end.text()
    assert PASS not in end.styleSheet() and WARN_FILL in end.styleSheet()
    assert next_step(qtbot, flow) is Step.OUTCOME
    outcome = flow.pages[Step.OUTCOME].outcome
    assert PASS not in outcome.styleSheet() and WARN_FILL in outcome.styleSheet()
    assert next_step(qtbot, flow) is Step.DONE
    assert PASS not in flow.done_label.styleSheet()


def test_the_identity_check_shows_the_last_four_id_characters(qtbot, language, position, done, clock):
    flow = make_flow(qtbot, language, position, done, make_setup(clock=clock))
    with qtbot.waitSignal(flow.checkin.checked_in):
        next_step(qtbot, flow)
    next_step(qtbot, flow)
    play(qtbot, flow.player, TO_AGREEMENT[:3])
    view = flow.player.view()
    assert view.identity_check
    hint = flow.player.identity_hint
    assert hint.isVisible() and hint.text() == "ID on file ends in: 3412"
    language.set_language("zh_CN")
    assert "3412" in hint.text() and hint.text() != "ID on file ends in: 3412"
    language.set_language("en")
    play(qtbot, flow.player, [TO_AGREEMENT[3]])
    assert not hint.isVisible()
