"""Check-in with a position source the test controls: inside the geofence, outside it,
and with no position at all (no source, a timeout, access refused), where the agent
confirms the address and the missing location is recorded as an exception."""

from __future__ import annotations

import pytest

from fieldapp.ui.visit.flow_state import FlowState, Step

from .conftest import ACCESS_ERROR
from .visit_drive import click
from .visit_helpers import FAR, NEAR, make_setup


@pytest.fixture
def state(clock):
    st = FlowState(make_setup(clock=clock))
    st.advance()
    assert st.step is Step.CHECKIN
    return st


def make_step(qtbot, language, state, factory, timeout_ms=10_000):
    from fieldapp.ui.visit.checkin import CheckInStep

    step = CheckInStep(language, state.check_in, state.setup.case.customer.address,
                       source_factory=factory, timeout_ms=timeout_ms)
    step.resize(900, 600)
    qtbot.addWidget(step)
    step.show()
    return step


def choose(step, code: str) -> None:
    step.reason_combo.setCurrentIndex(step.reason_combo.findData(code))


def geofence(decision):
    return next(r for r in decision.results if r.category == "geofence")


def test_inside_the_geofence_checks_in(qtbot, language, state, position):
    step = make_step(qtbot, language, state, position(NEAR))
    with qtbot.waitSignal(step.checked_in):
        step.start()
    assert state.can_advance() and state.checkin.allowed
    assert geofence(state.checkin).passed and state.location.accuracy_m == 15
    assert 90 < state.distance_m < 100 and state.location_exception is None
    assert "32.06100" in step.status.text() and not step.fallback.isVisible()
    words = [word for _, word, _ in step.decision_view.row_texts()]
    assert words and set(words) == {"Passed"}


def test_outside_the_geofence_blocks_and_says_how_far(qtbot, language, state, position):
    step = make_step(qtbot, language, state, position(FAR))
    with qtbot.waitSignal(step.checked_in):
        step.start()
    assert not state.checkin.allowed and not state.can_advance()
    rule = geofence(state.checkin)
    assert rule.blocks and "beyond the limit of 300 m" in rule.message
    assert "Check-in is blocked" in state.blocker()
    assert ("geofence.distance", "Blocked", rule.message) in step.decision_view.row_texts()
    assert step.locate_button.text() == "Try the location again"


def test_no_position_source_means_confirming_the_address(qtbot, language, state):
    step = make_step(qtbot, language, state, lambda parent: None)
    step.start()
    assert step.fallback.isVisible() and "cannot find its location" in step.status.text()
    assert not step.confirm_button.isEnabled()       # the address must be confirmed first
    step.address_check.setChecked(True)
    assert step.reason_combo.currentIndex() == -1 and not step.confirm_button.isEnabled()  # and why
    choose(step, "unavailable")
    with qtbot.waitSignal(step.checked_in):
        click(qtbot, step, "checkInWithout")
    assert state.location is None and state.location_exception == "unavailable"
    rule = geofence(state.checkin)
    assert rule.warns and "No location was recorded" in rule.message
    assert state.checkin.allowed and state.can_advance()   # a warning for the lead, not a block


def test_a_silent_source_times_out_to_the_address(qtbot, language, state, position):
    factory = position()                              # answers nothing
    step = make_step(qtbot, language, state, factory, timeout_ms=30)
    step.start()
    assert "Finding your location" in step.status.text()
    qtbot.waitUntil(step.fallback.isVisible, timeout=5000)
    assert "No position was found in time" in step.status.text() and factory.made[0].requests == 1
    assert step.reason_combo.currentIndex() == -1             # the agent says why, nothing is chosen for them
    step.address_check.setChecked(True)
    choose(step, "timeout")
    qtbot.keyClicks(step.reason_note, "basement flat")
    click(qtbot, step, "checkInWithout")
    assert state.location_exception == "timeout: basement flat"


def test_refused_access_is_recorded_as_such(qtbot, language, state, position):
    step = make_step(qtbot, language, state, position(error=ACCESS_ERROR))
    step.start()
    qtbot.waitUntil(step.fallback.isVisible, timeout=5000)
    assert "Access to the location is turned off" in step.status.text()
    step.address_check.setChecked(True)
    choose(step, "denied")
    click(qtbot, step, "checkInWithout")
    assert state.location_exception == "denied"


def test_trying_again_asks_the_same_source_once_more(qtbot, language, state, position):
    factory = position(FAR)
    step = make_step(qtbot, language, state, factory)
    with qtbot.waitSignal(step.checked_in):
        step.start()
    with qtbot.waitSignal(step.checked_in):
        click(qtbot, step, "locateAgain")
    assert len(factory.made) == 1 and factory.made[0].requests == 2
    assert not state.checkin.allowed


def test_the_wait_counts_down_and_can_be_skipped_to_the_exception(qtbot, language, state, position):
    factory = position()                              # answers nothing
    step = make_step(qtbot, language, state, factory, timeout_ms=20_000)
    step.start()
    assert step.status.text() == "Finding your location… 20 s left"
    skip = step.skip_button
    assert skip.isVisible() and skip.isEnabled()
    qtbot.waitUntil(lambda: "19 s left" in step.status.text() or "18 s left" in step.status.text(),
                    timeout=5000)                       # it counts down by itself
    click(qtbot, step, "skipLocation")
    assert not skip.isVisible() and step.fallback.isVisible()
    assert "You skipped the location search" in step.status.text()
    step.address_check.setChecked(True)
    assert not step.confirm_button.isEnabled()
    choose(step, "indoors")
    click(qtbot, step, "checkInWithout")
    assert state.location is None and state.location_exception == "indoors"
    qtbot.wait(1200)
    assert "left" not in step.status.text()           # the countdown stopped with the wait


def test_checking_in_without_a_location_always_looks_the_same(qtbot, language, clock, position):
    from fieldapp.ui.visit.style import BLOCK, WARN_FILL

    colours = []
    for late in (False, True):
        st = FlowState(make_setup(clock=clock))
        st.advance()
        if late:
            clock.tick(hours=2)                          # past the appointment: the decision blocks
        step = make_step(qtbot, language, st, lambda parent: None)
        step.start()
        step.address_check.setChecked(True)
        choose(step, "indoors")
        click(qtbot, step, "checkInWithout")
        assert st.checkin.allowed is not late
        colours.append(step.status.styleSheet())
        assert "Checked in without a location" in step.status.text()
        summary = step.decision_view.summary.styleSheet()
        assert (BLOCK in summary) if late else (BLOCK not in summary)
    assert colours[0] == colours[1] and WARN_FILL in colours[0]
