"""The conversation as a state machine, UI-agnostic (after Electrum's wizard).

The runtime holds the current node, the facts collected so far, a back stack of earlier
states and a timestamped transcript. A user interface only maps `current.type` to a widget
and calls `answer`, `back` or `stop`; everything it shows (text in the chosen language,
options, input bounds, whether a node is a disclosure, whether back is possible) comes
from `current`. The whole state round-trips through `to_json`/`from_json`, script source
included, so a visit interrupted by a crash or a sleeping laptop resumes exactly where it
was, even if the shipped script has been updated since.

The transcript only grows: going back is itself recorded, since what was said cannot be
unsaid. Note warnings are kept even when their answer is undone, for the same reason.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Callable

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import Translator, normalise_language
from fieldapp.core.money import Money, exact, to_decimal
from fieldapp.core.outcomes import CONTACT_OUTCOMES, Outcome
from fieldapp.core.timeutil import iso, utcnow
from fieldapp.script.case import CaseFacts, spoken_money
from fieldapp.script.model import STOP_KINDS, STOP_LABELS, Bound, Node, Script
from fieldapp.script.notes import (NoteWarning, PhraseList, check_notes, personal_numbers, prepare_note,
                                   warning_from_dict)
from fieldapp.script.parse import parse_script
from fieldapp.script.validate import used_case_fields, validate

FORMAT = "fieldapp.script.runtime/1"
_YES = {"yes", "true", "y", "1", "是"}
_NO = {"no", "false", "n", "0", "否"}


@dataclass(frozen=True)
class OptionView:
    id: str
    text: str


@dataclass(frozen=True)
class InputView:
    kind: str  # money | integer | date | yes_no
    min: str | None = None  # amounts and counts as decimal strings; dates as ISO dates
    max: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class View:
    """Everything a screen needs to show the current step."""

    node: str
    type: str
    text: str
    options: tuple[OptionView, ...]
    input: InputView | None
    disclosure: bool
    discusses_debt: bool
    identity_check: bool
    notes_allowed: bool
    can_go_back: bool
    finished: bool
    outcome: str | None
    stops: tuple[tuple[str, str], ...]  # (kind, label) the agent can take now

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Runtime:
    def __init__(self, script: Script, case_facts: CaseFacts | dict | None = None, lang: str = "en", *,
                 clock: Callable[[], _dt.datetime] = utcnow, phrases: PhraseList | None = None) -> None:
        issues = validate(script)
        if issues:
            raise BadInput(f"the script is not valid ({len(issues)} problem(s)); first: {issues[0]}",
                           where=script.source)
        self._setup(script, case_facts, lang, clock, phrases)
        self._enter(script.start)

    @classmethod
    def _unchecked(cls, script: Script, case_facts: CaseFacts | dict | None = None, lang: str = "en", *,
                   clock: Callable[[], _dt.datetime] = utcnow) -> "Runtime":
        """A runtime on a script that has NOT been validated: for analysis and tests only."""
        self = cls.__new__(cls)
        self._setup(script, case_facts, lang, clock, None, check=False)
        self._enter(script.start)
        return self

    def _setup(self, script: Script, case_facts: Any, lang: str, clock: Callable[[], _dt.datetime],
               phrases: PhraseList | None, check: bool = True) -> None:
        self.script = script
        self._kinds = script.fact_kinds()
        self.case = case_facts if isinstance(case_facts, CaseFacts) else CaseFacts.parse(case_facts)
        if check:
            self.case.require(used_case_fields(script))
        self._clock = clock
        self._phrases = phrases
        self.lang = lang
        self.started_at = iso(clock())
        self._node = ""
        self._facts: dict[str, Any] = {}
        self._identity = False
        self._said: list[str] = []
        self._stack: list[dict[str, Any]] = []
        self._trail: list[dict[str, Any]] = []
        self._transcript: list[dict[str, Any]] = []
        self._notes: list[dict[str, str]] = []
        self._warnings: list[tuple[str, NoteWarning]] = []
        self._stopped: str | None = None

    # ------------------------------------------------------------------ language
    @property
    def lang(self) -> str:
        return self._lang

    @lang.setter
    def lang(self, value: str) -> None:
        lang = normalise_language(value)
        if lang not in self.script.languages:
            raise BadInput(f"the script has no {lang} texts (it has {', '.join(self.script.languages)})",
                           field="lang")
        self._lang, self.tr = lang, Translator.for_language(lang)

    # ------------------------------------------------------------------ what the UI reads
    @property
    def node(self) -> Node:
        return self.script.nodes[self._node]

    @property
    def current(self) -> View:
        node = self.node
        return View(
            node=node.id, type=node.type, text=self.render(node.text),
            options=tuple(OptionView(o.id, self.render(o.text)) for o in node.options),
            input=self._input_view(node), disclosure=bool(node.disclosure),
            discusses_debt=node.discusses_debt, identity_check=node.identity_check,
            notes_allowed=node.notes, can_go_back=self.can_go_back, finished=self.finished,
            outcome=self.outcome.value if self.outcome else None,
            stops=() if self.finished else tuple((k, self.tr(STOP_LABELS[k])) for k in STOP_KINDS),
        )

    @property
    def finished(self) -> bool:
        return self.node.type == "end"

    @property
    def outcome(self) -> Outcome | None:
        return self.node.outcome if self.finished else None

    @property
    def can_go_back(self) -> bool:
        return bool(self._stack) and self._stopped is None

    @property
    def stopped(self) -> str | None:
        return self._stopped

    @property
    def identity_confirmed(self) -> bool:
        return self._identity

    @property
    def disclosures_said(self) -> tuple[str, ...]:
        return tuple(self._said)

    @property
    def facts(self) -> dict[str, Any]:
        return dict(self._facts)

    @property
    def transcript(self) -> list[dict[str, Any]]:
        return [dict(e) for e in self._transcript]

    @property
    def trail(self) -> list[dict[str, Any]]:
        """The path as it stands (undone steps removed): nodes entered, answers, stops."""
        return [dict(e) for e in self._trail]

    @property
    def notes(self) -> list[dict[str, str]]:
        return [dict(n) for n in self._notes]

    @property
    def note_warnings(self) -> list[NoteWarning]:
        return [w for _, w in self._warnings]

    @property
    def promise(self) -> dict[str, str] | None:
        """{amount, currency, due_date} as the wire's PromiseToPay, once at an end that records it."""
        node = self.node
        if not self.finished or not node.promise:
            return None
        return {"amount": format(self._facts[node.promise["amount"]], "f"), "currency": self.case.currency,
                "due_date": self._facts[node.promise["due_date"]].isoformat()}

    @property
    def plan_request(self) -> dict[str, Any] | None:
        """The plan the customer asked for (kind and its facts), for the agreement screen."""
        node = self.node
        if not self.finished or not node.plan:
            return None
        out: dict[str, Any] = {"kind": node.plan["kind"], "currency": self.case.currency,
                               "amount_due": self.case.to_dict().get("amount_due")}
        for key, fact in node.plan.items():
            if key != "kind":
                out[key] = _plain(self._facts[fact])
        return out

    def render(self, text: dict[str, str] | None, *, facts: bool = True) -> str:
        """`text` in the current language with case data and (when `facts`) facts filled in."""
        if not text:
            return ""
        values = _Values({name: self.case.display(name, self.lang) for name in self.case.values})
        for name, value in self._facts.items() if facts else ():
            values[name] = self._show(name, value)
        return text.get(self.lang, "").format_map(values)

    def record(self) -> dict[str, Any]:
        """The parts of the visit record (protocol VisitRecord) the conversation provides."""
        return {"script_id": self.script.id, "transcript": self.transcript,
                "outcome": self.outcome.value if self.outcome else None,
                "contact_made": bool(self.outcome and self.outcome in CONTACT_OUTCOMES),
                "promise": self.promise, "plan_request": self.plan_request,
                "note_warnings": [w.to_record() for w in self.note_warnings]}

    # ------------------------------------------------------------------ actions
    def answer(self, value: Any = None, *, note: str | None = None) -> View:
        node = self.node
        if self.finished:
            raise BadInput(self.tr("The conversation has ended."), field=node.id)
        note = prepare_note(note or "").text or None  # personal numbers masked before anything keeps it
        if note and not node.notes:
            raise BadInput(self.tr("Notes are not taken at this step."), field=node.id)
        entry: dict[str, Any] = {"event": "said" if node.type == "say" else "answer", "node": node.id,
                                 "type": node.type, "text": self.render(node.text)}
        confirms, target = False, node.next
        if node.type == "say":
            if value not in (None, True):
                raise BadInput(self.tr("This step is read out; it takes no answer."), field=node.id)
        elif node.type == "ask":
            option = next((o for o in node.options if o.id == value), None)
            if option is None:
                raise BadInput(self.tr("Choose one of: {options}", options=", ".join(o.id for o in node.options)),
                               field=node.id)
            confirms, target = option.confirms_identity, option.next
            entry.update(answer=option.id, answer_text=self.render(option.text))
            value = option.id
        else:
            value = self._parse_input(node, value)
            entry["answer"] = _plain(value)
        warnings = self._check(note) if note else []  # before any change: a failure leaves no trace
        self._stack.append(self._snapshot())
        if node.fact:
            self._facts[node.fact] = value
        if confirms:
            self._identity = True
            entry["confirms_identity"] = True
        if node.disclosure:
            entry["disclosure"] = node.disclosure
            if node.disclosure not in self._said:
                self._said.append(node.disclosure)
        if note:
            entry["note"] = note
            self._notes.append({"node": node.id, "text": note})
            self._warnings += [(node.id, w) for w in warnings]
        self._log(entry)
        self._trail[-1]["answer"] = _plain(value) if node.type != "say" else True
        self._enter(target)
        return self.current

    def back(self) -> View:
        if not self.can_go_back:
            raise BadInput(self.tr("There is no step to go back to."), field=self._node)
        snap = self._stack.pop()
        self._log({"event": "back", "node": self._node, "to": snap["node"]})
        self._node = snap["node"]
        self._facts = {k: _load(self._kinds.get(k, "text"), v) for k, v in snap["facts"].items()}
        self._identity = snap["identity"]
        self._said = list(snap["said"])
        del self._trail[snap["trail"]:]
        self._trail[-1].pop("answer", None)
        del self._notes[snap["notes"]:]
        return self.current

    def stop(self, kind: str, *, note: str | None = None) -> View:
        if self.finished:
            raise BadInput(self.tr("The conversation has ended."), field=self._node)
        if kind not in STOP_KINDS:
            raise BadInput(f"unknown stop {kind!r}; use one of {', '.join(STOP_KINDS)}", field="stop")
        entry: dict[str, Any] = {"event": "stop", "node": self._node, "kind": kind}
        note = prepare_note(note or "").text or None
        if note:
            warnings = self._check(note)
            entry["note"] = note
            self._notes.append({"node": self._node, "text": note})
            self._warnings += [(self._node, w) for w in warnings]
        self._log(entry)
        self._stopped = kind
        self._stack.clear()
        if kind == "not_customer":
            self._identity = False
        self._trail.append({"stop": kind})
        self._enter(self.script.stop_nodes()[kind])
        return self.current

    def check_notes(self, text: str) -> list[NoteWarning]:
        """Warnings for a note before it is saved (the same check `answer` records)."""
        return self._check(prepare_note(text).text)

    @staticmethod
    def personal_numbers(text: str) -> list[Any]:
        """The personal numbers in a note, which are stored masked (to tell the agent)."""
        return personal_numbers(text)

    # ------------------------------------------------------------------ internals
    def _check(self, text: str) -> list[NoteWarning]:
        return check_notes(text, self._phrases)

    def _log(self, entry: dict[str, Any]) -> None:
        self._transcript.append({"at": iso(self._clock().astimezone(_dt.timezone.utc)), **entry})

    def _snapshot(self) -> dict[str, Any]:
        return {"node": self._node, "facts": {k: _plain(v) for k, v in self._facts.items()},
                "identity": self._identity, "said": list(self._said), "trail": len(self._trail),
                "notes": len(self._notes)}

    def _enter(self, node_id: str | None) -> None:
        for _ in range(len(self.script.nodes) + 1):
            if node_id not in self.script.nodes:
                raise BadInput(f"the script has no node {node_id!r}", where=self.script.source)
            self._node = node_id
            self._trail.append({"node": node_id})
            node = self.node
            if node.type == "end":
                self._log({"event": "end", "node": node.id, "outcome": node.outcome.value if node.outcome
                           else None, "text": self.render(node.text)})
                return
            if node.type != "check":
                return
            node_id, taken = node.otherwise, "otherwise"
            for index, branch in enumerate(node.branches):
                if all(self._holds(c) for c in branch.conditions):
                    node_id, taken = branch.next, index
                    break
            self._log({"event": "check", "node": node.id, "branch": taken, "next": node_id})
        raise BadInput("check nodes lead into each other without end", where=self.script.source)

    def _operand(self, op: Any) -> Any:
        if op.kind == "case":
            return self.case.get(op.name)
        if op.kind == "fact":
            return self._facts.get(op.name)
        return op.value

    def _holds(self, cond: Any) -> bool:
        left, right = self._operand(cond.left), self._operand(cond.right)
        if left is None or right is None:
            return False
        try:
            return {"==": left == right, "!=": left != right}[cond.op] if cond.op in ("==", "!=") else \
                {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[cond.op]
        except TypeError:
            return False

    def _bound(self, bound: Bound | None) -> Decimal | None:
        if bound is None:
            return None
        if bound.case_field:
            return Decimal(self.case.get(bound.case_field))
        return bound.value

    def today(self) -> _dt.date:
        """The customer's date now, by the runtime's clock."""
        return self.case.today(self._clock())

    def _date_bounds(self, node: Node) -> tuple[_dt.date | None, _dt.date | None]:
        today = self.today()
        spec = node.input
        lo = today + _dt.timedelta(days=spec.min_days) if spec.min_days is not None else None
        hi = today + _dt.timedelta(days=spec.max_days) if spec.max_days is not None else None
        return lo, hi

    def _input_view(self, node: Node) -> InputView | None:
        spec = node.input
        if spec is None:
            return None
        if spec.kind == "date":
            lo, hi = self._date_bounds(node)
            return InputView("date", lo.isoformat() if lo else None, hi.isoformat() if hi else None)
        if spec.kind in ("money", "integer"):
            lo, hi = self._bound(spec.min), self._bound(spec.max)
            if spec.kind == "money" and lo is None:
                lo = Decimal(1).scaleb(-self.case.quantum_places())
            return InputView(spec.kind, _plain(lo) if lo is not None else None,
                             _plain(hi) if hi is not None else None,
                             self.case.currency if spec.kind == "money" else None)
        return InputView(spec.kind)

    def _parse_input(self, node: Node, value: Any) -> Any:
        kind, tr, field = node.input.kind, self.tr, node.id
        if kind == "yes_no":
            text = str(value).strip().lower() if not isinstance(value, bool) else None
            if isinstance(value, bool):
                return value
            if text in _YES or text in _NO:
                return text in _YES
            raise BadInput(tr("Answer yes or no."), field=field)
        if kind == "date":
            try:
                day = value if isinstance(value, _dt.date) else _dt.date.fromisoformat(str(value).strip())
            except ValueError:
                raise BadInput(tr("Enter a date as YYYY-MM-DD."), field=field) from None
            lo, hi = self._date_bounds(node)
            if lo and day < lo:
                raise BadInput(tr("Choose a date on or after {date}.", date=lo.isoformat()), field=field)
            if hi and day > hi:
                raise BadInput(tr("Choose a date on or before {date}.", date=hi.isoformat()), field=field)
            return day
        view = self._input_view(node)
        try:
            number = to_decimal(value, field=field)
        except BadInput:
            raise BadInput(tr("Enter a number."), field=field) from None
        if kind == "integer":
            if number != number.to_integral_value():
                raise BadInput(tr("Enter a whole number."), field=field)
            shown = lambda d: str(int(d))  # noqa: E731
        else:
            try:
                number = exact(number, self.case.currency, field=field)
            except BadInput:
                raise BadInput(tr("Enter the amount in {currency} with at most {places} decimals.",
                                  currency=self.case.currency, places=self.case.quantum_places()),
                               field=field) from None
            shown = lambda d: str(Money(d, self.case.currency))  # noqa: E731
        if view.min is not None and number < Decimal(view.min):
            raise BadInput(tr("Enter at least {min}.", min=shown(Decimal(view.min))), field=field)
        if view.max is not None and number > Decimal(view.max):
            raise BadInput(tr("Enter at most {max}.", max=shown(Decimal(view.max))), field=field)
        return int(number) if kind == "integer" else number

    def _show(self, name: str, value: Any) -> str:
        if isinstance(value, bool):
            return self.tr("yes") if value else self.tr("no")
        if isinstance(value, Decimal) and self._kinds.get(name) == "money" and self.case.currency:
            return spoken_money(value, self.case.currency, self.lang)
        if isinstance(value, str):
            for node in self.script.nodes.values():
                if node.fact == name:
                    for option in node.options:
                        if option.id == value:
                            return self.render(option.text, facts=False)
        return str(_plain(value))

    # ------------------------------------------------------------------ persistence
    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "script": {"id": self.script.id, "version": self.script.version, "sha256": self.script.sha256,
                       "path": self.script.source, "source": self.script.text},
            "lang": self.lang, "case": self.case.to_dict(), "started_at": self.started_at,
            "node": self._node, "facts": {k: _plain(v) for k, v in self._facts.items()},
            "identity": self._identity, "said": self._said, "stack": self._stack, "trail": self._trail,
            "transcript": self._transcript, "notes": self._notes,
            "warnings": [{"node": n, **w.to_dict(), "label": w.label} for n, w in self._warnings],
            "stopped": self._stopped,
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, script: Script | None = None, *,
                  clock: Callable[[], _dt.datetime] = utcnow, phrases: PhraseList | None = None) -> "Runtime":
        """Resume a saved conversation. `script`, when given, must be the very version it started with."""
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise BadInput(f"not a saved conversation (format {data.get('format')!r})", where="saved state")
            meta = data["script"]
            if script is None:
                script = parse_script(meta["source"], source=meta["path"])
            if script.sha256 != meta["sha256"]:
                raise BadInput(f"the script {meta['id']!r} has changed since this conversation started; "
                               "resume it with the saved script", where="saved state")
            self = cls.__new__(cls)
            self._setup(script, CaseFacts.parse(data["case"], where="saved state case"), data["lang"], clock,
                        phrases, check=False)
            if validate(script):
                raise BadInput("the saved script is not valid", where=script.source)
            self.started_at = data["started_at"]
            self._node = data["node"]
            self._facts = {k: _load(self._kinds.get(k, "text"), v) for k, v in data["facts"].items()}
            self._identity = bool(data["identity"])
            self._said = list(data["said"])
            self._stack, self._trail = list(data["stack"]), list(data["trail"])
            self._transcript, self._notes = list(data["transcript"]), list(data["notes"])
            self._warnings = [(w["node"], warning_from_dict(w)) for w in data["warnings"]]
            self._stopped = data["stopped"]
            if self._node not in script.nodes or any(s["node"] not in script.nodes for s in self._stack):
                raise BadInput("the saved position is not a node of the script", where="saved state")
        except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
            raise BadInput(f"the saved conversation is damaged ({type(exc).__name__}: {exc})",
                           where="saved state") from None
        return self


def _plain(value: Any) -> Any:
    """A JSON value for a fact: amounts as decimal strings, dates as ISO dates."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def _load(kind: str, value: Any) -> Any:
    if kind == "money":
        return Decimal(value)
    if kind == "date":
        return _dt.date.fromisoformat(value)
    if kind == "integer":
        return int(value)
    return value
