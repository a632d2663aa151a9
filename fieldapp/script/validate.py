"""Prove a script safe before it is used: graph analysis over EVERY path, not sampling.

The conversation can begin at the start node or, at any moment, jump to a stop node
(distress, asked to leave, not the customer); all of them are roots. Every text is also
held to the conduct rules (`fieldapp.conduct`), and a text that can be said before the
identity is confirmed may not name the debt or an amount, whatever its flags say. For each property
the question "is there a path from a root that reaches node N without X?" is answered
exactly by a breadth-first search that may not pass through X (an identity-confirming
answer, a disclosure, the node collecting a fact). When such a path exists the issue
quotes it, so the author sees how the problem happens.
"""

from __future__ import annotations

import difflib
import string
from collections import deque
from typing import Callable, Iterable

from fieldapp.core.errors import BadInput
from fieldapp.core.outcomes import Outcome
from fieldapp.script.case import CaseFacts
from fieldapp.script.model import (CASE_FIELDS, DEBT_FIELDS, PLAN_FIELDS, STOP_KINDS, STOP_OUTCOMES,
                                   Condition, Issue, Node, Operand, Script, literal_type)

_NUMERIC = {"money", "integer", "number"}
_ORDERED = _NUMERIC | {"date"}
_TYPE_WORDS = {"money": "an amount", "integer": "a whole number", "number": "a number", "bool": "a yes/no value",
               "text": "a text", "date": "a date"}


class _Checker:
    def __init__(self, script: Script) -> None:
        self.s = script
        self.issues: list[Issue] = list(script.load_issues)
        self.nodes = script.nodes
        self.roots = script.roots()
        self.fact_kinds = script.fact_kinds()

    def issue(self, code: str, template: str, line: int, node: str | None = None,
              path: Iterable[str] = (), tr_params: tuple[str, ...] = (), **params: object) -> None:
        self.issues.append(Issue(code, template, params, self.s.source, line, node, tuple(path), tr_params))

    # ------------------------------------------------------------------ graph helpers
    def successors(self, node_id: str) -> list[tuple[str, bool]]:
        node = self.nodes.get(node_id)
        if node is None:
            return []
        return [(t, c) for t, c, _ in node.edges() if t in self.nodes]

    def witness(self, target: str, *, stop_at: Callable[[Node], bool] = lambda n: False,
                skip_confirming: bool = False) -> list[str] | None:
        """A shortest path from a root to `target` that never passes THROUGH a node for which
        `stop_at` holds (such a node may be the target itself) and, when `skip_confirming`,
        never takes an identity-confirming answer. None when no such path exists."""
        parent: dict[str, str | None] = {}
        queue: deque[str] = deque()
        for root in self.roots:
            if root not in parent:
                parent[root] = None
                queue.append(root)
        while queue:
            current = queue.popleft()
            if current == target:
                path = [current]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])  # type: ignore[arg-type]
                return path[::-1]
            if stop_at(self.nodes[current]):
                continue
            for nxt, confirms in self.successors(current):
                if skip_confirming and confirms:
                    continue
                if nxt not in parent:
                    parent[nxt] = current
                    queue.append(nxt)
        return None

    def reachable(self, roots: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        queue = deque(r for r in roots if r in self.nodes)
        seen.update(queue)
        while queue:
            for nxt, _ in self.successors(queue.popleft()):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen

    # ------------------------------------------------------------------ structure
    def references(self) -> bool:
        ok = True
        known = list(self.nodes)
        if self.s.start and self.s.start not in self.nodes:
            ok = False
            self.issue("unknown_ref", "start points to '{target}', which is not a node{hint}",
                       self.s.lines.get("start", 1), target=self.s.start, hint=_hint(self.s.start, known))
        for node in self.nodes.values():
            for target, _, line in node.edges():
                if target not in self.nodes:
                    ok = False
                    self.issue("unknown_ref", "next points to '{target}', which is not a node{hint}",
                               line, node.id, target=target, hint=_hint(target, known))
        return ok

    def stops(self) -> None:
        found: dict[str, list[Node]] = {}
        for node in self.nodes.values():
            if node.stop:
                found.setdefault(node.stop, []).append(node)
        for kind in STOP_KINDS:
            if kind not in found:
                self.issue("stop_missing", "no node is marked 'stop: {kind}'; a stop for each of {kinds} "
                           "must be available at every node", self.s.lines.get("nodes", 1),
                           kind=kind, kinds=", ".join(STOP_KINDS))
            for extra in found.get(kind, [])[1:]:
                self.issue("stop_twice", "'stop: {kind}' is already on node '{first}'", extra.line_of("stop"),
                           extra.id, kind=kind, first=found[kind][0].id)
        for kind, entries in found.items():
            allowed = STOP_OUTCOMES[kind]
            wrong = [self.nodes[n] for n in sorted(self.reachable([entries[0].id]), key=lambda n: self.nodes[n].line)
                     if self.nodes[n].type == "end" and self.nodes[n].outcome
                     and self.nodes[n].outcome not in allowed]
            if wrong:
                self.issue("stop_outcome", "the '{kind}' stop may only end with {allowed}, but it can reach "
                           "{ends}", entries[0].line_of("stop"), entries[0].id, kind=kind,
                           allowed=", ".join(sorted(o.value for o in allowed)),
                           ends=", ".join(f"{e.id} ({e.outcome.value})" for e in wrong))

    def identity_nodes(self) -> None:
        for node in self.nodes.values():
            confirming = [o for o in node.options if o.confirms_identity]
            if node.identity_check and node.type != "ask":
                self.issue("schema", "identity_check belongs on an ask node", node.line_of("identity_check"),
                           node.id)
            elif node.identity_check and not confirming:
                self.issue("identity", "an identity check needs an option with confirms_identity: true",
                           node.line, node.id)
            elif confirming and not node.identity_check:
                self.issue("identity", "confirms_identity is only allowed in a node with identity_check: true",
                           confirming[0].line, node.id)

    def reachability(self) -> set[str]:
        seen = self.reachable(self.roots)
        for node in self.nodes.values():
            if node.id not in seen:
                self.issue("unreachable", "no path from the start or a stop leads to this node",
                           node.line, node.id)
        return seen

    def outcomes(self, reachable: set[str]) -> None:
        ends = [n.id for n in self.nodes.values() if n.type == "end"]
        reverse: dict[str, list[str]] = {}
        for node in self.nodes.values():
            for nxt, _ in self.successors(node.id):
                reverse.setdefault(nxt, []).append(node.id)
        good, queue = set(ends), deque(ends)
        while queue:
            for prev in reverse.get(queue.popleft(), []):
                if prev not in good:
                    good.add(prev)
                    queue.append(prev)
        self.check_cycles()
        bad = [n for n in self.nodes if n in reachable and n not in good]
        in_loop: set[str] = set()
        for component in _components(bad, lambda n: [t for t, _ in self.successors(n) if t in bad]):
            first = component[0]
            looping = len(component) > 1 or any(t == first for t, _ in self.successors(first))
            if looping:
                in_loop.update(component)
                ordered = sorted(component, key=lambda n: self.nodes[n].line)
                self.issue("loop_no_exit", "these nodes loop with no way out to an end: {loop}",
                           self.nodes[ordered[0]].line, ordered[0], path=ordered,
                           loop=" → ".join(ordered + [ordered[0]]))
        for node_id in bad:
            if node_id not in in_loop:
                self.issue("no_outcome", "every path from this node runs into a loop with no way out to an end",
                           self.nodes[node_id].line, node_id)

    def check_cycles(self) -> None:
        """Check nodes run by themselves and change nothing: a loop of them never stops."""
        checks = [n.id for n in self.nodes.values() if n.type == "check"]
        succ = lambda n: [t for t, _ in self.successors(n) if t in checks]  # noqa: E731
        for component in _components(checks, succ):
            if len(component) > 1 or component[0] in succ(component[0]):
                ordered = sorted(component, key=lambda n: self.nodes[n].line)
                self.issue("check_loop", "these check nodes lead into each other and could run forever "
                           "with nothing asked in between: {loop}", self.nodes[ordered[0]].line, ordered[0],
                           path=ordered, loop=" → ".join(ordered + [ordered[0]]))

    # ------------------------------------------------------------------ the debt gate
    def debt_gate(self) -> None:
        required = self.s.disclosures()
        said = {n.disclosure for n in self.nodes.values() if n.disclosure}
        for name in required:
            if name not in said:
                self.issue("disclosure_missing", "required disclosure '{name}' is said by no node",
                           self.s.lines.get("required_disclosures", 1), name=name)
        for node in self.nodes.values():
            if not node.discusses_debt:
                continue
            # Paths stop at other debt nodes: only the first debt node on a bad path is
            # reported, not every node after it (fixing the first fixes the rest).
            path = self.witness(node.id, skip_confirming=True, stop_at=lambda n: n.discusses_debt)
            if path:
                self.issue("debt_before_identity", "discusses the debt but can be reached before the "
                           "identity is confirmed, e.g. {path_text}", node.line_of("discusses_debt"), node.id,
                           path=path, path_text=_show(path))
                continue
            if node.disclosure:
                continue  # a disclosure that mentions the debt opens the debt conversation
            for name in required:
                path = self.witness(node.id, stop_at=lambda n, d=name: n.disclosure == d or (
                    n.discusses_debt and not n.disclosure))
                if path:
                    self.issue("debt_before_disclosure", "discusses the debt but can be reached before "
                               "the disclosure '{name}', e.g. {path_text}", node.line_of("discusses_debt"),
                               node.id, path=path, name=name, path_text=_show(path))

    def implicit_debt(self) -> None:
        for node in self.nodes.values():
            if node.type == "input" and node.input and node.input.kind == "money" and not node.discusses_debt:
                self.issue("debt_unmarked", "a money input talks about the debt: add discusses_debt: true",
                           node.line, node.id)

    # ------------------------------------------------------------------ facts and texts
    def fact_before(self, node: Node, fact: str) -> list[str] | None:
        """A path reaching `node` on which `fact` was not collected (None: collected on all)."""
        return self.witness(node.id, stop_at=lambda n: n.fact == fact)

    def texts(self) -> None:
        kinds = self.s.fact_kinds()
        for node in self.nodes.values():
            texts = [(node.text or {}, node.line_of("text"))]
            texts += [(o.text, o.line) for o in node.options]
            for text, line in texts:
                names_by_lang: dict[str, set[str]] = {}
                for lang, words in text.items():
                    try:
                        names_by_lang[lang] = _placeholders(words)
                    except ValueError as exc:
                        self.issue("placeholder", "{lang} text: {problem}", line, node.id,
                                   lang=lang, problem=str(exc))
                sets = list(names_by_lang.values())
                if sets and any(s != sets[0] for s in sets):
                    self.issue("placeholder", "the translations use different placeholders: {detail}",
                               line, node.id, detail="; ".join(
                                   f"{lang}: {', '.join(sorted(s)) or '-'}" for lang, s in names_by_lang.items()))
                for name in sorted(set().union(*sets) if sets else set()):
                    self.placeholder(node, name, line, kinds)

    def placeholder(self, node: Node, name: str, line: int, kinds: dict[str, str]) -> None:
        if name in CASE_FIELDS:
            if name in DEBT_FIELDS and not node.discusses_debt:
                self.issue("debt_unmarked", "the text says {{{name}}}, which is about the debt: "
                           "add discusses_debt: true", line, node.id, name=name)
            return
        if name not in kinds:
            self.issue("placeholder", "unknown placeholder {{{name}}}; use a case field ({known}) or a "
                       "fact collected earlier", line, node.id, name=name, known=", ".join(CASE_FIELDS))
            return
        path = self.fact_before(node, name)
        if path:
            self.issue("fact_not_collected", "the text uses {{{name}}}, which is not collected on every "
                       "path before this node, e.g. {path_text}", line, node.id, path=path, name=name,
                       path_text=_show(path))

    # ------------------------------------------------------------------ what the texts say
    def spoken(self) -> None:
        """Every text against the conduct rules; and no text that can be said before the
        identity is confirmed may name the debt or an amount, whatever the flags say."""
        from fieldapp.conduct import check_text, debt_mentions, load_rules, neutral_placeholders

        rules = load_rules()
        early: dict[str, list[str]] = {}
        for node_id in self.reachable_unconfirmed():
            path = self.witness(node_id, skip_confirming=True)
            if path:
                early[node_id] = path
        money_facts = {name for name, kind in self.fact_kinds.items() if kind == "money"}
        for node in self.nodes.values():
            texts = [(node.text or {}, node.line_of("text"))] + [(o.text, o.line) for o in node.options]
            for text, line in texts:
                for lang, words in text.items():
                    neutral = neutral_placeholders(words)
                    for f in check_text(neutral, lang, rules=rules):
                        self.issue("conduct", "the {lang} text says “{phrase}”: {category}", line, node.id,
                                   tr_params=("category",), lang=lang, phrase=words[f.start:f.end],
                                   category=f.label)
                    if node.id not in early or node.discusses_debt:
                        continue  # a debt node reached early is already reported (debt_before_identity)
                    said = [words[m.start:m.end] for m in debt_mentions(neutral, lang, rules=rules)]
                    said += ["{" + n + "}" for n in sorted(_placeholders_safe(words))
                             if n in DEBT_FIELDS or n in money_facts]
                    for phrase in dict.fromkeys(said):
                        self.issue("debt_said_early", "the {lang} text speaks of the debt (“{phrase}”) but can be "
                                   "said before the identity is confirmed, e.g. {path_text}", line, node.id,
                                   path=early[node.id], lang=lang, phrase=phrase, path_text=_show(early[node.id]))

    def reachable_unconfirmed(self) -> set[str]:
        """Nodes some path reaches without an identity-confirming answer (the stops included)."""
        seen: set[str] = set()
        queue = deque(r for r in self.roots if r in self.nodes)
        seen.update(queue)
        while queue:
            for nxt, confirms in self.successors(queue.popleft()):
                if not confirms and nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen

    def conditions(self) -> None:
        for node in self.nodes.values():
            for branch in node.branches:
                for cond in branch.conditions:
                    self.condition(node, cond)

    def operand_type(self, node: Node, op: Operand, line: int) -> str | None:
        if op.kind == "case":
            return CASE_FIELDS[op.name]
        if op.kind == "literal":
            return literal_type(op.value)
        if op.name not in self.fact_kinds:
            self.issue("unknown_fact", "'{name}' is neither a fact collected by an ask or input node "
                       "nor case.<field>{hint}", line, node.id, name=op.name,
                       hint=_hint(op.name, list(self.fact_kinds)))
            return None
        path = self.fact_before(node, op.name)
        if path:
            self.issue("fact_not_collected", "the condition uses '{name}', which is not collected on "
                       "every path before this node, e.g. {path_text}", line, node.id, path=path,
                       name=op.name, path_text=_show(path))
        return self.fact_kinds[op.name]

    def condition(self, node: Node, cond: Condition) -> None:
        left = self.operand_type(node, cond.left, cond.line)
        right = self.operand_type(node, cond.right, cond.line)
        if left is None or right is None:
            return
        if cond.left.kind == "literal" and cond.right.kind == "literal":
            self.issue("condition", "the condition \"{cond}\" compares two fixed values", cond.line, node.id,
                       cond=cond.source)
            return
        same = (left in _NUMERIC and right in _NUMERIC) or left == right
        if not same:
            self.issue("condition", "the condition \"{cond}\" compares {left} with {right}", cond.line,
                       node.id, cond=cond.source, left=_TYPE_WORDS[left], right=_TYPE_WORDS[right],
                       tr_params=("left", "right"))
            return
        if cond.op not in ("==", "!=") and left not in _ORDERED:
            self.issue("condition", "the condition \"{cond}\": {op} needs numbers, amounts or dates", cond.line,
                       node.id, cond=cond.source, op=cond.op)
        for fact, lit in ((cond.left, cond.right), (cond.right, cond.left)):
            if fact.kind == "fact" and lit.kind == "literal" and self.fact_kinds.get(fact.name) == "text":
                options = {o.id for n in self.nodes.values() if n.fact == fact.name for o in n.options}
                if lit.value not in options:
                    self.issue("condition", "the condition \"{cond}\": '{value}' is not an option of '{name}' "
                               "({options})",
                               cond.line, node.id, cond=cond.source, value=lit.value, name=fact.name,
                               options=", ".join(sorted(options)))

    def ends(self) -> None:
        kinds = self.fact_kinds
        for node in self.nodes.values():
            if node.type != "end":
                continue
            if (node.outcome == Outcome.PROMISE_TO_PAY) != bool(node.promise) and node.outcome:
                self.issue("promise", "an end with outcome promise_to_pay records a promise "
                           "(promise: amount, due_date) and only such an end does", node.line, node.id)
            if node.plan and node.outcome != Outcome.AGREEMENT_SIGNED:
                self.issue("plan", "a plan request ends with outcome agreement_signed", node.line, node.id)
            wanted = {"amount": "money", "due_date": "date"}
            for key, fact in node.promise.items():
                self.end_fact(node, key, fact, wanted[key], kinds)
            for key, fact in node.plan.items():
                if key != "kind":
                    self.end_fact(node, key, fact, PLAN_FIELDS[node.plan["kind"]][key], kinds)

    def end_fact(self, node: Node, key: str, fact: str, wanted: str, kinds: dict[str, str]) -> None:
        line = node.line_of("promise" if node.promise else "plan")
        if kinds.get(fact) != wanted:
            self.issue("end_fact", "'{key}' needs a {wanted} fact; '{fact}' is {actual}", line, node.id,
                       key=key, wanted=wanted, fact=fact, actual=kinds.get(fact, "not collected by any node"))
            return
        path = self.fact_before(node, fact)
        if path:
            self.issue("fact_not_collected", "'{fact}' is not collected on every path to this end, e.g. "
                       "{path_text}", line, node.id, path=path, fact=fact, path_text=_show(path))

    def fact_types(self) -> None:
        seen: dict[str, tuple[str, Node]] = {}
        for node in self.nodes.values():
            if not node.fact:
                continue
            kind = "text" if node.type == "ask" else (node.input.kind if node.input else "")
            if node.fact in seen and seen[node.fact][0] != kind:
                self.issue("fact_type", "fact '{fact}' is collected as {kind} here but as {other} by '{first}'",
                           node.line_of("fact"), node.id, fact=node.fact, kind=kind,
                           other=seen[node.fact][0], first=seen[node.fact][1].id)
            seen.setdefault(node.fact, (kind, node))

    def example_case(self) -> None:
        if self.s.example_case is None:
            return
        try:
            CaseFacts.parse(self.s.example_case, where="example_case").require(used_case_fields(self.s))
        except BadInput as exc:
            self.issue("example_case", "{problem}", self.s.lines.get("example_case", 1), problem=exc.reason
                       if not exc.field else f"{exc.field}: {exc.reason}")

    def run(self) -> list[Issue]:
        if not self.nodes:
            return self.issues
        refs_ok = self.references() and not any(i.code == "schema" for i in self.issues)
        self.stops()
        self.identity_nodes()
        reachable = self.reachability()
        if refs_ok:
            self.outcomes(reachable)
        self.debt_gate()
        self.implicit_debt()
        self.fact_types()
        self.texts()
        self.spoken()
        self.conditions()
        self.ends()
        self.example_case()
        unique: dict[tuple, Issue] = {}
        for issue in self.issues:
            unique.setdefault((issue.line, issue.node, issue.code, issue.message), issue)
        return sorted(unique.values(), key=lambda i: (i.line, i.node or "", i.code))


def used_case_fields(script: Script) -> set[str]:
    """The case fields a script needs to run: those its texts say and its input bounds use.

    Conditions do not make a field required: a condition on case data the case lacks (a
    case without a tier, say) is simply false.
    """
    used: set[str] = set()
    for node in script.nodes.values():
        texts = [node.text or {}] + [o.text for o in node.options]
        for text in texts:
            for words in text.values():
                try:
                    used |= _placeholders(words) & set(CASE_FIELDS)
                except ValueError:
                    pass
        if node.input:
            used |= {b.case_field for b in (node.input.min, node.input.max) if b and b.case_field}
            if node.input.kind == "money":
                used.add("currency")
    if "amount_due" in used or any(n.promise or n.plan for n in script.nodes.values()):
        used.add("currency")
    return used


def _placeholders(text: str) -> set[str]:
    names = set()
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        if not name or spec or conversion or not name.isidentifier():
            raise ValueError(f"write placeholders as {{name}} (got {{{name}{'!' + conversion if conversion else ''}"
                             f"{':' + spec if spec else ''}}})")
        names.add(name)
    return names


def _placeholders_safe(text: str) -> set[str]:
    try:
        return _placeholders(text)
    except ValueError:
        return set()


def _components(nodes: list[str], succ: Callable[[str], list[str]]) -> list[list[str]]:
    """Strongly connected components (Kosaraju, iterative)."""
    order: list[str] = []
    seen: set[str] = set()
    for root in nodes:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(succ(root)))]
        while stack:
            current, children = stack[-1]
            for child in children:
                if child not in seen:
                    seen.add(child)
                    stack.append((child, iter(succ(child))))
                    break
            else:
                order.append(current)
                stack.pop()
    reverse: dict[str, list[str]] = {n: [] for n in nodes}
    for n in nodes:
        for t in succ(n):
            reverse[t].append(n)
    assigned: set[str] = set()
    out = []
    for root in reversed(order):
        if root in assigned:
            continue
        component, stack = [], [root]
        assigned.add(root)
        while stack:
            current = stack.pop()
            component.append(current)
            for prev in reverse[current]:
                if prev not in assigned:
                    assigned.add(prev)
                    stack.append(prev)
        out.append(component)
    return out


def _hint(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _show(path: list[str]) -> str:
    if len(path) > 8:
        path = path[:3] + ["…"] + path[-4:]
    return " → ".join(path)


def validate(script: Script) -> list[Issue]:
    """Every problem in `script`, sorted by line; an empty list means the script is safe to use."""
    if script._validated is None:
        script._validated = _Checker(script).run()
    return list(script._validated)
