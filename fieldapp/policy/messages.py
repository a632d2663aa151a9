"""The sentences a decision speaks, rendered from a message code and its facts.

A result stores `code` (which sentence) and `facts` (the numbers, times and codes in it),
so stored evidence can be shown again in another language (`Decision.localized`). The
English templates below are the translation source (zh_CN: resources/translations/
zh_CN/policy.po). Facts named `channel(s)`, `found`, `flags`, `weekday`, `days`, `kind`,
`holiday`, `accuracy_m`, `zone` (a place: "China time"), `calendar` (a region: "mainland
China"), `policy` (its name in the language) and `rules` are codes or raw values that are
put into words here.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import Translator, normalise_language
from fieldapp.core.places import region_name, zone_place
from fieldapp.policy.calendar import holiday_name

TEMPLATES: dict[str, str] = {
    # flags
    "flag.blocking.ok": "No flag on the customer blocks a visit.",
    "flag.blocking.fail": "The visit is blocked by a flag on the customer: {flags}.",
    "flag.caution.ok": "No flag on the customer calls for caution.",
    "flag.caution.fail": "A flag on the customer calls for caution before the visit: {flags}.",
    # notice
    "notice.lead_time.not_required": "This policy does not require advance notice of the visit.",
    "notice.lead_time.ok_delivered": "Notice by {channel} was delivered at {at} {zone} time, {hours} hours before the start.",
    "notice.lead_time.ok_sent": "Notice by {channel} was sent at {at} {zone} time, {hours} hours before the start.",
    "notice.lead_time.none": "No notice of the visit was sent.",
    "notice.lead_time.wrong_channel": "Notice was sent only by {found}, which this policy does not accept.",
    "notice.lead_time.undelivered": "Notice by {channel} was sent at {at} {zone} time, but its delivery is not confirmed.",
    "notice.lead_time.short_delivered": "The earliest notice by {channel} was delivered at {at} {zone} time, only {hours} hours before the start.",
    "notice.lead_time.short_sent": "The earliest notice by {channel} was sent at {at} {zone} time, only {hours} hours before the start.",
    "notice.lead_time.late_delivered": "The earliest notice by {channel} was delivered at {at} {zone} time, not before the start.",
    "notice.lead_time.late_sent": "The earliest notice by {channel} was sent at {at} {zone} time, not before the start.",
    "notice.lead_time.future_delivered": "The notice by {channel} is recorded as delivered at {at} {zone} time, later than the time of this check ({now}); a notice cannot count before it has happened.",
    "notice.lead_time.future_sent": "The notice by {channel} is recorded as sent at {at} {zone} time, later than the time of this check ({now}); a notice cannot count before it has happened.",
    "notice.req.delivered": "This policy requires notice by {channels}, delivered at least {min_hours} hours before the start.",
    "notice.req.sent": "This policy requires notice by {channels}, sent at least {min_hours} hours before the start.",
    "notice.req.delivered_any": "This policy requires notice by {channels}, delivered before the start.",
    "notice.req.sent_any": "This policy requires notice by {channels}, sent before the start.",
    # window
    "window.hours.ok": "The appointment {start}-{end} {zone} time lies within the allowed hours {earliest}-{latest}.",
    "window.hours.starts_early": "The appointment starts at {start} {zone} time, before the earliest allowed {earliest}.",
    "window.hours.ends_late": "The appointment ends at {end} {zone} time, after the latest allowed {latest}.",
    "window.hours.outside": "The appointment {start}-{end} {zone} time starts before the earliest allowed {earliest} and ends after the latest allowed {latest}.",
    "window.hours.crosses_midnight": "The appointment runs from {start_date} {start} to {end_date} {end} {zone} time, across midnight; it must lie within the allowed hours {earliest}-{latest} of one day.",
    "window.days.every_day": "Visits are allowed on every day of the week; the appointment is on {weekday} {date}.",
    "window.days.weekday_ok": "The appointment is on {weekday} {date}, an allowed day ({days}).",
    "window.days.weekday_fail": "The appointment is on {weekday} {date}; visits are allowed only on {days}.",
    "window.days.working": "{weekday} {date} is an official working day in {calendar}.",
    "window.days.makeup": "{weekday} {date} is an official make-up working day in {calendar}.",
    "window.days.holiday": "{weekday} {date} is not a working day in {calendar}: {holiday}.",
    "window.days.weekend": "{weekday} {date} is a weekend day, not a working day in {calendar}.",
    # holidays
    "holiday.public.allowed": "This policy does not ban visits on public holidays.",
    "holiday.public.ok": "{date} is not a public holiday in {calendar}.",
    "holiday.public.fail": "{date} is a public holiday in {calendar} ({holiday}); this policy bans visits on public holidays.",
    # frequency
    "frequency.visits.no_limit": "This policy sets no limit on how often a customer is visited.",
    "frequency.visits.ok": "Earlier {kind} in the {days} days before this appointment: {count}; at most {max} are allowed in {days} days, this visit included.",
    "frequency.attempts.ok": "Contact attempts in the {days} days before this appointment: {count} ({visits} visits, {calls} calls, {messages} messages); at most {max} are allowed in {days} days, this visit included.",
    "frequency.attempts.fail": "Contact attempts in the {days} days before this appointment: {count} ({visits} visits, {calls} calls, {messages} messages), the latest on {last}; at most {max} are allowed in {days} days, this visit included.",
    "frequency.visits.fail": "Earlier {kind} in the {days} days before this appointment: {count}, the latest on {last}; at most {max} are allowed in {days} days, this visit included.",
    # geofence
    "geofence.distance.ok": "The agent is {distance} m from the customer's address ({accuracy}); the limit is {max} m.",
    "geofence.distance.far": "The agent is {distance} m from the customer's address ({accuracy}), beyond the limit of {max} m.",
    "geofence.distance.imprecise": "The agent is {distance} m from the customer's address, but the location is accurate only to ±{accuracy_m} m, more than the limit of {max} m; the lead should review it.",
    "geofence.distance.no_agent_location": "No location was recorded for the agent at check-in, so the distance to the customer's address (at most {max} m) was not checked; the lead will see this.",
    "geofence.distance.no_customer_location": "The customer's address has no coordinates, so the agent's distance to it was not checked; the lead will see this.",
    "geo.accuracy": "location accurate to ±{accuracy_m} m",
    "geo.accuracy_unknown": "location accuracy unknown",
    # appointment
    "appointment.checkin.ok": "Check-in at {now} {zone} time is within the allowed span: from {earliest} ({early} minutes before the start) to the end at {end}.",
    "appointment.checkin.early": "Check-in at {now} {zone} time is {minutes} minutes before the start at {start}; at most {early} minutes early is allowed.",
    "appointment.checkin.late": "Check-in at {now} {zone} time is after the appointment ended at {end}.",
    # training
    "training.practice.ok": "The agent practised the conversation script {script} (version {version}) on {date}.",
    "training.practice.missing": "The agent has not practised the conversation script {script} (version {version}); this policy requires practising the current version of the case's script before a visit.",
    "training.practice.outdated": "The agent practised the conversation script {script} only in an earlier version ({versions}); this policy requires practising the current version {version} before a visit.",
    "training.practice.unknown": "This policy requires practising the case's conversation script before a visit; whether the agent has is checked on the agent's laptop, not here.",
    # decision summary
    "summary.allowed": "Allowed under “{policy}” (version {version}).",
    "summary.allowed_warn": "Allowed under “{policy}” (version {version}), with warnings for the lead: {rules}.",
    "summary.blocked": "Blocked under “{policy}” (version {version}): {rules}.",
}

LABELS: dict[str, str] = {
    # channels
    "channel.sms": "SMS", "channel.phone": "phone", "channel.letter": "letter",
    "channel.email": "email", "channel.app": "in-app message", "channel.in_person": "in person",
    # weekdays
    "day.mon": "Monday", "day.tue": "Tuesday", "day.wed": "Wednesday", "day.thu": "Thursday",
    "day.fri": "Friday", "day.sat": "Saturday", "day.sun": "Sunday",
    # what a frequency limit counts
    "kind.all": "visits", "kind.contact_made": "visits where contact was made",
    # flags: why each one matters
    "flag.do_not_visit": "do not visit (the institution has marked the customer not to be visited)",
    "flag.disputed": "disputed (the customer disputes the debt; collection waits until it is verified)",
    "flag.attorney": "attorney (the customer is represented; contact goes through the attorney)",
    "flag.cease_contact": "cease contact (the customer asked that contact stop)",
    "flag.deceased": "deceased (the customer has died)",
    "flag.vulnerable": "vulnerable (the customer is known or suspected to be vulnerable)",
    "flag.bankruptcy": "bankruptcy (the customer is in bankruptcy or insolvency proceedings)",
    "flag.no_home_visits": "no home visits (the customer must not be visited at home)",
    "flag.grievance_pending": "grievance pending (recovery waits until the customer's grievance is resolved)",
    # rules, as a summary names them
    "rule.flag.blocking": "blocking flags", "rule.flag.caution": "flags calling for caution",
    "rule.notice.lead_time": "advance notice", "rule.window.hours": "allowed hours",
    "rule.window.days": "allowed days", "rule.holiday.public": "public holidays",
    "rule.frequency.visits": "visit frequency", "rule.frequency.attempts": "contact attempts", "rule.appointment.checkin": "check-in time",
    "rule.geofence.distance": "distance to the address",
    # explain output
    "explain.pass": "PASS", "explain.fail": "FAIL", "explain.warn": "WARN",
    "explain.allowed": "ALLOWED", "explain.blocked": "BLOCKED",
    "explain.planning": "planning check", "explain.checkin": "check-in check",
}

_SEPARATORS = {"en": (", ", "; ", " "), "zh_CN": ("、", "；", "")}
_WORDED = frozenset({"channel", "channels", "found", "flags", "weekday", "days", "kind", "holiday",
                     "accuracy", "rules", "zone", "calendar", "policy"})


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@lru_cache(maxsize=None)
def _catalog(lang: str) -> dict[str, str]:
    """Source text -> text in `lang`, keeping a translation only if its placeholders match."""
    tr = Translator.for_language(lang)
    out: dict[str, str] = {}
    for source in (*TEMPLATES.values(), *LABELS.values()):
        translated = tr.gettext(source)
        out[source] = translated if _fields(translated) == _fields(source) else source
    return out


@lru_cache(maxsize=None)
def _compiled(lang: str) -> dict[str, tuple[str, frozenset[str]]]:
    """code -> (template in `lang`, the placeholders that need putting into words)."""
    catalog = _catalog(lang)
    return {code: (catalog[source], frozenset(_fields(source) & _WORDED)) for code, source in TEMPLATES.items()}


@lru_cache(maxsize=None)
def _labels(lang: str) -> dict[str, str]:
    catalog = _catalog(lang)
    return {key: catalog[source] for key, source in LABELS.items()}


_LANGUAGES: dict[str | None, str] = {}


def language(lang: str | None) -> str:
    """`normalise_language`, remembered (it is asked on every evaluation)."""
    known = _LANGUAGES.get(lang)
    if known is None:
        known = _LANGUAGES[lang] = normalise_language(lang)
    return known


def label(key: str, lang: str) -> str:
    return _labels(lang).get(key) or key.split(".", 1)[-1]


def _words(facts: Mapping[str, Any], wanted: frozenset[str], lang: str) -> dict[str, Any]:
    """`facts` with the coded values named in `wanted` put into words of `lang`."""
    comma, semi, _ = _SEPARATORS.get(lang, _SEPARATORS["en"])
    labels = _labels(lang)
    values = dict(facts)
    for key in wanted:
        if key == "accuracy":
            acc = values.get("accuracy_m")
            values["accuracy"] = (_compiled(lang)["geo.accuracy_unknown"][0] if acc is None
                                  else _compiled(lang)["geo.accuracy"][0].format(accuracy_m=acc))
            continue
        value = values.get(key)
        if value is None:
            continue
        if key == "channel":
            values[key] = labels.get(f"channel.{value}", value)
        elif key in ("channels", "found"):
            values[key] = comma.join(labels.get(f"channel.{c}", c) for c in value)
        elif key == "flags":
            values[key] = semi.join(labels.get(f"flag.{f}", f) for f in value)
        elif key == "weekday":
            values[key] = labels.get(f"day.{value}", value)
        elif key == "days" and isinstance(value, list):
            values[key] = comma.join(labels.get(f"day.{d}", d) for d in value)
        elif key == "kind":
            values[key] = labels.get(f"kind.{value}", value)
        elif key == "rules":
            values[key] = comma.join(labels.get(f"rule.{r}", r) for r in value)
        elif key == "zone":
            values[key] = zone_place(value, lang)
        elif key == "calendar":
            values[key] = region_name(value, lang) or value
        elif key == "policy":
            values[key] = policy_name(value, lang)
        elif key == "holiday" and lang != "en" and "calendar" in facts and "date" in facts:
            day = dt.date.fromisoformat(facts["date"])
            values[key] = holiday_name(facts["calendar"], day, lang) or value
    return values


@lru_cache(maxsize=256)
def policy_name(policy_id: str, lang: str) -> str:
    """A preset's name in `lang` (its id, or an earlier one); any other id as it is."""
    from fieldapp.policy.loader import list_presets, load_policy, preset_aliases

    if policy_id not in list_presets() and policy_id not in preset_aliases():
        return policy_id
    try:
        return load_policy(policy_id).name(lang)
    except BadInput:
        return policy_id


def render(code: str, facts: Mapping[str, Any], lang: str = "en") -> str:
    """The sentence for `code` with `facts`, in `lang`; `facts["then"]` appends sentences."""
    table = _compiled(lang)
    template, wanted = table[code]
    then = facts.get("then") if facts else None
    if then:
        wanted = wanted.union(*(table[c][1] for c in then))
    values = _words(facts, wanted, lang) if wanted else facts
    text = template.format_map(values)
    if then:
        joiner = _SEPARATORS.get(lang, _SEPARATORS["en"])[2]
        text = joiner.join([text, *(table[c][0].format_map(values) for c in then)])
    return text


__all__ = ["LABELS", "TEMPLATES", "label", "language", "render"]
