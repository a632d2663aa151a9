"""The server's planning check of a case (the same policy engine the app runs).

Kept in this one module so the server depends on `fieldapp.policy` in one place only. A
case that can never be visited lawfully (a blocking flag, an appointment outside the allowed
window, no notice) is flagged here before it reaches an agent. When the policy engine is not
installed, `assess` returns None and case records carry no compliance block.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from fieldapp.core.errors import FieldappError
from fieldapp.protocol.v1 import CaseRecord, ComplianceRecord

log = logging.getLogger(__name__)


def _engine() -> tuple[Any, Any, Any] | None:
    try:
        from fieldapp.policy import context_from_case, evaluate, load_policy  # type: ignore[attr-defined]
    except ImportError:
        return None
    return load_policy, evaluate, context_from_case


def _summary(decision: dict[str, Any]) -> str:
    failed = [r for r in decision.get("results", []) if isinstance(r, dict) and not r.get("passed", True)]
    blocking = [r for r in failed if r.get("severity") == "block"]
    chosen = blocking or failed
    if not chosen:
        return "all planning checks pass"
    return "; ".join(str(r.get("message") or r.get("rule")) for r in chosen[:3])[:1000]


class Assessor:
    """Evaluates cases under their policies; loaded policies are kept for one batch."""

    def __init__(self) -> None:
        self._engine = _engine()
        self._policies: dict[str, Any] = {}

    @property
    def available(self) -> bool:
        return self._engine is not None

    def assess(self, record: CaseRecord, now: dt.datetime | None = None) -> ComplianceRecord | None:
        if self._engine is None:
            return None
        load_policy, evaluate, context_from_case = self._engine
        try:
            policy = self._policies.get(record.policy_id)
            if policy is None:
                policy = self._policies[record.policy_id] = load_policy(record.policy_id)
            decision = evaluate(context_from_case(record, now=now), policy).to_json()
        except FieldappError as exc:
            return ComplianceRecord(allowed=False, policy_id=record.policy_id, policy_version="",
                                    summary=f"the planning check could not run: {exc}"[:1000],
                                    decision={})
        info = decision.get("policy") or {}
        return ComplianceRecord(allowed=bool(decision.get("allowed")),
                                policy_id=str(info.get("id", record.policy_id)),
                                policy_version=str(info.get("version", "")),
                                summary=_summary(decision), decision=decision)


def assess(record: CaseRecord, now: dt.datetime | None = None) -> ComplianceRecord | None:
    return Assessor().assess(record, now)
