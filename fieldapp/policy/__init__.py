"""The compliance engine: policy presets (data, TOML) and a pure evaluator -> Decision.

    policy = load_policy("cn")                      # or load_policy("/path/to/bank.toml")
    context = Context.from_json(data, where="CONTEXT.json")
    decision = evaluate(context, policy, lang="zh_CN")
    evidence = decision.to_json()                   # stored with the visit

The server builds contexts from wire records with `context_from_case`. Presets and the
file format: resources/policies/ (README.md there). Semantics: POLICIES.md.
"""

from fieldapp.policy.context import AgentLocation, Context, Notification, PastVisit, Practice, context_from_case
from fieldapp.policy.decision import CATEGORIES, Decision, Result
from fieldapp.policy.evaluate import evaluate
from fieldapp.policy.loader import list_presets, load_policy, parse_policy
from fieldapp.policy.model import COMMON_BLOCKING, Policy

__all__ = ["AgentLocation", "CATEGORIES", "COMMON_BLOCKING", "Context", "Decision", "Notification",
           "PastVisit", "Policy", "Practice", "Result", "context_from_case", "evaluate", "list_presets",
           "load_policy", "parse_policy"]
