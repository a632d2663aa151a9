"""The evaluator: a pure function of (context, policy) -> Decision, one result per rule.

Everything is judged in the customer's zone from the instants given (so the machine's
own zone never matters, and DST gaps/overlaps need no special case: an instant has one
local wall time). A window holds when the whole appointment, end inclusive, lies inside
the allowed hours of one allowed day; an appointment ending exactly at midnight ends at
24:00 of its day. Planning checks (no `now`) leave out the check-in rules (appointment
time and geofence): the decision says which check it is.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from fieldapp.core.errors import BadInput
from fieldapp.geo.distance import check_geofence
from fieldapp.policy.calendar import national, year_calendar
from fieldapp.policy.context import Context
from fieldapp.policy.decision import Decision, Result
from fieldapp.policy.messages import language
from fieldapp.policy.model import CHANNEL_ORDER, WEEKDAYS, Policy

_DAY = dt.timedelta(days=1)


def _clock(t: dt.datetime) -> str:
    if t.microsecond:
        return t.strftime("%H:%M:%S.%f")
    if t.second:
        return f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    return f"{t.hour:02d}:{t.minute:02d}"


def _stamp(t: dt.datetime) -> str:
    # Moments such as "now" at check-in are shown to the second; fractions are noise here.
    t = t.replace(microsecond=0)
    if t.second:
        return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {_clock(t)}"
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}"


def _hours(delta: dt.timedelta) -> str:
    """Hours rounded down to a tenth, so a shortfall is never shown as the limit."""
    tenths = math.floor(delta.total_seconds() / 360 + 1e-9)
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths / 10:.1f}"


def _metres(distance: float, limit: float) -> str:
    shown = round(distance)
    if shown == round(limit) and distance != limit:
        return f"{distance:.1f}"
    return str(shown)


class _Rules:
    """One evaluation; each method appends one result."""

    __slots__ = ("ctx", "policy", "lang", "results", "start", "end", "end_secs", "dates", "checked_at")

    def __init__(self, ctx: Context, policy: Policy, lang: str, checked_at: dt.datetime | None = None):
        self.ctx, self.policy, self.lang = ctx, policy, lang
        self.checked_at = ctx.now if ctx.now is not None else checked_at
        self.results: list[Result] = []
        tz = ctx.zone
        self.start = ctx.start.astimezone(tz)
        self.end = ctx.end.astimezone(tz)
        end = self.end
        self.end_secs = end.hour * 3600 + end.minute * 60 + end.second
        last = end.date()
        if self.end_secs == 0 and not end.microsecond and last > self.start.date():
            self.end_secs, last = 86400, last - _DAY  # ends at 24:00 of the day before
        days, day = [], self.start.date()
        while day <= last:
            days.append(day)
            day += _DAY
        self.dates = days

    def add(self, rule: str, category: str, passed: bool, severity: str, code: str,
            facts: dict[str, Any]) -> None:
        self.results.append(Result(rule, category, passed, severity, code, facts, self.lang))

    # -- flags
    def flags(self) -> None:
        rules = self.policy.flags
        blocking = sorted(self.ctx.flags & rules.block)
        if blocking:
            self.add("flag.blocking", "flag", False, "block", "flag.blocking.fail", {"flags": blocking})
        else:
            self.add("flag.blocking", "flag", True, "block", "flag.blocking.ok", {})
        if rules.warn:
            caution = sorted(self.ctx.flags & rules.warn)
            self.add("flag.caution", "flag", not caution, "warn",
                     "flag.caution.fail" if caution else "flag.caution.ok", {"flags": caution} if caution else {})

    # -- notice
    def notice(self) -> None:
        n = self.policy.notice
        rule, sev = "notice.lead_time", n.severity
        if not n.required:
            self.add(rule, "notice", True, sev, "notice.lead_time.not_required", {})
            return
        how = "delivered" if n.require_delivery else "sent"
        any_time = not n.min_notice
        facts: dict[str, Any] = {"channels": list(n.ordered), "zone": self.ctx.timezone,
                                 "then": [f"notice.req.{how}{'_any' if any_time else ''}"]}
        if not any_time:
            facts["min_hours"] = _hours(n.min_notice)
        notes = self.ctx.notifications
        accepted = [x for x in notes if x.channel in n.channels]
        if not notes:
            self.add(rule, "notice", False, sev, "notice.lead_time.none", facts)
            return
        if not accepted:
            facts["found"] = sorted({x.channel for x in notes}, key=CHANNEL_ORDER.index)
            self.add(rule, "notice", False, sev, "notice.lead_time.wrong_channel", facts)
            return
        if self.checked_at is not None:
            # A notice recorded after the time of this check (beyond the clocks' allowed
            # difference) has not happened yet: the record is wrong, and it cannot count.
            limit = self.checked_at + n.max_clock_skew
            future = [(x.sent_at, x.channel, "sent") for x in accepted if x.sent_at > limit]
            if n.require_delivery:
                future += [(x.delivered_at, x.channel, "delivered") for x in accepted
                           if x.delivered_at is not None and x.delivered_at > limit]
            if future:
                when, channel, what = min(future)
                facts.update(channel=channel, at=_stamp(when.astimezone(self.ctx.zone)),
                             now=_stamp(self.checked_at.astimezone(self.ctx.zone)))
                self.add(rule, "notice", False, sev, f"notice.lead_time.future_{what}", facts)
                return
        if n.require_delivery:
            timed = [(x.delivered_at, x.channel) for x in accepted if x.delivered_at is not None]
            if not timed:
                first = min(accepted, key=lambda x: x.sent_at)
                facts.update(channel=first.channel, at=_stamp(first.sent_at.astimezone(self.ctx.zone)))
                self.add(rule, "notice", False, sev, "notice.lead_time.undelivered", facts)
                return
        else:
            timed = [(x.sent_at, x.channel) for x in accepted]
        when, channel = min(timed)
        lead = self.ctx.start - when
        facts.update(channel=channel, at=_stamp(when.astimezone(self.ctx.zone)))
        if lead >= n.min_notice and lead > dt.timedelta(0):
            facts["hours"] = _hours(lead)
            self.add(rule, "notice", True, sev, f"notice.lead_time.ok_{how}", facts)
        elif lead <= dt.timedelta(0):
            self.add(rule, "notice", False, sev, f"notice.lead_time.late_{how}", facts)
        else:
            facts["hours"] = _hours(lead)
            self.add(rule, "notice", False, sev, f"notice.lead_time.short_{how}", facts)

    # -- window: hours and days
    def hours(self) -> None:
        w = self.policy.window
        s, e = self.start, self.end
        facts: dict[str, Any] = {"start": _clock(s), "end": "24:00" if self.end_secs == 86400 else _clock(e),
                                 "zone": self.ctx.timezone, "earliest": w.earliest, "latest": w.latest}
        if len(self.dates) > 1:
            facts.update(start_date=s.date().isoformat(), end_date=e.date().isoformat())
            self.add("window.hours", "window", False, w.severity, "window.hours.crosses_midnight", facts)
            return
        early = s.hour * 60 + s.minute < w.start
        late = self.end_secs > w.end * 60 or (self.end_secs == w.end * 60 and e.microsecond > 0)
        code = "outside" if early and late else "starts_early" if early else "ends_late" if late else "ok"
        self.add("window.hours", "window", code == "ok", w.severity, f"window.hours.{code}", facts)

    def days(self) -> None:
        w = self.policy.window
        verdict: tuple[bool, str, dict[str, Any]] | None = None
        for day in self.dates:
            facts: dict[str, Any] = {"weekday": WEEKDAYS[day.weekday()], "date": day.isoformat()}
            if w.days == "every_day":
                passed, code = True, "every_day"
            elif w.days == "weekdays":
                passed = day.weekday() in w.weekdays
                code = "weekday_ok" if passed else "weekday_fail"
                facts["days"] = [WEEKDAYS[i] for i in sorted(w.weekdays)]
            else:
                cal = year_calendar(self.ctx.region, day.year)
                facts["calendar"] = self.ctx.region
                passed = cal.is_working_day(day)
                if passed:
                    code = "makeup" if day in cal.makeup else "working"
                elif day in cal.holidays:
                    code, facts["holiday"] = "holiday", cal.holidays[day]
                else:
                    code = "weekend"
            if verdict is None or (verdict[0] and not passed):
                verdict = (passed, code, facts)
        assert verdict is not None
        passed, code, facts = verdict
        self.add("window.days", "window", passed, w.severity, f"window.days.{code}", facts)

    # -- public holidays
    def holiday(self) -> None:
        h = self.policy.holidays
        if not h.banned:
            self.add("holiday.public", "holiday", True, h.severity, "holiday.public.allowed", {})
            return
        region = self.ctx.region if h.scope == "region" else national(self.ctx.region)
        found = None
        for day in self.dates:
            name = year_calendar(region, day.year).holidays.get(day)
            if name is not None:
                found = (day, name)
                break
        if found is None:
            self.add("holiday.public", "holiday", True, h.severity, "holiday.public.ok",
                     {"date": self.dates[0].isoformat(), "calendar": region})
        else:
            self.add("holiday.public", "holiday", False, h.severity, "holiday.public.fail",
                     {"date": found[0].isoformat(), "calendar": region, "holiday": found[1]})

    # -- frequency
    def frequency(self) -> None:
        f = self.policy.frequency
        if f.max_visits is None:
            self.add("frequency.visits", "frequency", True, f.severity, "frequency.visits.no_limit", {})
            return
        first_day = self.start.date() - dt.timedelta(days=f.per_days - 1)
        horizon = self.ctx.start - dt.timedelta(days=f.per_days + 1)
        tz, start, only_contact = self.ctx.zone, self.ctx.start, f.count == "contact_made"
        counted = [v.at for v in self.ctx.visits
                   if horizon <= v.at < start and (v.contact_made or not only_contact)
                   and v.at.astimezone(tz).date() >= first_day]
        facts: dict[str, Any] = {"kind": f.count, "days": f.per_days, "count": len(counted), "max": f.max_visits}
        if len(counted) < f.max_visits:
            self.add("frequency.visits", "frequency", True, f.severity, "frequency.visits.ok", facts)
        else:
            facts["last"] = max(counted).astimezone(tz).date().isoformat()
            self.add("frequency.visits", "frequency", False, f.severity, "frequency.visits.fail", facts)

    def attempts(self) -> None:
        """Every contact attempt counts: visits (whatever their outcome), calls and messages."""
        f = self.policy.frequency
        if f.max_attempts is None:
            return
        first_day = self.start.date() - dt.timedelta(days=f.per_days - 1)
        horizon = self.ctx.start - dt.timedelta(days=f.per_days + 1)
        tz, start = self.ctx.zone, self.ctx.start

        def within(t: dt.datetime) -> bool:
            return horizon <= t < start and t.astimezone(tz).date() >= first_day

        visits = [v.at for v in self.ctx.visits if within(v.at)]
        calls = [a.at for a in self.ctx.attempts if a.channel == "call" and within(a.at)]
        messages = [a.at for a in self.ctx.attempts if a.channel != "call" and within(a.at)]
        counted = visits + calls + messages
        facts: dict[str, Any] = {"days": f.per_days, "count": len(counted), "max": f.max_attempts,
                                 "visits": len(visits), "calls": len(calls), "messages": len(messages)}
        if len(counted) < f.max_attempts:
            self.add("frequency.attempts", "frequency", True, f.severity, "frequency.attempts.ok", facts)
        else:
            facts["last"] = max(counted).astimezone(tz).date().isoformat()
            self.add("frequency.attempts", "frequency", False, f.severity, "frequency.attempts.fail", facts)

    # -- check-in rules
    def appointment(self, now: dt.datetime) -> None:
        a = self.policy.appointment
        tz = self.ctx.zone
        earliest = self.ctx.start - a.checkin_early
        facts: dict[str, Any] = {"now": _stamp(now.astimezone(tz)), "zone": self.ctx.timezone,
                                 "start": _stamp(self.start), "end": _stamp(self.end),
                                 "earliest": _stamp(earliest.astimezone(tz)), "early": a.checkin_early_minutes}
        if now < earliest:
            facts["minutes"] = math.ceil((self.ctx.start - now).total_seconds() / 60)
            self.add("appointment.checkin", "appointment", False, a.severity, "appointment.checkin.early", facts)
        elif now > self.ctx.end:
            self.add("appointment.checkin", "appointment", False, a.severity, "appointment.checkin.late", facts)
        else:
            self.add("appointment.checkin", "appointment", True, a.severity, "appointment.checkin.ok", facts)

    def geofence(self) -> None:
        g = self.policy.geofence
        rule, limit = "geofence.distance", g.max_distance_m
        facts: dict[str, Any] = {"max": _metres(limit, limit)}
        agent = self.ctx.agent_location
        if self.ctx.location is None:
            self.add(rule, "geofence", False, g.missing_location, "geofence.distance.no_customer_location", facts)
            return
        if agent is None:
            self.add(rule, "geofence", False, g.missing_location, "geofence.distance.no_agent_location", facts)
            return
        check = check_geofence((agent.lat, agent.lon), self.ctx.location, max_distance_m=limit,
                               accuracy_m=agent.accuracy_m)
        facts.update(distance=_metres(check.distance_m, limit),
                     accuracy_m=None if agent.accuracy_m is None else round(agent.accuracy_m))
        if not check.inside:
            self.add(rule, "geofence", False, g.severity, "geofence.distance.far", facts)
        elif not check.conclusive:
            self.add(rule, "geofence", False, "warn", "geofence.distance.imprecise", facts)
        else:
            self.add(rule, "geofence", True, g.severity, "geofence.distance.ok", facts)


    # -- training
    def training(self) -> None:
        t = self.policy.training
        rule, practice = "training.practice", self.ctx.practice
        if practice is None:
            self.add(rule, "training", False, "warn", "training.practice.unknown", {})
            return
        facts: dict[str, Any] = {"script": practice.script_id, "version": practice.version}
        when = practice.of_version(practice.version)
        if when is not None:
            facts["date"] = when.astimezone(self.ctx.zone).date().isoformat()
            self.add(rule, "training", True, t.severity, "training.practice.ok", facts)
            return
        older = sorted({v for v, _ in practice.completed if v != practice.version})
        if older:
            facts["versions"] = ", ".join(str(v) for v in older)
            self.add(rule, "training", False, t.severity, "training.practice.outdated", facts)
        else:
            self.add(rule, "training", False, t.severity, "training.practice.missing", facts)


def evaluate(context: Context, policy: Policy, lang: str | None = "en", *,
             evaluated_at: dt.datetime | None = None, checked_at: dt.datetime | None = None) -> Decision:
    """Judge `context` under `policy`; the sentences are in `lang` (en or zh_CN).

    `evaluated_at` defaults to the context's `now` (None for a planning check), so the
    same input always gives the same decision. `checked_at` is the time of a planning check
    (the context's `now` is used for a check-in): notices recorded after it are refused.
    Without either, notice times are not compared with a clock.
    """
    lang = language(lang)
    if not policy.covers(context.region):
        raise BadInput(f"policy {policy.id} applies to {', '.join(policy.regions)}, "
                       f"not to the customer's region {context.region}", field="customer.region")
    rules = _Rules(context, policy, lang, checked_at)
    rules.flags()
    rules.notice()
    rules.hours()
    rules.days()
    rules.holiday()
    rules.frequency()
    rules.attempts()
    if policy.training.require_practice:
        rules.training()
    if context.now is not None:
        rules.appointment(context.now)
        rules.geofence()
    results = tuple(rules.results)
    allowed = not any(r.blocks for r in results)
    return Decision(allowed, "checkin" if context.now is not None else "planning", policy.id, policy.version,
                    results, lang, evaluated_at if evaluated_at is not None else context.now)
