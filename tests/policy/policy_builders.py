"""Builders for visit contexts used by the policy tests (plain dicts, as in CONTEXT.json)."""

from __future__ import annotations

import copy
import datetime as dt
from zoneinfo import ZoneInfo

from geopy.distance import geodesic

from fieldapp.policy import Context, Decision, evaluate, load_policy

HOME = {"lat": 32.0603, "lon": 118.7969}

# Per preset: a customer where the preset applies.
CUSTOMERS = {
    "cn-bank-home-visit": ("Asia/Shanghai", "CN"),
    "cn": ("Asia/Shanghai", "CN"),
    "us-fdcpa": ("America/New_York", "US-NY"),
    "us-ma": ("America/New_York", "US-MA"),
    "uk-fca": ("Europe/London", "GB-ENG"),
    "in-rbi": ("Asia/Kolkata", "IN"),
    "ie": ("Europe/Dublin", "IE"),
    "au": ("Australia/Sydney", "AU-NSW"),
}


def local(zone: str, text: str) -> dt.datetime:
    """'2026-03-02 09:00' in `zone` as an aware datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def context_data(preset: str = "cn", start: str = "2026-03-02 10:00", end: str | None = None,
                 *, notice_hours: float | None = 48, channel: str = "sms", delivered: bool = True,
                 flags: list[str] | None = None, visits: list[tuple[str, bool]] | None = None,
                 now: str | None = None, agent: dict | None = None, zone: str | None = None,
                 region: str | None = None, practice: dict | None = None) -> dict:
    """A context for `preset`'s home region; times are local wall times in the customer's zone."""
    tz, reg = CUSTOMERS[preset]
    tz, reg = zone or tz, region or reg
    s = local(tz, start)
    e = local(tz, end) if end else s + dt.timedelta(hours=1)
    data: dict = {
        "customer": {"timezone": tz, "region": reg, "location": dict(HOME), "flags": list(flags or [])},
        "appointment": {"start": s.isoformat(), "end": e.isoformat()},
        "notifications": [],
        "visits": [{"at": local(tz, at).isoformat(), "contact_made": made} for at, made in (visits or [])],
    }
    if notice_hours is not None:
        when = s.astimezone(dt.timezone.utc) - dt.timedelta(hours=notice_hours)
        note = {"channel": channel, "sent_at": (when - dt.timedelta(minutes=1)).isoformat()}
        if delivered:
            note["delivered_at"] = when.isoformat()
        data["notifications"].append(note)
    if now is not None:
        data["now"] = local(tz, now).isoformat()
    if agent is not None:
        data["agent_location"] = agent
    if practice is not None:
        data["practice"] = practice
    return data


def at_distance(metres: float, accuracy: float | None = 10, bearing: float = 60) -> dict:
    """An agent location `metres` (geodesic) from HOME."""
    p = geodesic(meters=metres).destination((HOME["lat"], HOME["lon"]), bearing)
    out = {"lat": p.latitude, "lon": p.longitude}
    if accuracy is not None:
        out["accuracy_m"] = accuracy
    return out


def decide(preset_or_policy, data: dict, lang: str = "en") -> Decision:
    policy = load_policy(preset_or_policy) if isinstance(preset_or_policy, str) else preset_or_policy
    return evaluate(Context.from_json(copy.deepcopy(data), where="test.json"), policy, lang=lang)


def result(decision: Decision, rule: str):
    found = [r for r in decision.results if r.rule == rule]
    assert len(found) == 1, f"{rule} not in {[r.rule for r in decision.results]}"
    return found[0]


def failed(decision: Decision) -> set[str]:
    """Rules that block."""
    return {r.rule for r in decision.results if r.blocks}
