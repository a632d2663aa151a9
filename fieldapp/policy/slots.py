"""Finding and checking appointment slots: the policy engine asked "may we propose this time?".

A proposed appointment has not been announced yet, so it is judged as if its notice went
out now on the channels the customer can be reached by, and reached the customer after a
margin (`SlotRules.notice_margin`): the policy's own notice rule then says whether the lead
time is long enough. Every other rule (hours, working days with holidays and make-up days,
public holidays, visit frequency, blocking flags) is the evaluator's, unchanged. On top,
the agent's other appointments must leave room for the travel between the two addresses
(`fieldapp.geo.travel`).

Slots are offered in the customer's local time, on a grid (`step`) inside the policy's
allowed hours, from the first moment a notice can announce them. Pure: no I/O, no clock
(the caller passes `now`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fieldapp.core.i18n import Translator
from fieldapp.core.records import replace
from fieldapp.geo.travel import Point, TravelModel
from fieldapp.policy.context import Context, Notification, PastVisit
from fieldapp.policy.decision import Decision
from fieldapp.policy.evaluate import evaluate
from fieldapp.policy.messages import language
from fieldapp.policy.model import Policy

# The sentences this module adds to the evaluator's (zh_CN: translations/zh_CN/appointments.po).
CONFLICT = ("The agent has another appointment {start}-{end} ({reference}); with {minutes} minutes "
            "of travel between the two addresses the times overlap.")
TOO_SOON = ("The appointment starts at {start} {zone} time, before {earliest}, the earliest time a "
            "notice sent now can announce.")
NO_CHANNEL = "The customer has no email address or mobile number to send the notice to."
NO_SLOT = "No allowed time in the next {days} days."


@dataclass(frozen=True, slots=True)
class SlotRules:
    duration: dt.timedelta = dt.timedelta(hours=1)
    step: dt.timedelta = dt.timedelta(minutes=30)
    horizon_days: int = 14
    notice_margin: dt.timedelta = dt.timedelta(hours=1)  # from proposing to the notice's delivery
    travel: TravelModel = TravelModel()


@dataclass(frozen=True, slots=True)
class Busy:
    """Another appointment of the same agent: when, where, and what to call it."""

    id: str
    start: dt.datetime
    end: dt.datetime
    location: Point | None = None
    reference: str = ""


@dataclass(frozen=True, slots=True)
class Conflict:
    busy: Busy
    minutes: int  # travel allowed between the two addresses

    def message(self, lang: str, zone: dt.tzinfo) -> str:
        tr = Translator.for_language(lang)
        start, end = self.busy.start.astimezone(zone), self.busy.end.astimezone(zone)
        return tr(CONFLICT, start=_stamp(start), end=_clock(end), reference=self.busy.reference or "—",
                  minutes=self.minutes)


@dataclass(frozen=True)
class SlotCheck:
    """One slot judged: the policy decision, the agent's conflicts, and whether a notice sent
    now can still announce it."""

    start: dt.datetime
    end: dt.datetime
    decision: Decision
    conflicts: tuple[Conflict, ...]
    earliest: dt.datetime
    zone: dt.tzinfo
    timezone: str
    has_channel: bool = True

    @property
    def too_soon(self) -> bool:
        return self.start < self.earliest

    @property
    def allowed(self) -> bool:
        return self.decision.allowed and not self.conflicts and not self.too_soon and self.has_channel

    def reasons(self, lang: str = "en") -> list[str]:
        """Why the slot may not be proposed (empty when it may), in `lang`."""
        lang = language(lang)
        tr = Translator.for_language(lang)
        out: list[str] = []
        if not self.has_channel:
            out.append(tr(NO_CHANNEL))
        if self.too_soon:
            out.append(tr(TOO_SOON, start=_stamp(self.start.astimezone(self.zone)), zone=self.timezone,
                          earliest=_stamp(self.earliest.astimezone(self.zone))))
        out += [r.message for r in self.decision.localized(lang).blocking]
        out += [c.message(lang, self.zone) for c in self.conflicts]
        return out

    def to_json(self, lang: str = "en") -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "allowed": self.allowed,
                "reasons": self.reasons(lang), "decision": self.decision.localized(lang).to_json()}


@dataclass(frozen=True)
class SlotSearch:
    slots: list[SlotCheck]
    why_none: list[str]  # when no slot was found: why (the first candidate's reasons)


def _clock(t: dt.datetime) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def _stamp(t: dt.datetime) -> str:
    return f"{t.date().isoformat()} {_clock(t)}"


def customer_context(*, timezone: str, region: str, location: Point | None = None,
                     flags: Iterable[str] = (), visits: Iterable[PastVisit] = (),
                     where: str | None = None) -> Context:
    """A planning context for the customer without an appointment yet (one is put in per slot)."""
    start = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    return Context.build(timezone=timezone, region=region, start=start, end=start + dt.timedelta(hours=1),
                         location=location, flags=list(flags), visits=list(visits), where=where)


def context_of_record(record) -> Context:  # type: ignore[no-untyped-def]
    """The customer context of a wire `CaseRecord` (its visits count towards frequency)."""
    c = record.customer
    location = (c.location.lat, c.location.lon) if c.location is not None else None
    return customer_context(timezone=c.timezone, region=c.region, location=location,
                            flags=[str(f) for f in c.flags],
                            visits=[PastVisit(v.at, v.contact_made) for v in record.visits],
                            where=f"case {record.reference}")


def earliest_start(policy: Policy, now: dt.datetime, rules: SlotRules) -> dt.datetime:
    """The first moment a notice sent now can announce, under the policy's lead time."""
    lead = policy.notice.min_notice if policy.notice.required else dt.timedelta(0)
    return now + rules.notice_margin + lead


def check_slot(base: Context, policy: Policy, start: dt.datetime, end: dt.datetime, *,
               now: dt.datetime, channels: Sequence[str], busy: Iterable[Busy] = (),
               rules: SlotRules = SlotRules(), lang: str = "en") -> SlotCheck:
    """May an appointment `start`-`end` be proposed now? `channels` are the ones the notice
    will go out on (email, sms); `busy` the agent's other appointments."""
    sent = now + rules.notice_margin
    notices = tuple(Notification(ch, sent, sent) for ch in channels)
    ctx = replace(Context.build(timezone=base.timezone, region=base.region, start=start, end=end,
                                location=base.location, flags=base.flags, visits=base.visits),
                  notifications=notices)
    decision = evaluate(ctx, policy, lang)
    travel = rules.travel
    conflicts = []
    for other in busy:
        minutes = max(travel.minutes(other.location, base.location), travel.minutes(base.location, other.location))
        gap = dt.timedelta(minutes=minutes)
        if start < other.end + gap and end + gap > other.start:
            conflicts.append(Conflict(other, minutes))
    return SlotCheck(start, end, decision, tuple(conflicts), earliest_start(policy, now, rules), base.zone,
                     base.timezone, has_channel=bool(channels))


def find_slots(base: Context, policy: Policy, *, now: dt.datetime, channels: Sequence[str],
               busy: Iterable[Busy] = (), rules: SlotRules = SlotRules(), count: int = 5,
               lang: str = "en", after: dt.datetime | None = None) -> SlotSearch:
    """The next `count` allowed slots on the grid, in time order, from `after` (default: the
    earliest a notice can announce)."""
    busy = tuple(busy)
    tz = base.zone
    first = max(earliest_start(policy, now, rules), after or now)
    window, step = policy.window, int(rules.step.total_seconds() // 60) or 30
    minutes = int(rules.duration.total_seconds() // 60)
    slots: list[SlotCheck] = []
    first_refusal: SlotCheck | None = None
    day = first.astimezone(tz).date()
    last_day = day + dt.timedelta(days=rules.horizon_days)
    while day <= last_day and len(slots) < count:
        m = -(-window.start // step) * step
        while m + minutes <= window.end and len(slots) < count:
            start = dt.datetime.combine(day, dt.time(m // 60, m % 60), tz)
            start = start.astimezone(dt.timezone.utc).astimezone(tz)  # a DST gap moves the time
            m += step
            if start < first:
                continue
            check = check_slot(base, policy, start, start + rules.duration, now=now, channels=channels,
                               busy=busy, rules=rules, lang=lang)
            if check.allowed:
                slots.append(check)
            elif first_refusal is None:
                first_refusal = check
                flags = [r for r in check.decision.localized(lang).blocking if r.category == "flag"]
                if not check.has_channel or flags:  # no time will do
                    tr = Translator.for_language(language(lang))
                    return SlotSearch([], ([] if check.has_channel else [tr(NO_CHANNEL)])
                                      + [r.message for r in flags])
        day += dt.timedelta(days=1)
    why: list[str] = []
    if not slots:
        why = first_refusal.reasons(lang) if first_refusal is not None else []
        why.append(Translator.for_language(language(lang))(NO_SLOT, days=rules.horizon_days))
    return SlotSearch(slots, why)


__all__ = ["Busy", "Conflict", "SlotCheck", "SlotRules", "SlotSearch", "check_slot", "context_of_record",
           "customer_context", "earliest_start", "find_slots"]
