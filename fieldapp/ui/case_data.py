"""What the screens show about cases, gathered on the database worker. Qt-free.

The screens hand these functions to the task runner (`tasks.db(load_day, service, ...)`);
each reads the store through the service, runs the policy engine on the wire records,
and returns plain data the GUI thread only has to draw. Heavy packages (policy, script,
pydantic records) are imported here, inside the functions, so the first window paints
before they load.

Problems that are not policy rules (no appointment, an unknown policy) travel as an
English source string with its values, translated where they are shown, so a language
switch re-says them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

from fieldapp.core.enums import CaseStatus
from fieldapp.core.errors import BadInput, NotFound
from fieldapp.core.i18n import Translator
from fieldapp.core.timeutil import zone
from fieldapp.ui.i18n import N_
from fieldapp.ui.widgets.compliance import ComplianceState

log = logging.getLogger(__name__)
Message = tuple[str, dict[str, Any]]  # (English source, values)

NO_APPOINTMENT = N_("No appointment: a visit needs one agreed and notified in advance.")
CHECK_FAILED = N_("The policy check could not be made: {reason}")
CASE_CLOSED = N_("The case is closed.")


@dataclass(frozen=True)
class Verdict:
    """A case's planning check: the decision (rule by rule) or why there is none."""

    decision: Any | None = None          # fieldapp.policy.Decision
    problem: Message | None = None

    @property
    def state(self) -> ComplianceState:
        d = self.decision
        if d is None:
            return ComplianceState.BLOCKED if self.problem else ComplianceState.UNKNOWN
        if not d.allowed:
            return ComplianceState.BLOCKED
        return ComplianceState.WARNING if d.warnings else ComplianceState.ALLOWED

    def reasons(self, lang: str, tr: Callable[..., str]) -> list[str]:
        """Why the light has its colour, in `lang`: blocking rules, else warnings, else the summary."""
        if self.problem is not None:
            template, values = self.problem
            return [tr(template, **values)]
        d = self.decision
        if d is None:
            return []
        shown = d.localized(lang)
        if not shown.allowed:
            return [r.message for r in shown.blocking]
        if shown.warnings:
            return [r.message for r in shown.warnings]
        return [shown.summary()]


class _Policies:
    """Loads each policy once per gathering."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def get(self, policy_id: str) -> Any:
        if policy_id not in self._cache:
            from fieldapp.policy import load_policy

            self._cache[policy_id] = load_policy(policy_id)
        return self._cache[policy_id]


class Practised:
    """What the agent practised (read once per gathering), as the policy's Practice facts of
    a case's shipped script. A service without practices (a lead's) gives None."""

    def __init__(self, service: Any) -> None:
        reader = getattr(service, "practised", None)
        self._runs = reader() if callable(reader) else None
        self._scripts: dict[str, Any] = {}

    def of(self, record: Any) -> Any:
        if self._runs is None:
            return None
        from fieldapp.script import load_script
        from fieldapp.ui.visit.setup import shipped_script_id

        try:
            script_id = shipped_script_id(record)
            if script_id not in self._scripts:
                self._scripts[script_id] = load_script(script_id)
        except BadInput:
            return None
        return practice_facts(self._scripts[script_id], self._runs)


def practice_facts(script: Any, runs: Sequence[Any]) -> Any:
    """The policy's Practice of `script` from the agent's practice rows."""
    from fieldapp.policy import Practice

    return Practice(script.id, script.version,
                    tuple((r.version, r.completed_at) for r in runs if r.script_id == script.id))


def planning_verdict(record: Any, lang: str, policies: _Policies | None = None,
                     practised: Practised | None = None) -> Verdict:
    """The planning check of a case record (no location: before the visit), now."""
    from fieldapp.core.timeutil import utcnow
    from fieldapp.policy import context_from_case, evaluate

    if record.status != CaseStatus.OPEN:
        return Verdict(problem=(CASE_CLOSED, {}))
    if record.appointment is None:
        return Verdict(problem=(NO_APPOINTMENT, {}))
    try:
        policy = (policies or _Policies()).get(record.policy_id)
        practice = practised.of(record) if practised is not None and policy.training.require_practice else None
        return Verdict(decision=evaluate(context_from_case(record, practice=practice), policy, lang,
                                         checked_at=utcnow()))
    except (BadInput, NotFound) as exc:
        return Verdict(problem=(CHECK_FAILED, {"reason": getattr(exc, "reason", None) or str(exc)}))


# ---------------------------------------------------------------------- one case
@dataclass(frozen=True)
class CaseView:
    record: Any                                  # fieldapp.protocol.v1.CaseRecord
    verdict: Verdict
    tasks: list[Any] = field(default_factory=list)    # open TaskRows of this case (returned visits)
    has_draft: bool = False
    unsent: int = 0                                   # this case's visits in the outbox, not yet accepted
    outbox: list[Any] = field(default_factory=list)   # this case's OutboxRows
    documents: list[Any] = field(default_factory=list)  # signed agreements and visit reports kept here


def load_case_view(service: Any, case_id: str, lang: str) -> CaseView:
    record = service.get_case(case_id)
    tasks = [t for t in service.tasks() if t.case_id == case_id]
    outbox = [o for o in service.outbox() if o.case_id == case_id]
    has_draft = service.load_draft(case_id) is not None
    unsent = sum(o.state in ("waiting", "sending") and o.kind == "visit" for o in outbox)  # a visit, not a call
    documents = list(service.documents(case_id)) if hasattr(service, "documents") else []
    return CaseView(record, planning_verdict(record, lang, practised=Practised(service)), tasks, has_draft,
                    unsent, outbox, documents)


# ---------------------------------------------------------------------- the day
@dataclass(frozen=True)
class DayStop:
    row: Any                   # the case list's CaseRow
    record: Any                # the CaseRecord
    verdict: Verdict
    distance_m: float | None   # from the previous stop (None: first, or a place unknown)
    visited: bool = False      # a visit is recorded that day (sent or still on this laptop)

    @property
    def start(self) -> dt.datetime:
        return self.record.appointment.start

    @property
    def end(self) -> dt.datetime:
        return self.record.appointment.end

    @property
    def timezone(self) -> str:
        return self.record.customer.timezone


@dataclass(frozen=True)
class DayPlan:
    day: dt.date
    stops: list[DayStop]
    total_m: float
    complete: bool                       # every stop has a known location
    overlaps: list[tuple[str, str]]      # case ids of visits booked over each other
    tasks: list[tuple[Any, Any | None]]  # (TaskRow, CaseRow or None) of returned visits
    next_day: dt.date | None = None      # the next day with visits, when this one has none
    next_count: int = 0


def local_day(moment: dt.datetime, timezone: str | None, fallback: dt.tzinfo | None = None) -> dt.date:
    """The date of `moment` in the customer's zone (else `fallback`, else this computer's)."""
    if timezone:
        try:
            return moment.astimezone(zone(timezone)).date()
        except BadInput:
            pass
    return moment.astimezone(fallback).date()


def _in_agent_order(stops: list[DayStop], saved: list[str]) -> tuple[list[DayStop], float]:
    """The stops in the order the agent saved (new ones at the end, gone ones dropped), each
    leg measured again from the last known place; and the known total."""
    from fieldapp.geo.distance import distance_m
    from fieldapp.geo.route import apply_order

    by_id = {s.record.id: s for s in stops}
    ordered, total, last = [], 0.0, None
    for case_id in apply_order(list(by_id), saved):
        stop = by_id[case_id]
        loc = stop.record.customer.location
        here = (loc.lat, loc.lon) if loc is not None else None
        leg = distance_m(last, here) if last is not None and here is not None else None
        total += leg or 0.0
        ordered.append(replace(stop, distance_m=leg))
        last = here or last
    return ordered, total


def load_day(service: Any, day: dt.date, lang: str, *, rows: Sequence[Any] | None = None,
             fallback_zone: dt.tzinfo | None = None) -> DayPlan:
    """The visits booked on `day` (the customer's local date), in route order, each with its
    planning check; the open tasks; and the next day with visits when `day` has none.
    `rows`: the case list when the caller has it already (it is read otherwise)."""
    from fieldapp.geo.route import Stop, plan_route

    rows = [r for r in (service.list_cases() if rows is None else rows) if not getattr(r, "withdrawn", None)]
    tasks = service.tasks()
    by_id = {r.id: r for r in rows}
    task_list = [(t, by_id.get(t.case_id)) for t in tasks]

    # The rows' zone may be unknown (older stores): take a day either side, decide on the record.
    lo = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    hi = lo + dt.timedelta(days=3)
    candidates = [r for r in rows if r.appointment_start is not None and lo <= r.appointment_start < hi]
    policies = _Policies()
    practised = Practised(service)
    found: dict[str, tuple[Any, Any, Verdict]] = {}
    for row in candidates:
        try:
            record = service.get_case(row.id)
        except NotFound:
            continue
        if record.appointment is None or local_day(record.appointment.start, record.customer.timezone) != day:
            continue
        found[row.id] = (row, record, planning_verdict(record, lang, policies, practised))

    stops = []
    for case_id, (_row, record, _verdict) in found.items():
        loc = record.customer.location
        stops.append(Stop(case_id, (loc.lat, loc.lon) if loc is not None else None,
                          record.appointment.start, record.appointment.end))
    route = plan_route(stops)
    # Only a visit makes a stop visited (a call or a proposed time does not).
    unsent_visits = {o.case_id for o in service.outbox() if o.kind == "visit" and o.state in ("waiting", "sending")}
    day_stops = []
    for leg in route.legs:
        row, record, verdict = found[leg.stop.id]
        tz = record.customer.timezone
        visited = row.id in unsent_visits or any(local_day(v.at, tz) == day for v in record.visits)
        day_stops.append(DayStop(row, record, verdict, leg.distance_m, visited))
    total_m = route.total_m
    saved = service.route_order(day) if hasattr(service, "route_order") else None
    if saved:
        day_stops, total_m = _in_agent_order(day_stops, saved)

    next_day, next_count = None, 0
    if not day_stops:
        later = sorted(local_day(r.appointment_start, getattr(r, "timezone", None), fallback_zone)
                       for r in rows if r.appointment_start is not None)
        later = [d for d in later if d > day]
        if later:
            next_day = later[0]
            next_count = later.count(next_day)
    return DayPlan(day, day_stops, total_m, route.complete, list(route.overlaps), task_list,
                   next_day, next_count)


# ---------------------------------------------------------------------- a visit
def _signing(service: Any) -> Any:
    """The laptop's signing setup (device key and certificate), or None when not enrolled or
    unusable: the visit still goes on, and its agreement is an unsigned draft."""
    get = getattr(service, "signing_setup", None)
    if get is None:
        return None
    try:
        return get()
    except (BadInput, ValueError) as exc:
        log.warning("the device's signing key cannot be used: %s", type(exc).__name__)
        return None

@dataclass(frozen=True)
class VisitStart:
    """What the visit flow needs, read once: the setup and the saved draft, if any."""

    setup: Any                    # fieldapp.ui.visit.setup.VisitSetup
    draft: dict[str, Any] | None
    task: Any | None              # the returned visit this one corrects
    draft_saved_at: dt.datetime | None = None


NO_CREDITOR = N_("The creditor's details have not reached this laptop yet: sync once, then start the "
                 "visit. (An administrator sets them on the server.)")


def visit_creditor(service: Any, typed: Sequence[str], document_lang: str) -> Any:
    """The creditor of a visit (`fieldapp.ui.visit.setup.Institution`): the institution's
    settings as the server last sent them, named per language for the script and in the
    agreement's language(s) for the document. A name typed on this laptop before the
    server sent one (`typed`: name, address, registration) serves only while there is none."""
    from fieldapp.ui.visit.setup import Institution

    info = service.institution() if hasattr(service, "institution") else None
    if info is not None:
        langs = ("zh_CN", "en") if document_lang == "both" else (document_lang,)
        printed = list(dict.fromkeys(info.name(lang) for lang in langs))
        return Institution(" ".join(printed), info.address(langs[0]), info.registration, dict(info.names))
    name, address, registration = (list(typed) + ["", "", ""])[:3]
    if name.strip():
        return Institution(name.strip(), address or None, registration or None)
    tr = getattr(service, "tr", None) or Translator.for_language(None)
    raise BadInput(tr(NO_CREDITOR), field="institution")


def _photo_reader(service: Any, case_id: str) -> Callable[[], list[tuple[Any, bytes]]] | None:
    """What the visit reads when it is recorded: the case's photos waiting for it, with their
    files (for the signed report's list and thumbnails)."""
    if not hasattr(service, "pending_photos"):
        return None
    return lambda: [(ref, service.attachment(ref.sha256)) for ref in service.pending_photos(case_id)]


def prepare_visit(service: Any, case_id: str, *, agent_name: str, agent_id: str,
                  institution: Sequence[str], clock: Callable[[], dt.datetime]) -> VisitStart:
    """The visit setup for a case: its record, policy, shipped script, the creditor, and
    any draft. `institution` is a creditor typed on this laptop (see `visit_creditor`)."""
    from fieldapp.policy import load_policy
    from fieldapp.script import load_script, validate
    from fieldapp.ui.visit.setup import Institution, VisitSetup, shipped_script_id

    record = service.get_case(case_id)
    tasks = sorted((t for t in service.tasks() if t.case_id == case_id and t.kind == "visit_returned"),
                   key=lambda t: t.created_at)
    task = tasks[-1] if tasks else None
    script = load_script(shipped_script_id(record))
    validate(script)  # proved here, off the GUI thread (the result stays with the script)
    reader = getattr(service, "practised", None)
    setup = VisitSetup(case=record, policy=load_policy(record.policy_id),
                       script=script, agent_name=agent_name,
                       agent_id=agent_id, institution=Institution(""),
                       clock=clock, corrects_visit_id=task.visit_id if task is not None else None,
                       practice=practice_facts(script, reader()) if callable(reader) else None,
                       signing=_signing(service), photos=_photo_reader(service, case_id))
    setup.institution = visit_creditor(service, institution, setup.document_lang())
    draft = service.load_draft(case_id)
    if draft is None:
        return VisitStart(setup, None, task)
    return VisitStart(setup, draft.state, task, draft.updated_at)
