"""Every shipped script, walked through EVERY path headless (answers, input bounds, stops)."""

from __future__ import annotations

import pytest

from fieldapp.core.outcomes import Outcome
from fieldapp.protocol.v1 import PromiseToPay
from fieldapp.script import list_shipped, load_script, validate

from script_helpers import CASES, case_for, gate_violations, trail_edges, walk_all


def test_every_shipped_script_is_listed_valid_and_bilingual():
    shipped = {s.id: s for s in list_shipped()}
    assert set(shipped) == set(CASES)
    for script_id, entry in shipped.items():
        script = load_script(script_id)
        assert script.id == script_id == entry.path.stem
        assert validate(script) == []
        assert set(script.languages) == {"en", "zh_CN"}
        assert set(entry.title) == {"en", "zh_CN"}


@pytest.mark.parametrize("script_id", sorted(CASES))
def test_every_path_ends_with_an_outcome_and_never_breaks_the_debt_gate(script_id):
    script = load_script(script_id)
    nodes, edges, outcomes, paths = set(), set(), set(), 0
    for case in CASES[script_id]:
        for lang in ("en", "zh_CN"):
            for rt in walk_all(script, case_for(script, case), lang, with_stops=lang == "en"):
                paths += 1
                assert rt.finished and isinstance(rt.outcome, Outcome)
                assert gate_violations(script, rt.trail) == []
                nodes |= {e["node"] for e in rt.trail if "node" in e}
                edges |= trail_edges(rt.trail)
                outcomes.add(rt.outcome)
                record = rt.record()
                assert record["outcome"] == rt.outcome.value
                if rt.node.promise:
                    PromiseToPay.model_validate(record["promise"])  # the wire accepts it as is
                    assert rt.outcome == Outcome.PROMISE_TO_PAY
                if rt.node.plan:
                    assert record["plan_request"]["kind"] == rt.node.plan["kind"]
                stamps = [e["at"] for e in rt.transcript]
                assert stamps == sorted(stamps) and all(s.endswith("Z") for s in stamps)
                texts = [e.get("text", "") for e in rt.transcript]
                assert not any("{" in t for t in texts), "a placeholder was left unfilled"
    all_edges = {(n.id, t) for n in script.nodes.values() for t in n.targets()}
    assert nodes == set(script.nodes), f"never reached: {set(script.nodes) - nodes}"
    assert edges >= all_edges, f"never taken: {all_edges - edges}"
    assert paths > 100
    print(f"{script_id}: {paths} paths, {len(outcomes)} outcomes")


@pytest.mark.parametrize("script_id", sorted(CASES))
def test_the_stops_lead_to_their_outcomes_from_every_step(script_id):
    script = load_script(script_id)
    expected = {"distress": Outcome.VISIT_ABORTED_DISTRESS, "asked_to_leave": Outcome.ASKED_TO_LEAVE,
                "not_customer": Outcome.THIRD_PARTY_ONLY}
    seen = set()
    for rt in walk_all(script, case_for(script, None)):
        stops = [e["stop"] for e in rt.trail if "stop" in e]
        if stops:
            assert rt.outcome == expected[stops[0]]
            assert not rt.can_go_back
            seen.add(stops[0])
    assert seen == set(expected)
