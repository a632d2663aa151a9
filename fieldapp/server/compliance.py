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
    """Evaluates cases under their policies; loaded policies are kept for one batch (one
    request), so a policy file edited meanwhile is seen by the next batch."""

    def __init__(self) -> None:
        self._engine = _engine()
        self._policies: dict[str, Any] = {}

    @property
    def available(self) -> bool:
        return self._engine is not None

    def _policy(self, policy_id: str) -> Any:
        """The loaded policy; a policy that failed to load fails again without a new try."""
        policy = self._policies.get(policy_id)
        if policy is None:
            try:
                policy = self._engine[0](policy_id)  # type: ignore[index]
            except FieldappError as exc:
                policy = exc
            self._policies[policy_id] = policy
        if isinstance(policy, FieldappError):
            raise policy
        return policy

    def policy_problem(self, policy_id: str) -> str | None:
        """None when `policy_id` loads (a preset id or a policy file), else why not."""
        if self._engine is None:
            return None
        try:
            self._policy(policy_id)
        except FieldappError as exc:
            return getattr(exc, "reason", None) or str(exc)
        return None

    def policy_key(self, policy_id: str) -> str:
        """What a planning check under `policy_id` depends on besides the case: the policy's
        id and version ("-" without the engine, "!" when the policy cannot be loaded).

        The planning check has no `now`: for one case and one key its result never changes,
        so a stored result stays valid until the case changes or this key does."""
        if self._engine is None:
            return "-"
        try:
            policy = self._policy(policy_id)
        except FieldappError:
            return f"{policy_id}!"
        return f"{policy.id}@{policy.version}"

    def history_days(self, policy_id: str) -> int:
        """How many days of visits before an appointment the planning check under
        `policy_id` counts (0: it counts none), with a day to spare on either side of
        the policy's own window (see the frequency rule in fieldapp.policy.evaluate)."""
        if self._engine is None:
            return 0
        try:
            frequency = self._policy(policy_id).frequency
        except FieldappError:
            return 0  # the check cannot run: it counts nothing
        return 0 if frequency.max_visits is None else int(frequency.per_days) + 2

    def assess(self, record: CaseRecord, now: dt.datetime | None = None) -> ComplianceRecord | None:
        if self._engine is None:
            return None
        _load, evaluate, context_from_case = self._engine
        try:
            policy = self._policy(record.policy_id)
            decision = evaluate(context_from_case(record, now=now), policy).to_json()
        except FieldappError as exc:
            return ComplianceRecord(allowed=False, policy_id=record.policy_id, policy_version="",
                                    summary=f"the planning check could not run: {exc}"[:1000],
                                    decision={})
        info = decision.get("policy") or {}
        return ComplianceRecord(allowed=bool(decision.get("allowed")),
                                policy_id=str(info.get("id", record.policy_id)),
                                policy_version=str(info.get("version", "")),
                                summary=_summary(decision), decision=_compact(decision))


def _compact(decision: dict[str, Any]) -> dict[str, Any]:
    """What the laptop needs of the server's planning check: the verdict and the rules that
    did not pass. The passed rules are left out: they made up most of every pulled case, and
    the app re-evaluates the full decision itself with the same engine when it shows a case."""
    compact = {key: decision[key] for key in ("allowed", "check", "policy", "summary") if key in decision}
    compact["results"] = [r for r in decision.get("results", []) if isinstance(r, dict) and not r.get("passed", True)]
    return compact


def assess(record: CaseRecord, now: dt.datetime | None = None) -> ComplianceRecord | None:
    return Assessor().assess(record, now)
