"""The in-memory form of a conversation script, and the Issue the validator reports.

A script is plain data: named nodes joined by `next` references. Every part keeps the
line it was written on, so the validator can point the author at the exact spot.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fieldapp.core.i18n import Translator
from fieldapp.core.outcomes import Outcome

NODE_TYPES = ("say", "ask", "input", "check", "end")
INPUT_KINDS = ("money", "date", "yes_no", "integer")

STOP_KINDS = ("distress", "asked_to_leave", "not_customer")
"""Stops the agent can take at any node; each jumps to the script's node marked `stop: <kind>`."""

STOP_LABELS = {
    "distress": "The customer is distressed",
    "asked_to_leave": "I was asked to leave",
    "not_customer": "This is not the customer",
}

STOP_OUTCOMES: dict[str, frozenset[Outcome]] = {
    "distress": frozenset({Outcome.VISIT_ABORTED_DISTRESS, Outcome.HARDSHIP_REFERRED}),
    "asked_to_leave": frozenset({Outcome.ASKED_TO_LEAVE}),
    "not_customer": frozenset({Outcome.THIRD_PARTY_ONLY, Outcome.WRONG_ADDRESS}),
}
"""The outcomes a stop path may end with: a stop never ends in, say, a promise to pay."""

# Case data a script may use (in `check` conditions, input bounds and {placeholders}),
# with its type. The debt fields may only be spoken at nodes marked `discusses_debt`.
CASE_FIELDS: dict[str, str] = {
    "amount_due": "money",
    "currency": "text",
    "days_past_due": "integer",
    "tier": "text",
    "product": "text",
    "reference": "text",
    "customer_name": "text",
    "agent_name": "text",
    "institution": "text",
}
DEBT_FIELDS = frozenset({"amount_due", "currency", "days_past_due", "tier", "product", "reference"})

FACT_TYPES = {"money": "money", "date": "date", "yes_no": "bool", "integer": "integer"}
"""Type of the fact an input node collects; an ask node's fact is the chosen option id (text)."""

PLAN_FIELDS: dict[str, dict[str, str]] = {
    "instalments": {"count": "integer", "first_due": "date"},
    "deferral": {"until": "date"},
    "settlement": {"amount": "money", "due": "date"},
}
"""Plan requests an `end` node can record, and the facts (with their types) each needs."""

Text = dict[str, str]  # language -> text


@dataclass
class Issue:
    """One problem in a script: where it is, what it is, in words a script author can act on.

    `template` is the English message with {named} values; `render(tr)` gives it in the
    reader's language. `path`, when set, is an example path through the script that shows
    the problem (node ids from the start or a stop node).
    """

    code: str
    template: str
    params: dict[str, Any] = field(default_factory=dict)
    source: str = "<script>"
    line: int = 0
    node: str | None = None
    path: tuple[str, ...] = ()
    tr_params: tuple[str, ...] = ()  # params that are words to translate too (not names from the file)

    @property
    def message(self) -> str:
        return self.template.format(**self.params)

    def _text(self, tr: Translator | None) -> str:
        if tr is None:
            return self.message
        params = {k: (tr(v) if k in self.tr_params else v) for k, v in self.params.items()}
        return tr(self.template, **params)

    def render(self, tr: Translator | None = None) -> str:
        text = self._text(tr)
        where = f"{self.source}:{self.line}"
        if self.node:
            label = tr("node '{node}'", node=self.node) if tr else f"node '{self.node}'"
            return f"{where}: {label}: {text}"
        return f"{where}: {text}"

    def __str__(self) -> str:
        return self.render()

    def to_dict(self, tr: Translator | None = None) -> dict[str, Any]:
        return {"code": self.code, "file": self.source, "line": self.line, "node": self.node,
                "message": self._text(tr),
                "path": list(self.path)}


@dataclass(frozen=True)
class Operand:
    """One side of a condition: `case.<field>`, a fact name, or a literal value."""

    kind: str  # "case" | "fact" | "literal"
    name: str = ""
    value: Any = None

    def describe(self) -> str:
        if self.kind == "case":
            return f"case.{self.name}"
        if self.kind == "fact":
            return self.name
        return repr(self.value)


@dataclass(frozen=True)
class Condition:
    left: Operand
    op: str
    right: Operand
    source: str
    line: int


@dataclass
class Branch:
    conditions: list[Condition]
    next: str
    line: int


@dataclass
class Bound:
    """An input bound: a literal number, or a case field such as `case.amount_due`."""

    value: Decimal | None = None
    case_field: str | None = None


@dataclass
class InputSpec:
    kind: str
    min: Bound | None = None
    max: Bound | None = None
    min_days: int | None = None
    max_days: int | None = None
    line: int = 0


@dataclass
class Option:
    id: str
    text: Text
    next: str
    line: int
    confirms_identity: bool = False


@dataclass
class Node:
    id: str
    type: str
    line: int
    lines: dict[str, int] = field(default_factory=dict)  # field name -> line
    text: Text | None = None
    next: str | None = None
    options: list[Option] = field(default_factory=list)
    input: InputSpec | None = None
    branches: list[Branch] = field(default_factory=list)
    otherwise: str | None = None
    outcome: Outcome | None = None
    discusses_debt: bool = False
    disclosure: str | None = None  # the disclosure's name when this node is a required disclosure
    identity_check: bool = False
    stop: str | None = None
    notes: bool = False
    fact: str | None = None  # the fact name an ask or input node collects
    promise: dict[str, str] = field(default_factory=dict)  # {"amount": fact, "due_date": fact}
    plan: dict[str, str] = field(default_factory=dict)  # {"kind": ..., <field>: fact}

    def line_of(self, name: str) -> int:
        return self.lines.get(name, self.line)

    def edges(self) -> list[tuple[str, bool, int]]:
        """(target, confirms_identity, line) for each way out of this node."""
        if self.type in ("say", "input"):
            return [(self.next, False, self.line_of("next"))] if self.next else []
        if self.type == "ask":
            return [(o.next, o.confirms_identity, o.line) for o in self.options if o.next]
        if self.type == "check":
            out = [(b.next, False, b.line) for b in self.branches if b.next]
            if self.otherwise:
                out.append((self.otherwise, False, self.line_of("otherwise")))
            return out
        return []

    def targets(self) -> list[str]:
        return [t for t, _, _ in self.edges()]

    @property
    def answerable(self) -> bool:
        """Nodes the agent answers (check nodes run by themselves; end nodes finish)."""
        return self.type in ("say", "ask", "input")


@dataclass
class Script:
    id: str
    version: int
    title: Text
    languages: tuple[str, ...]
    start: str
    nodes: dict[str, Node]
    source: str
    text: str
    sha256: str
    required_disclosures: tuple[str, ...] | None = None
    example_case: dict[str, Any] | None = None
    lines: dict[str, int] = field(default_factory=dict)
    load_issues: list[Issue] = field(default_factory=list)
    _validated: list[Issue] | None = field(default=None, repr=False, compare=False)

    def stop_nodes(self) -> dict[str, str]:
        """stop kind -> id of the node the stop jumps to."""
        return {n.stop: n.id for n in self.nodes.values() if n.stop}

    def disclosures(self) -> tuple[str, ...]:
        """The names of the disclosures that must be said before the debt is discussed."""
        if self.required_disclosures is not None:
            return self.required_disclosures
        names: list[str] = []
        for node in self.nodes.values():
            if node.disclosure and node.disclosure not in names:
                names.append(node.disclosure)
        return tuple(names)

    def fact_kinds(self) -> dict[str, str]:
        """fact name -> type ('text' for ask answers, else FACT_TYPES of the input kind)."""
        kinds: dict[str, str] = {}
        for node in self.nodes.values():
            if node.fact and node.type == "ask":
                kinds.setdefault(node.fact, "text")
            elif node.fact and node.type == "input" and node.input:
                kinds.setdefault(node.fact, FACT_TYPES.get(node.input.kind, "text"))
        return kinds

    def roots(self) -> list[str]:
        """Where a conversation can begin: the start node and every stop node."""
        out = [self.start] if self.start in self.nodes else []
        out += [n for n in self.stop_nodes().values() if n not in out]
        return out


def literal_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, Decimal)):
        return "number"
    if isinstance(value, _dt.date):
        return "date"
    return "text"
