"""The visit's steps without any widget: nothing can be skipped, a blocked case cannot
start, the state round-trips JSON mid-conversation and resumes, and what is recorded
follows what happened (no agreement without the agreement steps, voided signatures)."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from PIL import Image, ImageDraw

from fieldapp.core.errors import BadInput
from fieldapp.core.plans import Frequency, Plan, PlanKind
from fieldapp.ui.visit.flow_state import AGREEMENT_STEPS, FlowState, Step

from .visit_drive import TO_AGREEMENT
from .visit_helpers import NEAR, make_case, make_setup


def png(width: int = 300, *, ink: bool = True) -> bytes:
    image = Image.new("RGB", (width, 100), "white")
    if ink:
        ImageDraw.Draw(image).line([(10, 50), (100, 20), (200, 80), (width - 10, 30)], fill="black", width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def to_script(st: FlowState) -> FlowState:
    st.advance()
    st.check_in(NEAR)
    st.advance()
    return st


def answer_all(st: FlowState, answers) -> None:
    for value in answers:
        st.runtime.answer(value)


PLAN = Plan(PlanKind.INSTALMENTS, "CNY", Decimal("12000.00"), Decimal("12000.00"), dt.date(2026, 3, 20), 6,
            Frequency.MONTHLY)


@pytest.mark.parametrize("flags, appointment, expected", [
    (["cease_contact"], True, "cease"),
    (["vulnerable"], True, "vulnerable"),
    ([], False, "no appointment"),
])
def test_a_blocked_case_cannot_start(clock, flags, appointment, expected):
    st = FlowState(make_setup(make_case(flags=flags, appointment=appointment), clock))
    assert not st.can_advance() and expected in st.blocker().lower()
    with pytest.raises(BadInput, match="cannot start"):
        st.advance()
    assert st.step is Step.PRECHECK and st.started_at is None


def test_late_notice_blocks_with_the_policy_reason(clock):
    st = FlowState(make_setup(make_case(notified_hours=5), clock), "zh_CN")
    assert not st.can_advance()
    assert "本次拜访不能开始" in st.blocker() and "24" in st.blocker()


def test_no_step_can_be_skipped(clock):
    st = FlowState(make_setup(clock=clock))
    st.advance()
    with pytest.raises(BadInput, match="Check in first"):
        st.advance()
    st.check_in(NEAR)
    st.advance()
    with pytest.raises(BadInput, match="Finish the conversation"):
        st.advance()
    assert st.steps[:4] == (Step.PRECHECK, Step.CHECKIN, Step.SCRIPT, Step.OUTCOME)


def test_without_location_a_reason_is_required(clock):
    st = FlowState(make_setup(clock=clock))
    st.advance()
    with pytest.raises(BadInput, match="why no location"):
        st.check_in(None, "  ")
    st.check_in(None, "indoors")
    assert st.location_exception == "indoors" and st.can_advance()


def test_state_round_trips_mid_script_and_resumes(clock):
    st = to_script(FlowState(make_setup(clock=clock)))
    answer_all(st, TO_AGREEMENT[:5])
    node = st.runtime.current.node
    saved = st.to_json()
    assert json.loads(saved)["step"] == "script"
    clock.tick(minutes=20)                            # the laptop slept
    again = FlowState.from_json(make_setup(clock=clock), saved)
    assert again.step is Step.SCRIPT and again.visit_id == st.visit_id
    assert again.runtime.current.node == node and again.runtime.transcript == st.runtime.transcript
    assert again.checkin.to_json() == st.checkin.to_json() and again.location == st.location
    assert again.to_dict() == json.loads(saved)       # a second save is the same draft
    answer_all(again, TO_AGREEMENT[5:])
    again.advance()
    assert again.step is Step.OUTCOME and again.steps[4:9] == AGREEMENT_STEPS


def test_a_draft_of_another_case_or_a_damaged_draft_is_refused(clock):
    st = FlowState(make_setup(clock=clock))
    other = make_setup(make_case(id="case-2"), clock)
    with pytest.raises(BadInput, match="belongs to case case-1"):
        FlowState.from_json(other, st.to_json())
    broken = st.to_dict()
    del broken["checkin"]
    with pytest.raises(BadInput, match="damaged"):
        FlowState.from_json(make_setup(clock=clock), broken)


def test_a_visit_without_agreement_records_no_agreement(clock):
    st = to_script(FlowState(make_setup(clock=clock)))
    answer_all(st, ["no_answer", None])
    st.advance()
    assert Step.PLAN not in st.steps
    st.advance()
    record, files = st.result
    assert record.outcome.value == "not_home" and not record.contact_made
    assert record.agreement is None and record.checkin_decision["allowed"]
    assert set(files) == {record.report_sha256}                   # the visit report alone
    assert files[record.report_sha256].startswith(b"%PDF") and b"/ByteRange" not in files[record.report_sha256]


def test_notes_longer_than_the_record_holds_are_stopped_at_the_outcome(clock):
    st = to_script(FlowState(make_setup(clock=clock)))
    answer_all(st, ["no_answer", None])
    st.advance()
    st.set_notes("x" * 20_001)
    assert "too long" in st.blocker()
    st.set_notes("Nobody home; left no note.")
    st.advance()
    assert st.result[0].notes == "Nobody home; left no note."


def test_a_changed_plan_voids_the_signatures(clock):
    st = to_script(FlowState(make_setup(clock=clock)))
    answer_all(st, TO_AGREEMENT)
    st.advance()
    st.advance()
    st.set_plan(PLAN)
    st.advance()
    assert st.step is Step.READ_DRAFT and not st.can_advance()    # the draft is read first
    with pytest.raises(BadInput, match="read it aloud"):
        st.advance()
    st.confirm_reading("customer_read")
    assert st.reading_text() == "The customer read the whole agreement"
    st.advance()
    st.set_signature("customer", png(), clock())
    st.set_plan(PLAN)                                 # the same plan: the signature stands
    assert "customer" in st.signatures and st.reading == "customer_read"
    st.set_plan(Plan(**{**PLAN.__dict__, "count": 4}))
    assert st.signatures == {} and st.reading is None and not st.can_advance()


def test_a_blank_signature_is_refused(clock):
    st = FlowState(make_setup(clock=clock))
    with pytest.raises(BadInput, match="sign again"):
        st.set_signature("customer", png(ink=False), clock())
    with pytest.raises(BadInput, match="sign again"):
        st.set_signature("agent", b"", clock())
    assert st.signatures == {}


def test_a_case_without_an_identity_tail_cannot_make_an_agreement(clock):
    st = to_script(FlowState(make_setup(make_case(id_tail=None), clock)))
    answer_all(st, TO_AGREEMENT)
    for _ in range(2):
        st.advance()
    st.set_plan(PLAN)
    st.advance()
    st.confirm_reading("read_aloud")
    st.advance()
    st.set_signature("customer", png(), clock())
    st.advance()
    st.set_signature("agent", png(280), clock())
    st.advance()
    assert st.step is Step.PREVIEW and st.agreement is None
    assert "customer.id_tail" in st.blocker() and not st.can_advance()


def test_every_visit_keeps_a_report_and_one_that_cannot_be_printed_is_kept_without(clock):
    st = to_script(FlowState(make_setup(clock=clock)))
    answer_all(st, ["no_answer", None])
    st.advance()
    st.set_notes("Nobody answered 😀")                  # a character no document font can show
    st.advance()
    record, files = st.result
    assert st.step is Step.DONE and record.report_sha256 is None and files == {}


def test_a_draft_saved_at_the_pad_before_the_reading_step_goes_back_to_the_draft(clock):
    st = to_script(FlowState(make_setup(clock=clock)))
    answer_all(st, TO_AGREEMENT)
    st.advance()
    st.advance()
    st.set_plan(PLAN)
    st.advance()
    st.confirm_reading("read_aloud")
    st.advance()
    saved = st.to_dict()
    assert saved["step"] == "sign_customer"
    del saved["reading"]                                  # as an older app saved it
    again = FlowState.from_json(make_setup(clock=clock), saved)
    assert again.step is Step.READ_DRAFT and again.reading is None and not again.can_advance()
