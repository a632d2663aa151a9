"""The whole guided visit through the widget, as an agent clicks it: pre-visit check,
check-in, the conversation, outcome and notes, the plan, both signatures and the
agreement preview, to a VisitRecord whose PDF verifies; a blocked case never starts;
a draft taken mid-conversation resumes at the same question."""

from __future__ import annotations

import hashlib

import pytest

from fieldapp.core.canonical import content_hash
from fieldapp.documents.verify import verify_pdf
from fieldapp.protocol.v1 import VisitRecord
from fieldapp.ui.visit.flow_state import Step

from .visit_drive import TO_AGREEMENT, click, confirm_read, make_flow, next_step, play, sign
from .visit_helpers import NEAR, make_case, make_setup


@pytest.fixture
def done():
    return []


def test_whole_visit_to_a_verified_agreement(qtbot, language, position, done, clock, test_pki):
    setup = make_setup(clock=clock, signing=test_pki.signing_setup())
    flow = make_flow(qtbot, language, position, done, setup)
    drafts = []
    flow.draft_changed.connect(drafts.append)
    assert flow.stack.currentWidget() is flow.pages[Step.PRECHECK] and flow.next_button.isEnabled()

    with qtbot.waitSignal(flow.checkin.checked_in):
        assert next_step(qtbot, flow) is Step.CHECKIN
    assert flow.next_button.isEnabled() and drafts[-1]["step"] == "checkin"

    assert next_step(qtbot, flow) is Step.SCRIPT
    assert not flow.next_button.isEnabled()          # the conversation comes first
    play(qtbot, flow.player, TO_AGREEMENT)
    assert flow.next_button.isEnabled() and drafts[-1]["runtime"]

    assert next_step(qtbot, flow) is Step.OUTCOME
    notes = flow.pages[Step.OUTCOME].notes
    qtbot.keyClicks(notes, "Lost job in January; agreed six payments. You'll regret it otherwise.")
    assert not flow.next_button.isEnabled() and "regret" in flow.pages[Step.OUTCOME].warning.text()
    flow.pages[Step.OUTCOME].keep.setChecked(True)
    assert flow.next_button.isEnabled()

    assert next_step(qtbot, flow) is Step.PLAN
    assert flow.plan_builder.plan().count == 6 and flow.state.plan == flow.plan_builder.plan()

    # the whole agreement, unsigned and marked as a draft, before the pad
    assert next_step(qtbot, flow) is Step.READ_DRAFT
    draft = flow.read_page.preview
    assert flow.stack.currentWidget() is flow.read_page and draft.page_count() >= 2
    text = " ".join(draft.page_text(p) for p in range(draft.page_count()))
    assert "DRAFT" in text and flow.state.agreement_id in text.replace("\n", "")
    assert "to have it read aloud" in flow.read_page.asked.text()   # what the customer asked for
    assert not flow.next_button.isEnabled() and "read it aloud" in flow.blocker.text()
    flow.go_next()                                   # even when called directly
    assert flow.state.step is Step.READ_DRAFT
    assert not any(b.isChecked() for b in flow.read_page.choices.values())   # nothing preselected
    confirm_read(qtbot, flow)
    assert flow.next_button.isEnabled() and drafts[-1]["reading"] == "read_aloud"

    assert next_step(qtbot, flow) is Step.SIGN_CUSTOMER
    assert not flow.next_button.isEnabled()          # an empty pad is not a signature
    sign(qtbot, flow.sign_page("customer").pad)
    clock.tick(seconds=40)
    assert flow.next_button.isEnabled()
    assert next_step(qtbot, flow) is Step.SIGN_AGENT
    sign(qtbot, flow.sign_page("agent").pad, offset=30)

    assert next_step(qtbot, flow) is Step.PREVIEW
    assert flow.preview.page_count() >= 1 and flow.state.agreement is not None
    assert flow.state.agreement_id in flow.preview.page_text(0).replace("\n", "")
    shown = " ".join(flow.preview.page_text(p) for p in range(flow.preview.page_count()))
    assert "DRAFT" not in shown                      # the signed agreement, not the draft
    assert bytes(flow.preview._data) == flow.state.agreement.pdf
    assert not done

    assert next_step(qtbot, flow) is Step.DONE
    assert "complete" in flow.done_label.text()
    (record, files), = done
    assert isinstance(record, VisitRecord) and record.outcome.value == "agreement_signed"
    assert drafts[-1]["step"] == "done"
    assert record.note_warnings == ["threat: You'll regret"]
    assert record.location == NEAR and record.checkin_decision["allowed"] and record.planning_decision["allowed"]
    assert record.agent_started_at <= record.checked_in_at <= record.ended_at
    agreement = record.agreement
    assert agreement.terms_sha256 == content_hash(agreement.terms)      # what the server checks
    assert {s.role for s in agreement.signatures} == {"customer", "agent"}
    assert agreement.read_before_signing == "read_aloud"
    assert set(files) == {agreement.pdf_sha256, record.report_sha256, *(s.sha256 for s in agreement.signatures)}
    report = verify_pdf(files[record.report_sha256], trust=[test_pki.root], now=clock(), kind="visit_report")
    assert report.intact, report.problems
    assert report.device_id == "laptop-0001" and report.signed_at == clock().replace(microsecond=0)
    assert all(hashlib.sha256(data).hexdigest() == sha for sha, data in files.items())
    verdict = verify_pdf(files[agreement.pdf_sha256], trust=[test_pki.root], now=clock())
    assert verdict.intact, verdict.problems
    assert verdict.agreement_id == agreement.agreement_id and verdict.sha256 == agreement.terms_sha256
    assert verdict.device_id == "laptop-0001" and verdict.signed_at == clock().replace(microsecond=0)
    assert sum(int(r["amount"].replace(".", "")) for r in agreement.terms["schedule"]) == 1_200_000
    VisitRecord.model_validate(record.model_dump(mode="json"))           # survives the wire


def test_a_blocked_case_cannot_start(qtbot, language, position, done):
    flow = make_flow(qtbot, language, position, done, make_setup(make_case(flags=["cease_contact"])))
    assert not flow.next_button.isEnabled()
    assert "cannot start" in flow.blocker.text() and "cannot start" in flow.state.blocker()
    page = flow.pages[Step.PRECHECK]
    assert "Blocked" in page.decision_view.summary.text()
    assert any(word == "Blocked" and "cease" in text.lower() for _, word, text in page.decision_view.row_texts())
    flow.go_next()                                   # even when called directly
    assert flow.state.step is Step.PRECHECK and flow.stack.currentWidget() is page


def test_a_draft_taken_mid_conversation_resumes_there(qtbot, language, position, done, clock):
    setup = make_setup(clock=clock)
    flow = make_flow(qtbot, language, position, done, setup)
    drafts = []
    flow.draft_changed.connect(drafts.append)
    with qtbot.waitSignal(flow.checkin.checked_in):
        next_step(qtbot, flow)
    next_step(qtbot, flow)
    play(qtbot, flow.player, TO_AGREEMENT[:7])
    saved = drafts[-1]
    node = flow.state.runtime.current.node
    flow.close()

    resumed = make_flow(qtbot, language, position, done, make_setup(clock=clock), saved=saved)
    assert resumed.state.step is Step.SCRIPT and resumed.stack.currentWidget() is resumed.player
    assert resumed.player.view().node == node == "offers"
    assert resumed.player.findChild(type(resumed.next_button), "option_instalments").isVisible()
    play(qtbot, resumed.player, TO_AGREEMENT[7:])
    assert next_step(qtbot, resumed) is Step.OUTCOME
    assert resumed.state.visit_id == flow.state.visit_id


def test_resuming_at_the_preview_renders_the_agreement_again(qtbot, language, position, done, clock, test_pki):
    signing = test_pki.signing_setup()
    flow = make_flow(qtbot, language, position, done, make_setup(clock=clock, signing=signing))
    drafts = []
    flow.draft_changed.connect(drafts.append)
    with qtbot.waitSignal(flow.checkin.checked_in):
        next_step(qtbot, flow)
    next_step(qtbot, flow)
    play(qtbot, flow.player, TO_AGREEMENT)
    for _ in range(3):
        next_step(qtbot, flow)
    confirm_read(qtbot, flow, "customer_read")
    next_step(qtbot, flow)
    sign(qtbot, flow.sign_page("customer").pad)
    next_step(qtbot, flow)
    sign(qtbot, flow.sign_page("agent").pad)
    next_step(qtbot, flow)
    assert drafts[-1]["step"] == "preview" and "pdf" not in str(drafts[-1].keys())

    assert all(sig.get("evidence_base64") for sig in drafts[-1]["signatures"].values())

    resumed = make_flow(qtbot, language, position, done, make_setup(clock=clock, signing=signing),
                        saved=drafts[-1])
    assert resumed.state.step is Step.PREVIEW and resumed.preview.page_count() >= 1
    next_step(qtbot, resumed)
    (record, files), = done
    pdf = files[record.agreement.pdf_sha256]
    assert verify_pdf(pdf, trust=[test_pki.root], now=clock()).intact
    # the strokes went into the PDF encrypted, and only the evidence key opens them
    import io

    from pypdf import PdfReader

    from fieldapp.documents import evidence

    attached = PdfReader(io.BytesIO(pdf)).attachments
    for role in ("customer", "agent"):
        png = attached[f"signature-{role}.png"][0]
        aad = evidence.context(record.agreement.agreement_id, role, hashlib.sha256(png).hexdigest())
        writing = evidence.open_envelope(attached[f"signature-{role}.evidence.json"][0], test_pki.evidence_key, aad)
        assert writing.points >= 10 and len(writing.strokes) >= 1 and writing.started_at is not None
        assert b"strokes" not in attached[f"signature-{role}.evidence.json"][0]


def test_going_back_from_the_signature_keeps_the_plan_and_signature(qtbot, language, position, done, clock):
    flow = make_flow(qtbot, language, position, done, make_setup(clock=clock))
    with qtbot.waitSignal(flow.checkin.checked_in):
        next_step(qtbot, flow)
    next_step(qtbot, flow)
    play(qtbot, flow.player, TO_AGREEMENT)
    for _ in range(3):
        next_step(qtbot, flow)
    confirm_read(qtbot, flow)
    next_step(qtbot, flow)
    sign(qtbot, flow.sign_page("customer").pad)
    click(qtbot, flow, "flowBack")
    assert flow.state.step is Step.READ_DRAFT and "customer" in flow.state.signatures
    click(qtbot, flow, "flowBack")
    assert flow.state.step is Step.PLAN and "customer" in flow.state.signatures
    next_step(qtbot, flow)
    assert flow.read_page.choices["read_aloud"].isChecked()      # the confirmation still holds
    next_step(qtbot, flow)
    assert not flow.sign_page("customer").pad.is_empty() and flow.next_button.isEnabled()
    click(qtbot, flow, "flowBack")
    click(qtbot, flow, "flowBack")
    flow.plan_builder.count_spin.setValue(4)        # a different plan: the signature no longer holds
    next_step(qtbot, flow)
    assert not flow.next_button.isEnabled()         # ...nor the reading of the old draft
    confirm_read(qtbot, flow)
    next_step(qtbot, flow)
    assert flow.sign_page("customer").pad.is_empty() and not flow.next_button.isEnabled()


def test_resuming_at_the_draft_shows_it_again_and_waits_for_the_confirmation(qtbot, language, position, done,
                                                                             clock):
    flow = make_flow(qtbot, language, position, done, make_setup(clock=clock))
    drafts = []
    flow.draft_changed.connect(drafts.append)
    with qtbot.waitSignal(flow.checkin.checked_in):
        next_step(qtbot, flow)
    next_step(qtbot, flow)
    play(qtbot, flow.player, TO_AGREEMENT)
    for _ in range(3):
        next_step(qtbot, flow)
    assert drafts[-1]["step"] == "read_draft" and drafts[-1]["reading"] is None
    flow.close()

    resumed = make_flow(qtbot, language, position, done, make_setup(clock=clock), saved=drafts[-1])
    assert resumed.state.step is Step.READ_DRAFT and resumed.stack.currentWidget() is resumed.read_page
    assert resumed.read_page.preview.page_count() >= 2 and not resumed.next_button.isEnabled()
    confirm_read(qtbot, resumed, "customer_read")
    saved = resumed.state.to_dict()
    resumed.close()

    again = make_flow(qtbot, language, position, done, make_setup(clock=clock), saved=saved)
    assert again.state.step is Step.READ_DRAFT and again.read_page.choices["customer_read"].isChecked()
    assert again.next_button.isEnabled()
    assert next_step(qtbot, again) is Step.SIGN_CUSTOMER
