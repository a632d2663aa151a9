"""Shared helpers for the script tests: cases, a fixed clock, the exhaustive path walker and an
independent check of the debt gate computed from a runtime's trail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from fieldapp.script import Runtime, Script

HERE = Path(__file__).parent
BROKEN = HERE / "broken"
NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def clock() -> dt.datetime:
    return NOW


# Cases chosen so that between them every branch of every check node is taken.
CASES = {
    "home_visit_cn": [
        None,  # the script's example_case: 12000.00 CNY, 95 days -> instalments and deferral offered
        {"customer_name": "张伟", "agent_name": "李明", "institution": "示例银行", "reference": "R-1",
         "amount_due": "1000.00", "currency": "CNY", "days_past_due": 200, "timezone": "Asia/Shanghai"},
    ],
    "home_visit_us": [
        None,  # 2450.00 USD, 120 days, tier B -> instalments and settlement offered
        {"customer_name": "Sam Lee", "agent_name": "Alex Rivera", "institution": "Example Recovery",
         "reference": "R-2", "amount_due": "300.00", "currency": "USD", "days_past_due": 30, "tier": "A",
         "timezone": "America/Chicago"},
    ],
}


def case_for(script: Script, case: dict | None) -> dict:
    return dict(script.example_case) if case is None else case


def answers_for(rt: Runtime) -> list:
    """The answers worth trying at the current node: every option, the bounds of an input."""
    view = rt.current
    if view.type == "say":
        return [None]
    if view.type == "ask":
        return [o.id for o in view.options]
    spec = view.input
    if spec.kind == "yes_no":
        return [True, False]
    if spec.kind == "date":
        lo = dt.date.fromisoformat(spec.min)
        hi = dt.date.fromisoformat(spec.max) if spec.max else lo + dt.timedelta(days=30)
        return [lo.isoformat(), hi.isoformat()]
    lo = Decimal(spec.min)
    hi = Decimal(spec.max) if spec.max else lo * 10
    return [format(lo, "f"), format(hi, "f")]


def gate_violations(script: Script, trail: list[dict]) -> list[tuple[str, str, str]]:
    """(code, node, detail) for every node on the trail that talks about the debt too early.

    Computed from the trail alone, with the runtime's own rules restated here: identity is
    confirmed by a confirming option of an identity check and withdrawn by the
    not-the-customer stop; a disclosure counts once it has been said.
    """
    required = set(script.disclosures())
    identity, said, out = False, set(), []
    for entry in trail:
        if "stop" in entry:
            if entry["stop"] == "not_customer":
                identity = False
            continue
        node = script.nodes[entry["node"]]
        if node.discusses_debt:
            if not identity:
                out.append(("debt_before_identity", node.id, ""))
            elif not node.disclosure and not required <= said:
                out.append(("debt_before_disclosure", node.id, ",".join(sorted(required - said))))
        if "answer" in entry:
            if node.identity_check and any(o.id == entry["answer"] and o.confirms_identity for o in node.options):
                identity = True
            if node.disclosure:
                said.add(node.disclosure)
    return out


def trail_edges(trail: list[dict]) -> set[tuple[str, str]]:
    edges, previous = set(), None
    for entry in trail:
        if "stop" in entry:
            previous = None
            continue
        if previous is not None:
            edges.add((previous, entry["node"]))
        previous = entry["node"]
    return edges


def walk_all(script: Script, case: dict, lang: str = "en", *, max_visits: int = 2, with_stops: bool = True):
    """Every path through the script, depth first: yields each finished Runtime.

    At each step every answer worth trying is taken, and (once per path, before any stop)
    every stop; a node may appear at most `max_visits` times on one path, which bounds the
    loops that lead back to an offer. Branches are copied through to_json/from_json, so the
    walk also exercises saving and resuming at every step.
    """
    start = Runtime(script, case, lang, clock=clock)
    stack = [start.to_json()]
    while stack:
        saved = stack.pop()
        rt = Runtime.from_json(saved, script, clock=clock)
        if rt.finished:
            yield rt
            continue
        visits = sum(1 for e in rt.trail if e.get("node") == rt.node.id)
        if visits > max_visits:
            continue
        for value in answers_for(rt):
            branch = Runtime.from_json(saved, script, clock=clock)
            branch.answer(value)
            stack.append(branch.to_json())
        if with_stops and rt.stopped is None:
            for kind in ("distress", "asked_to_leave", "not_customer"):
                branch = Runtime.from_json(saved, script, clock=clock)
                branch.stop(kind)
                stack.append(branch.to_json())
