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
    assert step.reason_combo.currentData() == "timeout" and factory.made[0].requests == 1
    step.address_check.setChecked(True)
    qtbot.keyClicks(step.reason_note, "basement flat")
    click(qtbot, step, "checkInWithout")
    assert state.location_exception == "timeout: basement flat"


def test_refused_access_is_recorded_as_such(qtbot, language, state, position):
    step = make_step(qtbot, language, state, position(error=ACCESS_ERROR))
    step.start()
    qtbot.waitUntil(step.fallback.isVisible, timeout=5000)
    assert step.reason_combo.currentData() == "denied"
    step.address_check.setChecked(True)
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
