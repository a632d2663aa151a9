"""Property tests (hypothesis).

1. Random walks through the shipped scripts (answers, wrong answers, back, stops, saving
   and resuming) never reach a node that discusses the debt before the identity is
   confirmed and every required disclosure is said.
2. The validator is sound on random scripts: whenever a random walk (on a runtime that
   skips validation) talks about the debt too early, the validator reported the first such
   node after the start or the stop;
   and every example path it reports really does reach the node too early.
"""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp.core.errors import BadInput
from fieldapp.script import Runtime, load_script, load_script_text, validate

from script_helpers import CASES, answers_for, case_for, clock, gate_violations

SHIPPED = {sid: load_script(sid) for sid in CASES}
STOPS = ("distress", "asked_to_leave", "not_customer")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script_id=st.sampled_from(sorted(SHIPPED)), case_index=st.integers(0, 1), data=st.data())
def test_random_walks_never_discuss_the_debt_too_early(script_id, case_index, data):
    script = SHIPPED[script_id]
    rt = Runtime(script, case_for(script, CASES[script_id][case_index]), "zh_CN", clock=clock)
    for _ in range(60):
        if rt.finished:
            break
        action = data.draw(st.sampled_from(["answer"] * 8 + ["back", "stop", "wrong", "save"]))
        if action == "back" and rt.can_go_back:
            rt.back()
        elif action == "stop":
            rt.stop(data.draw(st.sampled_from(STOPS)))
        elif action == "wrong":
            before = rt.to_json()
            try:
                rt.answer("not-an-answer")
            except BadInput:
                assert rt.to_json() == before  # a refused answer changes nothing
        elif action == "save":
            rt = Runtime.from_json(rt.to_json(), script, clock=clock)
        else:
            rt.answer(data.draw(st.sampled_from(answers_for(rt))))
        assert gate_violations(script, rt.trail) == []
        if rt.current.discusses_debt:
            assert rt.identity_confirmed


# ---------------------------------------------------------------------------- random scripts
def _text(word: str) -> dict:
    return {"en": word, "zh_CN": word}


@st.composite
def random_scripts(draw):
    """Small scripts of say/ask nodes with random flags and random (also looping) edges."""
    count = draw(st.integers(2, 7))
    body = [f"n{i}" for i in range(count)]
    targets = st.sampled_from(body[1:] + ["done"] if count > 1 else ["done"])
    nodes: dict = {}
    for name in body:
        flags = {}
        if draw(st.integers(0, 2)) == 0:
            flags["discusses_debt"] = True
        if draw(st.booleans()):
            anywhere = st.sampled_from(body + ["done"])  # the first option may loop back
            options = [{"id": f"o{k}", "text": _text("o"), "next": draw(targets if k else anywhere)}
                       for k in range(draw(st.integers(1, 3)))]
            if draw(st.booleans()):
                flags["identity_check"] = True
                options[0]["confirms_identity"] = True
            nodes[name] = {"type": "ask", "text": _text(name), "options": options, **flags}
        else:
            if draw(st.integers(0, 2)) == 0:
                flags["disclosure"] = draw(st.sampled_from(["d1", "d2"]))
            nodes[name] = {"type": "say", "text": _text(name), "next": draw(targets), **flags}
    nodes["done"] = {"type": "end", "outcome": "refused"}
    nodes["stop_not_customer"] = {"type": "end", "outcome": "third_party_only", "stop": "not_customer"}
    nodes["stop_distress"] = {"type": "end", "outcome": "visit_aborted_distress", "stop": "distress"}
    nodes["stop_leave"] = {"type": "end", "outcome": "asked_to_leave", "stop": "asked_to_leave"}
    doc = {"id": "random", "title": _text("random"), "start": "n0", "nodes": nodes}
    return load_script_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), source="random.yaml")


def _first_violation_per_segment(script, trail):
    """The first too-early debt node after the start and after each stop (a new root)."""
    out, before = [], 0
    for cut in [i for i, e in enumerate(trail) if "stop" in e] + [len(trail)]:
        violations = gate_violations(script, trail[:cut])
        if len(violations) > before:
            out.append(violations[before][1])
        before = len(violations)
    return out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=random_scripts(), data=st.data())
def test_validator_is_sound_on_random_scripts(script, data):
    issues = validate(script)
    reported = {i.node for i in issues if i.code in ("debt_before_identity", "debt_before_disclosure")}
    rt = Runtime._unchecked(script, None, "en", clock=clock)
    for _ in range(25):
        if rt.finished:
            break
        action = data.draw(st.sampled_from(["answer"] * 6 + ["back", "stop"]))
        if action == "back" and rt.can_go_back:
            rt.back()
        elif action == "stop":
            rt.stop(data.draw(st.sampled_from(STOPS)))
        else:
            rt.answer(data.draw(st.sampled_from(answers_for(rt))))
    for node in _first_violation_per_segment(script, rt.trail):
        assert node in reported, f"walk {rt.trail} reached {node} too early; reported: {reported}"
    if not issues:
        assert gate_violations(script, rt.trail) == []


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=random_scripts())
def test_every_reported_example_path_really_reaches_the_debt_too_early(script):
    stops = {n.id: n.stop for n in script.nodes.values() if n.stop}
    for issue in validate(script):
        if issue.code not in ("debt_before_identity", "debt_before_disclosure"):
            continue
        path = list(issue.path)
        rt = Runtime._unchecked(script, None, "en", clock=clock)
        if path[0] != script.start:
            rt.stop(stops[path[0]])
        for here, there in zip(path, path[1:]):
            node = script.nodes[here]
            assert rt.node.id == here
            if node.type == "say":
                rt.answer()
            else:
                option = next((o for o in node.options if o.next == there and not (
                    issue.code == "debt_before_identity" and o.confirms_identity)), None)
                assert option is not None, f"{issue.path}: no way from {here} to {there}"
                rt.answer(option.id)
        assert rt.node.id == path[-1] == issue.node
        found = gate_violations(script, rt.trail)
        assert issue.node in {node for _, node, _ in found}
        if issue.code == "debt_before_identity":
            assert ("debt_before_identity", issue.node) in {v[:2] for v in found}
