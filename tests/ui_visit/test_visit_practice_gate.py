"""Under a policy that requires practice, a visit cannot start until the agent has practised
the current version of the case's script; after practising (recorded in the laptop's real
store, as the Practice screen does) it can."""

from __future__ import annotations

import datetime as dt
import uuid

from fieldapp.core.resources import resource_path
from fieldapp.protocol.v1 import PracticeRecord
from fieldapp.script import load_script
from fieldapp.script.practice import completion, start_practice
from fieldapp.sync.service import AgentService
from fieldapp.ui.case_data import practice_facts
from fieldapp.ui.visit.flow_state import FlowState

from .visit_helpers import SHANGHAI, Clock, make_case, make_setup

ANSWERS = ["answered", None, None, "confirmed", None, "not_now", None]


def _policy(tmp_path) -> str:
    text = resource_path("policies", "cn.toml").read_text(encoding="utf-8")
    text = text.replace('id = "cn"', 'id = "cn-trained"') + (
        '\n[training]\nrequire_practice = true\n'
        'basis.require_practice = { status = "institution_choice", note = "rehearse each script version" }\n')
    path = tmp_path / "cn-trained.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _practise(service: AgentService, clock: Clock, version_bump: int = 0) -> str:
    script = load_script("home_visit_cn")
    rt = start_practice(script, "zh_CN", clock=clock)
    for answer in ANSWERS:
        if rt.finished:
            break
        rt.answer(answer)
    assert rt.finished
    record = completion(rt, practice_id=str(uuid.uuid4()), clock=clock)
    record["script_version"] += version_bump
    return service.record_practice(PracticeRecord.model_validate(record))


def test_blocked_without_practice_and_unblocked_after(tmp_path):
    clock = Clock(dt.datetime(2026, 3, 2, 9, 10, tzinfo=SHANGHAI))
    service = AgentService(store_path=tmp_path / "store.db")
    script = load_script("home_visit_cn")
    case = make_case(policy_id=_policy(tmp_path))

    def flow() -> FlowState:
        setup = make_setup(case, clock, practice=practice_facts(script, service.practised()))
        return FlowState(setup, "en")

    blocked = flow()
    problem = blocked.blocker()
    assert problem is not None and not blocked.can_advance()
    assert "has not practised the conversation script home_visit_cn (version 3)" in problem
    rule = next(r for r in blocked.planning.results if r.rule == "training.practice")
    assert rule.blocks and rule.category == "training"

    _practise(service, clock, version_bump=-1)          # an earlier version does not count
    assert "only in an earlier version (2)" in flow().blocker()

    item = _practise(service, clock)                     # the current version: the visit may start
    ready = flow()
    assert ready.blocker() is None and ready.planning.allowed
    assert next(r for r in ready.planning.results if r.rule == "training.practice").passed
    # The practice is waiting in the outbox (it belongs to no case) to reach the server.
    row = next(r for r in service.outbox() if r.id == item)
    assert (row.kind, row.case_id, row.state) == ("practice", "", "waiting")
    # A setup that is not told what the agent practised (not the app's: prepare_visit always
    # reads the store) can only warn that it did not check.
    unknown = FlowState(make_setup(case, clock), "zh_CN")
    assert next(r for r in unknown.planning.results if r.rule == "training.practice").warns


def test_without_the_policy_option_nothing_changes(tmp_path):
    flow = FlowState(make_setup(make_case()), "en")
    assert flow.blocker() is None
    assert "training.practice" not in {r.rule for r in flow.planning.results}
