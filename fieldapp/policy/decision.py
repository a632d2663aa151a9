"""The outcome of an evaluation: one result per rule, stored with the visit as evidence.

JSON shape (keys always in this order; `to_json` / `from_json` round-trip exactly)::

    {"allowed": bool, "check": "planning" | "checkin",
     "policy": {"id": str, "version": str}, "evaluated_at": ISO 8601 | null,
     "language": "en" | "zh_CN", "summary": str,
     "results": [{"rule", "category", "passed", "severity", "message", "code", "facts"}]}

`code` and `facts` let a stored decision be shown again in another language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fieldapp.core.errors import BadInput
from fieldapp.core.records import record, replace
from fieldapp.core.timeutil import iso, parse_aware
from fieldapp.policy._fields import Fields
from fieldapp.policy.messages import TEMPLATES, label, language, render

CATEGORIES = ("flag", "notice", "window", "holiday", "frequency", "appointment", "geofence", "training")
CHECKS = ("planning", "checkin")


class Result:
    """One rule's verdict. `severity` is what a failure means: "block" stops the visit,
    "warn" goes to the lead. The sentence is rendered from `code` and `facts` in `lang`
    when first asked for (an evaluation that is only counted never pays for it), and a
    decision read back from storage keeps the sentence exactly as it was stored.
    """

    __slots__ = ("rule", "category", "passed", "severity", "code", "facts", "lang", "_message")

    def __init__(self, rule: str, category: str, passed: bool, severity: str, code: str,
                 facts: dict[str, Any], lang: str = "en", message: str | None = None):
        self.rule, self.category, self.passed, self.severity = rule, category, passed, severity
        self.code, self.facts, self.lang, self._message = code, facts, lang, message

    @property
    def message(self) -> str:
        if self._message is None:
            self._message = render(self.code, self.facts, self.lang)
        return self._message

    @property
    def blocks(self) -> bool:
        return not self.passed and self.severity == "block"

    @property
    def warns(self) -> bool:
        return not self.passed and self.severity == "warn"

    def in_language(self, lang: str) -> "Result":
        return Result(self.rule, self.category, self.passed, self.severity, self.code, self.facts, lang)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "category": self.category, "passed": self.passed,
                "severity": self.severity, "message": self.message, "code": self.code,
                "facts": self.facts}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        verdict = "pass" if self.passed else self.severity
        return f"Result({self.rule!r}, {verdict}, {self.code!r}, {self.facts!r})"


@record
class Decision:
    allowed: bool
    check: str
    policy_id: str
    policy_version: str
    results: tuple[Result, ...]
    language: str = "en"
    evaluated_at: dt.datetime | None = None

    @property
    def blocking(self) -> list[Result]:
        return [r for r in self.results if r.blocks]

    @property
    def warnings(self) -> list[Result]:
        return [r for r in self.results if r.warns]

    def summary(self, lang: str | None = None) -> str:
        lang = language(lang or self.language)
        facts: dict[str, Any] = {"policy": self.policy_id, "version": self.policy_version}
        if not self.allowed:
            return render("summary.blocked", {**facts, "rules": [r.rule for r in self.blocking]}, lang)
        if self.warnings:
            return render("summary.allowed_warn", {**facts, "rules": [r.rule for r in self.warnings]}, lang)
        return render("summary.allowed", facts, lang)

    def localized(self, lang: str) -> "Decision":
        """The same decision with every sentence rendered in `lang`."""
        lang = language(lang)
        results = tuple(r.in_language(lang) for r in self.results)
        return replace(self, results=results, language=lang)

    def to_json(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "check": self.check,
            "policy": {"id": self.policy_id, "version": self.policy_version},
            "evaluated_at": None if self.evaluated_at is None else iso(self.evaluated_at),
            "language": self.language,
            "summary": self.summary(),
            "results": [r.to_json() for r in self.results],
        }

    @classmethod
    def from_json(cls, data: Any, *, where: str | None = "decision") -> "Decision":
        """Read a stored decision back; `allowed` must agree with its results."""
        top = Fields(data, where=where)
        allowed = top.take("allowed", bool, required=True)
        check = top.choice("check", CHECKS, required=True)
        pol = top.table("policy", required=True)
        assert pol is not None
        pid, version = pol.take("id", str, required=True), pol.take("version", str, required=True)
        pol.done()
        when = top.take("evaluated_at", str, nullable=True)
        evaluated_at = None if when is None else parse_aware(when, field="evaluated_at", where=where)
        lang = language(top.take("language", str, default="en"))
        top.take("summary", str)
        results = []
        for i, item in enumerate(top.take("results", list, required=True)):
            r = Fields(item, where=where, path=f"results[{i}]")
            code = r.take("code", str, required=True)
            if code not in TEMPLATES:
                raise r.fail("code", f"unknown message code {code!r}")
            results.append(Result(
                rule=r.take("rule", str, required=True),
                category=r.choice("category", CATEGORIES, required=True),
                passed=r.take("passed", bool, required=True),
                severity=r.choice("severity", ("block", "warn"), required=True),
                code=code, facts=r.take("facts", dict, required=True), lang=lang,
                message=r.take("message", str, required=True)))
            r.done()
        top.done()
        decision = cls(allowed, check, pid, version, tuple(results), lang, evaluated_at)
        if allowed != (not decision.blocking):
            raise BadInput("`allowed` disagrees with the results", where=where, field="allowed")
        return decision

    def explain(self, lang: str | None = None) -> str:
        """A readable rule-by-rule text (the `--explain` output)."""
        lang = language(lang or self.language)
        d = self if lang == self.language else self.localized(lang)
        verdict = label("explain.allowed" if d.allowed else "explain.blocked", lang)
        lines = [f"{d.policy_id} {d.policy_version} · {label(f'explain.{d.check}', lang)}: {verdict}",
                 d.summary(lang)]
        width = max((len(r.rule) for r in d.results), default=0)
        for r in d.results:
            mark = "pass" if r.passed else ("fail" if r.severity == "block" else "warn")
            lines.append(f"  [{label(f'explain.{mark}', lang)}] {r.rule:<{width}}  {r.message}")
        return "\n".join(lines)


__all__ = ["CATEGORIES", "Decision", "Result"]
