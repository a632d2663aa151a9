"""Practice mode: an agent rehearses a script against a simulated customer.

The conversation is the same runtime as in a visit, on the script's own `example_case` (a
made-up customer written by the script's authors), never a real case: nothing an agent does
in practice reaches a customer record. Only the completion is recorded (which script, which
version, when, how it ended), so a policy can require that the agent has practised the
current version of the case's script before a visit (`[training] require_practice`).

    rt = start_practice(load_script("home_visit_cn"), "zh_CN")
    ... rt.answer(...) until rt.finished ...
    record = completion(rt, practice_id=str(uuid4()))   # protocol PracticeRecord fields
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable

from fieldapp.core.errors import BadInput
from fieldapp.core.timeutil import iso, utcnow
from fieldapp.script.case import CaseFacts
from fieldapp.script.model import Script
from fieldapp.script.runtime import Runtime

# A simulated customer for a script without example_case (the fields every script may use).
SIMULATED_CASE: dict[str, Any] = {
    "customer_name": "Sam Example", "agent_name": "Practice Agent", "institution": "Example Bank",
    "reference": "PRACTICE-0001", "amount_due": "1200.00", "currency": "CNY", "days_past_due": 45,
    "tier": "B", "product": "credit card", "timezone": "Asia/Shanghai",
}


def simulated_case(script: Script, agent_name: str | None = None) -> CaseFacts:
    """The script's example customer (its own sample data), with the agent's name when given."""
    data = dict(script.example_case) if script.example_case is not None else dict(SIMULATED_CASE)
    if agent_name:
        data["agent_name"] = agent_name
    return CaseFacts.parse(data, where=f"{script.source}: example_case")


def start_practice(script: Script, lang: str = "en", *, agent_name: str | None = None,
                   clock: Callable[[], _dt.datetime] = utcnow) -> Runtime:
    """A runtime on `script` with a simulated customer (BadInput if the script is not valid)."""
    return Runtime(script, simulated_case(script, agent_name), lang, clock=clock)


def completion(rt: Runtime, *, practice_id: str, clock: Callable[[], _dt.datetime] = utcnow) -> dict[str, Any]:
    """The record of a finished practice (the wire's PracticeRecord, as JSON-ready values).

    It says which script and version were practised and how the conversation ended; it
    carries no notes and no answers: practice is for the agent, not evidence about anyone.
    """
    if not rt.finished:
        raise BadInput("the practice is not finished yet", field="practice")
    steps = sum(1 for e in rt.transcript if e["event"] in ("said", "answer"))
    return {"practice_id": practice_id, "script_id": rt.script.id, "script_version": rt.script.version,
            "script_sha256": rt.script.sha256, "lang": rt.lang, "started_at": rt.started_at,
            "completed_at": iso(clock()), "outcome": rt.outcome.value if rt.outcome else None,
            "steps": steps, "stopped": rt.stopped}
