"""Turn a script's YAML into a `Script`, collecting every shape problem as an `Issue`.

Only an unreadable file (missing, not UTF-8, bad YAML, not a mapping of nodes) raises
`BadInput`; everything else is collected, so an author sees all problems at once. The
graph-level checks (reachability, identity before debt, ...) live in `validate.py`.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import hashlib
import re
from decimal import Decimal
from typing import Any

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import LANGUAGES
from fieldapp.core.outcomes import Outcome
from fieldapp.script.model import (CASE_FIELDS, INPUT_KINDS, NODE_TYPES, PLAN_FIELDS, STOP_KINDS,
                                   Bound, Branch, Condition, InputSpec, Issue, Node, Operand,
                                   Option, Script, Text)
from fieldapp.script.yamlload import LineDict, LineList, load_yaml

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_CONDITION = re.compile(r"^\s*(.+?)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

TOP_FIELDS = ("id", "version", "title", "description", "languages", "start",
              "required_disclosures", "example_case", "nodes")
COMMON = ("type", "text", "discusses_debt", "stop")
NODE_FIELDS: dict[str, tuple[str, ...]] = {
    "say": COMMON + ("next", "disclosure"),
    "ask": COMMON + ("options", "identity_check", "notes", "fact"),
    "input": COMMON + ("kind", "min", "max", "min_days", "max_days", "next", "notes", "fact"),
    "check": ("type", "branches", "otherwise"),
    "end": COMMON + ("outcome", "promise", "plan"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "say": ("text", "next"), "ask": ("text", "options"), "input": ("text", "kind", "next"),
    "check": ("branches", "otherwise"), "end": ("outcome",),
}


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[Issue] = []
        self.languages: tuple[str, ...] = LANGUAGES

    def issue(self, code: str, template: str, line: int, node: str | None = None, **params: Any) -> None:
        self.issues.append(Issue(code, template, params, self.source, line, node))

    # ------------------------------------------------------------------ small values
    def text(self, value: Any, line: int, node: str | None, what: str = "text") -> Text:
        if isinstance(value, str) or not isinstance(value, dict):
            self.issue("schema", "{what} needs one entry per language (en: ..., zh_CN: ...)",
                       line, node, what=what)
            return {}
        out: Text = {}
        for lang, words in value.items():
            at = value.line_of(lang) if isinstance(value, LineDict) else line
            if lang not in LANGUAGES:
                self.issue("schema", "unknown language '{lang}' in {what}; use {known}", at, node,
                           lang=lang, what=what, known=", ".join(LANGUAGES))
            elif not isinstance(words, str) or not words.strip():
                self.issue("missing_translation", "{what} in {lang} is empty", at, node,
                           what=what, lang=lang)
            else:
                out[lang] = words.strip()
        for lang in self.languages:
            if lang not in out and lang not in value:
                self.issue("missing_translation", "{what} has no {lang} translation", line, node,
                           what=what, lang=lang)
        return out

    def name(self, value: Any, line: int, node: str | None, what: str) -> str | None:
        if isinstance(value, str) and NAME.match(value):
            return value
        self.issue("schema", "{what} must be a name of letters, digits and _ (got {value!r})",
                   line, node, what=what, value=value)
        return None

    def flag(self, value: Any, line: int, node: str, what: str) -> bool:
        if isinstance(value, bool):
            return value
        self.issue("schema", "{what} must be true or false (got {value!r})", line, node,
                   what=what, value=value)
        return False

    def integer(self, value: Any, line: int, node: str | None, what: str) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.issue("schema", "{what} must be a whole number (got {value!r})", line, node,
                   what=what, value=value)
        return None

    def fields(self, data: LineDict, allowed: tuple[str, ...], node: str | None, what: str) -> None:
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.issue("schema", "unknown field '{field}' in {what}{hint}", data.line_of(key),
                           node, field=key, what=what, hint=hint)

    # ------------------------------------------------------------------ conditions and bounds
    def operand(self, token: str, line: int, node: str) -> Operand | None:
        if token.startswith("case."):
            name = token[5:]
            if name not in CASE_FIELDS:
                self.issue("schema", "unknown case field '{name}' (known: {known})", line, node,
                           name=name, known=", ".join(CASE_FIELDS))
                return None
            return Operand("case", name)
        if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
            return Operand("literal", value=token[1:-1])
        if token in ("true", "false"):
            return Operand("literal", value=token == "true")
        if _NUMBER.match(token):
            return Operand("literal", value=Decimal(token) if "." in token else int(token))
        if _DATE.match(token):
            try:
                return Operand("literal", value=_dt.date.fromisoformat(token))
            except ValueError:
                pass
        if NAME.match(token):
            return Operand("fact", token)
        self.issue("schema", "cannot read '{token}' in a condition (a fact name, case.<field>, "
                   "a number, true/false, a date or a quoted text)", line, node, token=token)
        return None

    def condition(self, value: Any, line: int, node: str) -> Condition | None:
        match = _CONDITION.match(value) if isinstance(value, str) else None
        if not match:
            self.issue("schema", "a condition reads like 'case.days_past_due >= 90' (got {value!r})",
                       line, node, value=value)
            return None
        left = self.operand(match.group(1), line, node)
        right = self.operand(match.group(3), line, node)
        if left is None or right is None:
            return None
        return Condition(left, match.group(2), right, value, line)

    def bound(self, value: Any, line: int, node: str, what: str) -> Bound | None:
        if isinstance(value, bool):
            pass
        elif isinstance(value, (int, Decimal)):
            return Bound(value=Decimal(value))
        elif isinstance(value, str) and value.startswith("case."):
            name = value[5:]
            if CASE_FIELDS.get(name) in ("money", "integer"):
                return Bound(case_field=name)
        self.issue("schema", "{what} must be a number or a numeric case field such as "
                   "case.amount_due (got {value!r})", line, node, what=what, value=value)
        return None

    # ------------------------------------------------------------------ nodes
    def node(self, node_id: str, data: Any, line: int) -> Node | None:
        if not isinstance(data, LineDict):
            self.issue("schema", "a node is a mapping with at least a 'type'", line, node_id)
            return None
        kind = data.get("type")
        if kind not in NODE_TYPES:
            self.issue("schema", "type must be one of {types} (got {value!r})", data.line_of("type"),
                       node_id, types=", ".join(NODE_TYPES), value=kind)
            return None
        node = Node(node_id, kind, line, lines=dict(data.key_lines))
        self.fields(data, NODE_FIELDS[kind], node_id, f"a {kind} node")
        for key in REQUIRED[kind]:
            if key not in data:
                self.issue("schema", "a {type} node needs '{field}'", line, node_id, type=kind, field=key)
        at = data.line_of
        if "text" in data:
            node.text = self.text(data["text"], at("text"), node_id)
        for key in ("next", "otherwise"):
            if key in data:
                setattr(node, key, self.name(data[key], at(key), node_id, key))
        if "discusses_debt" in data:
            node.discusses_debt = self.flag(data["discusses_debt"], at("discusses_debt"), node_id,
                                            "discusses_debt")
        if "disclosure" in data:
            value = data["disclosure"]
            if value is True:
                node.disclosure = node_id
            elif value is not False:
                node.disclosure = self.name(value, at("disclosure"), node_id, "disclosure")
        if "identity_check" in data:
            node.identity_check = self.flag(data["identity_check"], at("identity_check"), node_id,
                                            "identity_check")
        if "notes" in data:
            node.notes = self.flag(data["notes"], at("notes"), node_id, "notes")
        if "stop" in data:
            if data["stop"] in STOP_KINDS:
                node.stop = data["stop"]
            else:
                self.issue("schema", "stop must be one of {kinds} (got {value!r})", at("stop"),
                           node_id, kinds=", ".join(STOP_KINDS), value=data["stop"])
        if kind in ("ask", "input"):
            node.fact = self.name(data["fact"], at("fact"), node_id, "fact") if "fact" in data else node_id
        if kind == "ask" and "options" in data:
            node.options = self.options(data["options"], at("options"), node)
        if kind == "input":
            node.input = self.input_spec(data, node_id)
        if kind == "check" and "branches" in data:
            node.branches = self.branches(data["branches"], at("branches"), node_id)
        if kind == "end":
            self.end(data, node)
        return node

    def options(self, value: Any, line: int, node: Node) -> list[Option]:
        if not isinstance(value, LineList) or not value:
            self.issue("schema", "options must be a list with at least one option", line, node.id)
            return []
        out: list[Option] = []
        for index, item in enumerate(value):
            at = value.line_of(index)
            if not isinstance(item, LineDict):
                self.issue("schema", "an option is a mapping with id, text and next", at, node.id)
                continue
            self.fields(item, ("id", "text", "next", "confirms_identity"), node.id, "an option")
            missing = [k for k in ("id", "text", "next") if k not in item]
            if missing:
                self.issue("schema", "an option needs {fields}", at, node.id, fields=", ".join(missing))
                continue
            option_id = self.name(item["id"], item.line_of("id"), node.id, "option id")
            if option_id and any(o.id == option_id for o in out):
                self.issue("schema", "option id '{option}' is used twice", item.line_of("id"), node.id,
                           option=option_id)
            text = self.text(item["text"], item.line_of("text"), node.id, f"option '{item['id']}'")
            target = self.name(item["next"], item.line_of("next"), node.id, "next")
            confirms = False
            if "confirms_identity" in item:
                confirms = self.flag(item["confirms_identity"], item.line_of("confirms_identity"),
                                     node.id, "confirms_identity")
            if option_id and target:
                out.append(Option(option_id, text, target, item.line_of("next"), confirms))
        return out

    def input_spec(self, data: LineDict, node_id: str) -> InputSpec:
        kind = data.get("kind")
        if not isinstance(kind, str):  # a list or mapping written by mistake is not a kind
            kind = repr(kind) if "kind" in data else None
        spec = InputSpec(kind=kind if kind in INPUT_KINDS else "", line=data.line_of("kind"))
        if "kind" in data and kind not in INPUT_KINDS:
            self.issue("schema", "kind must be one of {kinds} (got {value!r})", data.line_of("kind"),
                       node_id, kinds=", ".join(INPUT_KINDS), value=kind)
        allowed = {"money": ("min", "max"), "integer": ("min", "max"),
                   "date": ("min_days", "max_days")}.get(kind, ())
        for key in ("min", "max", "min_days", "max_days"):
            if key not in data:
                continue
            if key not in allowed:
                self.issue("schema", "'{field}' does not apply to a {kind} input", data.line_of(key),
                           node_id, field=key, kind=kind)
            elif key in ("min", "max"):
                setattr(spec, key, self.bound(data[key], data.line_of(key), node_id, key))
            else:
                setattr(spec, key, self.integer(data[key], data.line_of(key), node_id, key))
        lo, hi = spec.min, spec.max
        if lo and lo.value is not None and lo.value < 0:
            self.issue("schema", "min must not be negative", data.line_of("min"), node_id)
        if lo and hi and lo.value is not None and hi.value is not None and lo.value > hi.value:
            self.issue("schema", "min ({min}) is above max ({max})", data.line_of("min"), node_id,
                       min=lo.value, max=hi.value)
        if kind == "integer":
            for key, bound in (("min", lo), ("max", hi)):
                if bound and bound.value is not None and bound.value != bound.value.to_integral_value():
                    self.issue("schema", "{field} of an integer input must be whole", data.line_of(key),
                               node_id, field=key)
        if spec.min_days is not None and spec.max_days is not None and spec.min_days > spec.max_days:
            self.issue("schema", "min_days ({min}) is above max_days ({max})", data.line_of("min_days"),
                       node_id, min=spec.min_days, max=spec.max_days)
        return spec

    def branches(self, value: Any, line: int, node_id: str) -> list[Branch]:
        if not isinstance(value, LineList) or not value:
            self.issue("schema", "branches must be a list of 'when' and 'next'", line, node_id)
            return []
        out: list[Branch] = []
        for index, item in enumerate(value):
            at = value.line_of(index)
            if not isinstance(item, LineDict) or "when" not in item or "next" not in item:
                self.issue("schema", "each branch needs 'when' and 'next'", at, node_id)
                continue
            self.fields(item, ("when", "next"), node_id, "a branch")
            when = item["when"]
            texts = list(when) if isinstance(when, LineList) else [when]
            conditions = [self.condition(t, item.line_of("when"), node_id) for t in texts]
            target = self.name(item["next"], item.line_of("next"), node_id, "next")
            if target and conditions and all(conditions):
                out.append(Branch([c for c in conditions if c], target, item.line_of("next")))
        return out

    def end(self, data: LineDict, node: Node) -> None:
        if "outcome" in data:
            try:
                node.outcome = Outcome(data["outcome"])
            except ValueError:
                self.issue("unknown_outcome", "unknown outcome code {value!r}; the codes are: {codes}",
                           data.line_of("outcome"), node.id, value=data["outcome"],
                           codes=", ".join(o.value for o in Outcome))
        if "promise" in data:
            node.promise = self.mapping_of_facts(data["promise"], data.line_of("promise"), node.id,
                                                 ("amount", "due_date"), "promise")
        if "plan" in data:
            value, line = data["plan"], data.line_of("plan")
            kind = value.get("kind") if isinstance(value, LineDict) else None
            if kind not in PLAN_FIELDS:
                self.issue("schema", "plan needs a kind: {kinds}", line, node.id,
                           kinds=", ".join(PLAN_FIELDS))
                return
            facts = {k: v for k, v in value.items() if k != "kind"}
            sub = LineDict(facts)
            sub.line, sub.key_lines = value.line, value.key_lines
            node.plan = {"kind": kind, **self.mapping_of_facts(sub, line, node.id,
                                                               tuple(PLAN_FIELDS[kind]), f"a {kind} plan")}

    def mapping_of_facts(self, value: Any, line: int, node_id: str, keys: tuple[str, ...],
                         what: str) -> dict[str, str]:
        if not isinstance(value, LineDict):
            self.issue("schema", "{what} maps {keys} to fact names", line, node_id, what=what,
                       keys=", ".join(keys))
            return {}
        self.fields(value, keys, node_id, what)
        out = {}
        for key in keys:
            if key not in value:
                self.issue("schema", "{what} needs '{field}'", line, node_id, what=what, field=key)
            else:
                fact = self.name(value[key], value.line_of(key), node_id, key)
                if fact:
                    out[key] = fact
        return out


def parse_script(text: str, *, source: str) -> Script:
    """Build a Script from YAML text; shape problems end up in `script.load_issues`."""
    data = load_yaml(text, source=source)
    if not isinstance(data, LineDict):
        raise BadInput("a script is a YAML mapping with id, title, start and nodes", where=f"{source}:1")
    if not isinstance(data.get("nodes"), LineDict) or not data["nodes"]:
        line = data.line_of("nodes") if "nodes" in data else data.line
        raise BadInput("a script needs 'nodes': a mapping of node ids to nodes", where=f"{source}:{line}")
    p = _Parser(source)
    p.fields(data, TOP_FIELDS, None, "the script")
    at = data.line_of
    if "languages" in data:
        langs = data["languages"]
        if (isinstance(langs, LineList) and langs and all(lang in LANGUAGES for lang in langs)):
            p.languages = tuple(langs)
        else:
            p.issue("schema", "languages must be a list drawn from {known}", at("languages"),
                    known=", ".join(LANGUAGES))
    for key in ("id", "title", "start"):
        if key not in data:
            p.issue("schema", "the script needs '{field}'", data.line, field=key)
    script_id = p.name(data.get("id"), at("id"), None, "id") if "id" in data else None
    version = p.integer(data.get("version", 1), at("version"), None, "version") or 1
    title = p.text(data["title"], at("title"), None, "title") if "title" in data else {}
    start = p.name(data.get("start"), at("start"), None, "start") if "start" in data else None
    required = None
    if "required_disclosures" in data:
        value = data["required_disclosures"]
        if isinstance(value, LineList) and all(isinstance(v, str) and NAME.match(v) for v in value):
            required = tuple(value)
        else:
            p.issue("schema", "required_disclosures is a list of disclosure names",
                    at("required_disclosures"))
    example = data.get("example_case")
    if example is not None and not isinstance(example, LineDict):
        p.issue("schema", "example_case is a mapping of case fields", at("example_case"))
        example = None
    nodes: dict[str, Node] = {}
    for node_id, body in data["nodes"].items():
        line = data["nodes"].line_of(node_id)
        if p.name(node_id, line, None, "a node id") is None:
            continue
        node = p.node(node_id, body, line)
        if node is not None:
            nodes[node_id] = node
    return Script(
        id=script_id or "", version=version, title=title, languages=p.languages,
        start=start or "", nodes=nodes, source=source, text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        required_disclosures=required, example_case=dict(example) if example else None,
        lines=dict(data.key_lines), load_issues=p.issues,
    )
