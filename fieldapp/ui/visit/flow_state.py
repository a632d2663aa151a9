"""The guided visit as a Qt-free controller: which step, what is collected, may we go on.

Steps, in an order that cannot be skipped::

    precheck -> checkin -> script -> outcome
        [-> plan -> read_draft -> sign_customer -> sign_agent -> preview] -> done

The bracketed steps appear only when the conversation ended with an agreement, so the
number of steps is known (`steps_known`) only once the conversation has ended. Each step
says what it still lacks (`blocker()`, a sentence in the agent's language); `advance()`
refuses while it lacks something. The visit cannot start outside the span the policy
allows for the check-in (too early: the time to come back is said, in the customer's
zone). Notes taken during the conversation are carried into the visit notes. The whole
state round-trips through `to_json` / `from_json` (conversation, decisions, notes, plan
and signatures included), so a visit interrupted by a crash or a flat battery resumes at
the step it was at. The agreement PDF is not kept in the draft: it is rendered again from
the same terms when needed. Before the pad the customer reads the whole agreement as an
unsigned draft (`read_draft`); the agent confirms how it was read (`READINGS`), which the
agreement record keeps. When the visit is recorded its report PDF is made and signed too.
The widget (`flow.VisitFlow`) is a thin view over this class, after Electrum's wizard.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import logging
import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from fieldapp.core.enums import CaseStatus
from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import Translator, normalise_language
from fieldapp.core.outcomes import Outcome
from fieldapp.core.plans import Frequency, Instalment, Plan, PlanKind, Remainder, check_plan, schedule
from fieldapp.core.timeutil import iso, parse_aware, zone
from fieldapp.documents.images import check_signature_png
from fieldapp.geo.distance import distance_m
from fieldapp.policy import Decision, context_from_case, evaluate
from fieldapp.protocol.v1 import Location, PromiseToPay, VisitRecord
from fieldapp.script import NoteWarning, Runtime, check_notes
from fieldapp.script.notes import personal_numbers, prepare_note
from fieldapp.ui.formatting import clock_text, in_zone
from fieldapp.ui.visit.record import (ROLES, Agreement, SignatureCapture, make_agreement, make_draft,
                                      make_report, seal_handwriting)
from fieldapp.ui.visit.setup import VisitSetup

log = logging.getLogger(__name__)

FORMAT = "fieldapp.visit-flow/1"
MAX_NOTES = 20_000  # VisitRecord.notes


def N_(message: str) -> str:
    """Mark `message` for the catalog; it is translated where it is shown."""
    return message


class Step(StrEnum):
    PRECHECK = "precheck"
    CHECKIN = "checkin"
    SCRIPT = "script"
    OUTCOME = "outcome"
    PLAN = "plan"
    READ_DRAFT = "read_draft"
    SIGN_CUSTOMER = "sign_customer"
    SIGN_AGENT = "sign_agent"
    PREVIEW = "preview"
    DONE = "done"


BASE_STEPS = (Step.PRECHECK, Step.CHECKIN, Step.SCRIPT, Step.OUTCOME)
AGREEMENT_STEPS = (Step.PLAN, Step.READ_DRAFT, Step.SIGN_CUSTOMER, Step.SIGN_AGENT, Step.PREVIEW)
STEP_TITLES = {
    Step.PRECHECK: N_("Before the visit"),
    Step.CHECKIN: N_("Check in"),
    Step.SCRIPT: N_("The conversation"),
    Step.OUTCOME: N_("Outcome and notes"),
    Step.PLAN: N_("Repayment plan"),
    Step.READ_DRAFT: N_("The customer reads the agreement"),
    Step.SIGN_CUSTOMER: N_("Customer signs"),
    Step.SIGN_AGENT: N_("Agent signs"),
    Step.PREVIEW: N_("Check the agreement"),
    Step.DONE: N_("Done"),
}
# How the customer took in the whole draft before signing (AgreementRecord.read_before_signing).
READINGS = {
    "customer_read": N_("The customer read the whole agreement"),
    "read_aloud": N_("The agent read the whole agreement aloud to the customer"),
}
SIGN_STEPS = {Step.SIGN_CUSTOMER: "customer", Step.SIGN_AGENT: "agent"}
# Why no location was recorded at check-in (stored as `<code>` or `<code>: <agent's words>`).
LOCATION_REASONS = {
    "unavailable": N_("This laptop cannot find its location"),
    "timeout": N_("No position was found in time"),
    "denied": N_("Access to the location is turned off"),
    "error": N_("The location service failed"),
    "indoors": N_("No signal inside the building"),
}


class FlowState:
    def __init__(self, setup: VisitSetup, lang: str = "en", *, visit_id: str | None = None) -> None:
        self.setup = setup
        self.visit_id = visit_id or str(uuid.uuid4())
        self.agreement_id = "AGR-" + self.visit_id.replace("-", "")[:20].upper()
        self.lang = normalise_language(lang)
        self.tr = Translator.for_language(self.lang)
        self.step = Step.PRECHECK
        self.started_at: _dt.datetime | None = None
        self.ended_at: _dt.datetime | None = None
        self.planning: Decision | None = None
        self._start_problems: list[tuple[str, dict[str, Any]]] = []
        self.checkin: Decision | None = None
        self.checked_in_at: _dt.datetime | None = None
        self.location: Location | None = None
        self.location_exception: str | None = None
        self.runtime: Runtime | None = None
        self.notes = ""
        self.note_hits: list[NoteWarning] = []
        self.note_numbers: list[Any] = []  # personal numbers in the notes: stored masked
        self.notes_confirmed = False
        self.plan: Plan | None = None
        self.schedule: list[Instalment] = []
        self.signatures: dict[str, SignatureCapture] = {}
        self.agreement: Agreement | None = None
        self.agreement_error: str | None = None
        self.reading: str | None = None       # a READINGS key, once the agent confirms it
        self._draft: bytes | None = None      # the unsigned agreement of the current plan
        self.result: tuple[VisitRecord, dict[str, bytes]] | None = None
        self.precheck()

    # ------------------------------------------------------------------ language
    def set_language(self, lang: str) -> None:
        self.lang = normalise_language(lang)
        self.tr = Translator.for_language(self.lang)
        if self.runtime is not None and self.lang in self.runtime.script.languages:
            self.runtime.lang = self.lang

    def _script_lang(self) -> str:
        languages = self.setup.script.languages
        return self.lang if self.lang in languages else languages[0]

    # ------------------------------------------------------------------ steps
    @property
    def needs_agreement(self) -> bool:
        rt = self.runtime
        return rt is not None and rt.finished and rt.outcome is Outcome.AGREEMENT_SIGNED

    @property
    def steps_known(self) -> bool:
        """Whether `steps` is final: the conversation has ended (it decides on an agreement)."""
        return self.runtime is not None and self.runtime.finished

    @property
    def steps(self) -> tuple[Step, ...]:
        middle = AGREEMENT_STEPS if self.needs_agreement else ()
        return (*BASE_STEPS, *middle, Step.DONE)

    @property
    def index(self) -> int:
        return self.steps.index(self.step)

    def title(self, step: Step | None = None) -> str:
        return self.tr(STEP_TITLES[step or self.step])

    def can_advance(self) -> bool:
        return self.blocker() is None

    def blocker(self) -> str | None:
        """What the current step still lacks, in words; None when the agent may go on."""
        tr, step = self.tr, self.step
        if step is Step.PRECHECK:
            problems = self.start_problems()
            if problems:
                return tr("This visit cannot start: {reasons}", reasons=" ".join(problems))
            return None
        if step is Step.CHECKIN:
            if self.checkin is None:
                return tr("Check in first: find your location, or confirm the address.")
            if not self.checkin.allowed:
                reasons = " ".join(r.message for r in self.checkin.localized(self.lang).blocking)
                return tr("Check-in is blocked: {reasons}", reasons=reasons)
            return None
        if step is Step.SCRIPT:
            return None if self.runtime is not None and self.runtime.finished else \
                tr("Finish the conversation first.")
        if step is Step.OUTCOME:
            if len(self.notes.strip()) > MAX_NOTES:
                return tr("The notes are too long: at most {max} characters.", max=MAX_NOTES)
            if self.note_hits and not self.notes_confirmed:
                return tr("Your notes contain wording that may be threatening or abusive. "
                          "Change it, or confirm that you keep it.")
            return None
        if step is Step.PLAN:
            return None if self.plan is not None else tr("Set up a plan the customer agrees to.")
        if step is Step.READ_DRAFT:
            if self.reading not in READINGS:
                return tr("Confirm that the customer read the whole agreement, or that you read it aloud.")
            return None
        if step in SIGN_STEPS:
            if SIGN_STEPS[step] in self.signatures:
                return None
            return tr("The customer has not signed yet.") if step is Step.SIGN_CUSTOMER else \
                tr("The agent has not signed yet.")
        if step is Step.PREVIEW:
            if self.agreement is None:
                return tr("The agreement could not be made: {reason}",
                          reason=self.agreement_error or tr("it has not been rendered"))
            return None
        return tr("The visit is finished.")

    def advance(self) -> Step:
        problem = self.blocker()
        if problem:
            raise BadInput(problem, field=self.step.value)
        now = self.setup.now()
        if self.step is Step.PRECHECK:
            self.started_at = now
        elif self.step is Step.CHECKIN and self.runtime is None:
            self.runtime = Runtime(self.setup.script, self.setup.case_facts(), self._script_lang(),
                                   clock=self.setup.clock, phrases=self.setup.phrases)
        elif self.step is Step.SCRIPT:
            self._carry_conversation_notes()
            if not self.needs_agreement:
                self.plan, self.schedule, self.signatures, self.agreement = None, [], {}, None
        steps = self.steps
        target = steps[steps.index(self.step) + 1]
        if target is Step.PREVIEW:
            self.render_agreement()
        if target is Step.DONE:
            self.ended_at = now
            self.result = self.build_record()
        self.step = target
        return target

    def can_go_back(self) -> bool:
        if self.step is Step.OUTCOME:
            return self.runtime is not None and self.runtime.can_go_back
        return self.step in (Step.PLAN, Step.READ_DRAFT, Step.SIGN_CUSTOMER, Step.SIGN_AGENT, Step.PREVIEW)

    def back(self) -> Step:
        """One step back; from the outcome this also undoes the conversation's last answer."""
        if not self.can_go_back():
            raise BadInput(self.tr("There is no step to go back to."), field=self.step.value)
        if self.step is Step.OUTCOME:
            assert self.runtime is not None
            self.runtime.back()
        self.step = self.steps[self.index - 1]
        return self.step

    # ------------------------------------------------------------------ precheck
    def precheck(self) -> Decision | None:
        """The planning check (policy, case state, script); a blocked visit cannot start."""
        self._start_problems = []
        case = self.setup.case
        if case.status != CaseStatus.OPEN:
            self._start_problems.append((N_("The case is closed."), {}))
        appt = case.appointment
        if appt is None:
            self._start_problems.append((N_("The case has no appointment; a visit needs one agreed "
                                            "and notified in advance."), {}))
        elif appt.status == "cancelled":
            self._start_problems.append((N_("The appointment was cancelled."), {}))
        try:
            Runtime(self.setup.script, self.setup.case_facts(), self._script_lang(),
                    clock=self.setup.clock, phrases=self.setup.phrases)
        except BadInput as exc:
            self._start_problems.append((N_("The conversation script cannot start: {reason}"),
                                         {"reason": str(exc)}))
        self.planning = None
        if appt is not None:
            try:
                self.planning = evaluate(context_from_case(case, practice=self.setup.practice), self.setup.policy,
                                         self.lang, checked_at=self.setup.now())
            except BadInput as exc:
                self._start_problems.append((N_("The policy check could not be made: {reason}"),
                                             {"reason": str(exc)}))
        return self.planning

    def time_problem(self) -> str | None:
        """Too early or too late to start the visit now, in the agent's language: the policy's
        check-in span (from its minutes before the start to the end), judged now, so the agent
        learns it at the door's step 1 rather than after waiting for a location. The time to
        come back is in the customer's zone, with its date when that is not today."""
        appt, rule = self.setup.case.appointment, self.setup.policy.appointment
        if appt is None or appt.status == "cancelled" or rule.severity != "block":
            return None
        now, tz = self.setup.now(), self.setup.case.customer.timezone
        today = in_zone(now, tz).date()
        earliest = appt.start - rule.checkin_early
        if now < earliest:
            return self.tr("Too early: come back from {time}.", time=clock_text(earliest, tz, today=today))
        if now > appt.end:
            return self.tr("Too late: the appointment ended at {time}.", time=clock_text(appt.end, tz, today=today))
        return None

    def case_problems(self) -> list[str]:
        """Reasons outside the policy's rules (case, appointment, time, script), in the agent's language."""
        out = [self.tr(template, **params) for template, params in self._start_problems]
        timing = self.time_problem()
        return out + [timing] if timing else out

    def start_problems(self) -> list[str]:
        """Every reason the visit cannot start, in the agent's language."""
        out = self.case_problems()
        if self.planning is not None and not self.planning.allowed:
            out += [r.message for r in self.planning.localized(self.lang).blocking]
        return out

    # ------------------------------------------------------------------ check-in
    def check_in(self, location: Location | None, exception: str | None = None) -> Decision:
        """Judge the check-in now; without a location the agent must say why (`exception`)."""
        if location is None and not (exception or "").strip():
            raise BadInput(self.tr("Say why no location can be recorded."), field="location_exception")
        now = self.setup.now()
        context = context_from_case(self.setup.case, now=now, agent_location=location, practice=self.setup.practice)
        self.checkin = evaluate(context, self.setup.policy, self.lang, evaluated_at=now)
        self.checked_in_at = now
        self.location = location
        self.location_exception = None if location is not None else exception.strip()  # type: ignore[union-attr]
        return self.checkin

    @property
    def distance_m(self) -> float | None:
        home = self.setup.case.customer.location
        if self.location is None or home is None:
            return None
        return round(distance_m((self.location.lat, self.location.lon), (home.lat, home.lon)), 1)

    # ------------------------------------------------------------------ outcome
    def set_notes(self, text: str) -> list[NoteWarning]:
        """Keep the visit notes; returns the wording the agent must confirm to keep."""
        if text != self.notes:
            self.notes = text
            self.note_numbers = personal_numbers(text)
            self.note_hits = check_notes(prepare_note(text).text, self.setup.phrases) if text.strip() else []
            self.notes_confirmed = False
        return list(self.note_hits)

    def confirm_notes(self, keep: bool = True) -> None:
        self.notes_confirmed = bool(keep)

    def _carry_conversation_notes(self) -> None:
        """Add the notes taken during the conversation (each once) to the visit notes. Wording
        the agent already chose to keep there needs no second confirmation."""
        rt = self.runtime
        if rt is None:
            return
        new = [text for n in rt.notes if (text := n.get("text", "").strip()) and text not in self.notes]
        if not new:
            return
        kept = {w.to_record() for w in rt.note_warnings}
        if self.notes_confirmed:
            kept |= {w.to_record() for w in self.note_hits}
        self.set_notes("\n".join(([self.notes.rstrip()] if self.notes.strip() else []) + new))
        if self.note_hits and all(w.to_record() in kept for w in self.note_hits):
            self.notes_confirmed = True

    # ------------------------------------------------------------------ agreement
    def set_plan(self, plan: Plan) -> list[Instalment]:
        """Accept `plan` (institution limits apply); a changed plan voids the signatures."""
        rows = check_plan(plan, self.setup.customer_today(), self.setup.limits)
        if plan != self.plan:
            self.signatures, self.agreement, self.reading, self._draft = {}, None, None, None
        self.plan, self.schedule = plan, rows
        return rows

    def clear_plan(self) -> None:
        self.plan, self.schedule, self.signatures, self.agreement = None, [], {}, None
        self.reading, self._draft = None, None

    def confirm_reading(self, how: str | None) -> None:
        """The agent's confirmation of how the customer took in the draft (a READINGS key;
        None withdraws it)."""
        if how is not None and how not in READINGS:
            raise BadInput(f"unknown way of reading {how!r}", field="reading")
        self.reading = how

    def reading_text(self) -> str | None:
        return self.tr(READINGS[self.reading]) if self.reading in READINGS else None

    def set_signature(self, role: str, png: bytes, captured_at: _dt.datetime, handwriting: Any = None) -> None:
        """Keep a signer's signature; `handwriting` (its strokes with times, from the pad) is
        encrypted to the institution's evidence key at once and only the envelope is kept."""
        if role not in ROLES:
            raise BadInput(f"unknown signer {role!r}", field="role")
        try:
            check_signature_png(png, field=f"signatures.{role}")
        except BadInput:
            raise BadInput(self.tr("The signature is empty or cannot be read; please sign again."),
                           field=f"signatures.{role}") from None
        if captured_at.tzinfo is None:
            raise ValueError("signature times must be timezone-aware")
        envelope = seal_handwriting(self.setup, self.agreement_id, role, png, handwriting)
        self.signatures[role] = SignatureCapture(role, png, captured_at, envelope)
        self.agreement = None

    def clear_signature(self, role: str) -> None:
        self.signatures.pop(role, None)
        self.agreement = None

    def draft_pdf(self) -> bytes:
        """The unsigned agreement of the current plan, for the customer to read before the
        pad (BadInput when there is no plan yet)."""
        if self.plan is None:
            raise BadInput(self.tr("Set up a plan the customer agrees to."), field="plan")
        if self._draft is None:
            self._draft = make_draft(self.setup, self.agreement_id, self.plan, self.setup.customer_today())
        return self._draft

    def render_agreement(self) -> Agreement | None:
        """The agreement PDF from the plan and both signatures (None, with the reason, if refused)."""
        self.agreement, self.agreement_error = None, None
        if self.plan is None or set(self.signatures) != set(ROLES):
            self.agreement_error = self.tr("the plan or a signature is missing")
            return None
        agreed_on = self.signatures["customer"].captured_at.astimezone(
            zone(self.setup.case.customer.timezone)).date()
        try:
            self.agreement = make_agreement(self.setup, self.agreement_id, self.plan, agreed_on, self.signatures)
        except BadInput as exc:
            self.agreement_error = str(exc)
        return self.agreement

    # ------------------------------------------------------------------ result
    def build_record(self) -> tuple[VisitRecord, dict[str, bytes]]:
        rt = self.runtime
        if rt is None or not rt.finished or self.started_at is None:
            raise BadInput(self.tr("Finish the conversation first."), field="script")
        part = rt.record()
        warnings = list(dict.fromkeys(part["note_warnings"] + [w.to_record() for w in self.note_hits]))
        agreement, files = None, {}
        if self.needs_agreement:
            if self.agreement is None:
                raise BadInput(self.tr("The agreement could not be made: {reason}",
                                       reason=self.agreement_error or "-"), field="agreement")
            agreement = self.agreement.record(self.signatures, read_before_signing=self.reading)
            files = self.agreement.attachments(self.signatures)
        # The photos waiting for this visit now: the record lists them, the report shows them
        # and the visit takes exactly these along (one added later waits for the next visit).
        photos = list(self.setup.photos()) if self.setup.photos is not None else []
        try:
            record = self._record(part, warnings, agreement, [ref for ref, _data in photos])
        except ValidationError as exc:  # a bug, not the agent's doing: say which field
            problem = exc.errors()[0]
            raise BadInput(str(problem.get("msg")), field=".".join(map(str, problem.get("loc", ())))) from None
        photo_files = {ref.sha256: data for ref, data in photos}
        files.update(photo_files)
        try:
            report = make_report(self.setup, record, photo_files)
        except BadInput as exc:  # the visit is kept all the same; the lead reads it from the record
            log.warning("the visit report could not be made: %s", exc.field or type(exc).__name__)
            return record, files
        record = record.model_copy(update={"report_sha256": report.sha256})
        files[report.sha256] = report.pdf
        return record, files

    def _record(self, part: dict[str, Any], warnings: list[str], agreement: Any,
                photos: list[Any] | None = None) -> VisitRecord:
        return VisitRecord(
            visit_id=self.visit_id, case_id=self.setup.case.id, agent_started_at=self.started_at,
            checked_in_at=self.checked_in_at, ended_at=self.ended_at or self.setup.now(),
            location=self.location, location_exception=self.location_exception, distance_m=self.distance_m,
            planning_decision=self.planning.to_json() if self.planning else None,
            checkin_decision=self.checkin.to_json() if self.checkin else None,
            script_id=part["script_id"], transcript=part["transcript"], outcome=Outcome(part["outcome"]),
            contact_made=part["contact_made"], notes=prepare_note(self.notes).text, note_warnings=warnings,
            promise=PromiseToPay(**part["promise"]) if part["promise"] else None,
            agreement=agreement, corrects_visit_id=self.setup.corrects_visit_id, photos=photos or [],
        )

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready snapshot (the app stores it as the case's draft)."""
        plan = self.plan
        return {
            "format": FORMAT, "visit_id": self.visit_id, "case_id": self.setup.case.id,
            "lang": self.lang, "step": self.step.value,
            "started_at": _when(self.started_at), "ended_at": _when(self.ended_at),
            "planning": self.planning.to_json() if self.planning else None,
            "checkin": self.checkin.to_json() if self.checkin else None,
            "checked_in_at": _when(self.checked_in_at),
            "location": self.location.model_dump() if self.location else None,
            "location_exception": self.location_exception,
            "runtime": self.runtime.to_json() if self.runtime else None,
            "notes": prepare_note(self.notes).text if self.note_numbers else self.notes,
            "notes_confirmed": self.notes_confirmed,
            "plan": None if plan is None else {
                "kind": plan.kind.value, "currency": plan.currency, "amount_due": format(plan.amount_due, "f"),
                "total": format(plan.total, "f"), "first_due": plan.first_due.isoformat(), "count": plan.count,
                "frequency": plan.frequency.value if plan.frequency else None, "remainder": plan.remainder.value},
            "signatures": {role: sig.to_draft() for role, sig in self.signatures.items()},
            "reading": self.reading,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, setup: VisitSetup, saved: str | dict[str, Any], lang: str | None = None) -> "FlowState":
        """Resume a saved visit for `setup.case`; a damaged or foreign draft is BadInput."""
        where = "saved visit"
        try:
            data = json.loads(saved) if isinstance(saved, str) else dict(saved)
            if data.get("format") != FORMAT:
                raise BadInput(f"not a saved visit (format {data.get('format')!r})", where=where)
            if data["case_id"] != setup.case.id:
                raise BadInput(f"the saved visit belongs to case {data['case_id']}, not {setup.case.id}",
                               where=where, field="case_id")
            self = cls(setup, lang or data["lang"], visit_id=data["visit_id"])
            step = Step(data["step"])
            self.started_at = _parse(data["started_at"], "started_at")
            self.ended_at = _parse(data.get("ended_at"), "ended_at")
            if step is not Step.PRECHECK and data["planning"] is not None:  # else: checked afresh
                self.planning = Decision.from_json(data["planning"], where=f"{where} planning")
            if data["checkin"] is not None:
                self.checkin = Decision.from_json(data["checkin"], where=f"{where} checkin")
            self.checked_in_at = _parse(data["checked_in_at"], "checked_in_at")
            self.location = Location(**data["location"]) if data["location"] else None
            self.location_exception = data["location_exception"]
            if data["runtime"]:
                self.runtime = Runtime.from_json(data["runtime"], clock=setup.clock, phrases=setup.phrases)
                self.set_language(self.lang)
            self.set_notes(data["notes"])
            self.notes_confirmed = bool(data["notes_confirmed"])
            if data["plan"]:
                self.plan = _plan(data["plan"])
                self.schedule = schedule(self.plan)
            for role, sig in data["signatures"].items():
                self.signatures[role] = SignatureCapture(
                    role, _b64(sig["png_base64"]), parse_aware(sig["captured_at"], field=f"signatures.{role}"),
                    _b64(sig["evidence_base64"]) if sig.get("evidence_base64") else None)
            self.reading = data.get("reading") if data.get("reading") in READINGS else None
            if step not in self.steps:
                raise BadInput(f"step {step.value} does not follow from the saved answers", where=where)
            if step in (Step.SIGN_CUSTOMER, Step.SIGN_AGENT, Step.PREVIEW) and self.reading is None:
                step = Step.READ_DRAFT  # saved before the reading was asked for: the customer reads first
            self.step = step
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadInput(f"the saved visit is damaged ({type(exc).__name__}: {exc})", where=where) from None
        if self.step is Step.PREVIEW:
            self.render_agreement()
        return self


def _when(value: _dt.datetime | None) -> str | None:
    return None if value is None else iso(value)


def _parse(value: str | None, field: str) -> _dt.datetime | None:
    return None if value is None else parse_aware(value, field=field, where="saved visit")


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _plan(data: dict[str, Any]) -> Plan:
    return Plan(kind=PlanKind(data["kind"]), currency=data["currency"], amount_due=Decimal(data["amount_due"]),
                total=Decimal(data["total"]), first_due=_dt.date.fromisoformat(data["first_due"]),
                count=int(data["count"]),
                frequency=Frequency(data["frequency"]) if data["frequency"] else None,
                remainder=Remainder(data["remainder"]))
