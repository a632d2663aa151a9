"""Properties over random times and zones, checked against the definitions directly
(the `holidays` package and plain wall-clock arithmetic), not against the engine's own helpers."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import holidays
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from policy_builders import CUSTOMERS, context_data, decide, result

from fieldapp.policy import load_policy

UTC = dt.timezone.utc
ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "Europe/Dublin", "Australia/Sydney",
         "Asia/Kolkata", "America/Los_Angeles", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham",
         "America/St_Johns", "Pacific/Kiritimati", "America/Sao_Paulo"]
PRESETS = sorted(CUSTOMERS)

instants = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=UTC))


def calendar(region: str, national: bool = False):
    country, _, subdiv = region.partition("-")
    return holidays.country_holidays(country, subdiv=None if national else (subdiv or None), years=range(2025, 2029))


def build(preset, zone, start: dt.datetime, end: dt.datetime, **kw):
    data = context_data(preset, "2026-01-01 00:00", zone=zone, notice_hours=None, **kw)
    data["appointment"] = {"start": start.isoformat(), "end": end.isoformat()}
    for lead in (48,):  # a notice every notice rule accepts
        when = (start.astimezone(UTC) - dt.timedelta(hours=lead)).isoformat()
        data["notifications"] = [{"channel": "sms", "sent_at": when, "delivered_at": when}]
    return data


@settings(max_examples=400, deadline=None)
@given(preset=st.sampled_from(PRESETS), zone=st.sampled_from(ZONES), start=instants,
       minutes=st.integers(1, 600))
def test_an_allowed_visit_lies_inside_the_window_in_the_customer_zone(preset, zone, start, minutes):
    end = start + dt.timedelta(minutes=minutes)
    policy = load_policy(preset)
    decision = decide(policy, build(preset, zone, start, end))
    tz = ZoneInfo(zone)
    ls, le = start.astimezone(tz), end.astimezone(tz)
    midnight_end = le.time() == dt.time(0) and le.date() == ls.date() + dt.timedelta(days=1)
    one_day = ls.date() == le.date() or midnight_end
    end_minute = 24 * 60 if midnight_end else le.hour * 60 + le.minute
    inside = one_day and ls.hour * 60 + ls.minute >= policy.window.start and end_minute <= policy.window.end
    assert result(decision, "window.hours").passed is inside
    if not decision.allowed:
        return
    assert inside
    region = CUSTOMERS[preset][1]
    day = ls.date()
    if policy.window.days == "weekdays":
        assert day.weekday() in policy.window.weekdays
    if policy.window.days == "working_days":
        assert calendar(region).is_working_day(day)
    if policy.holidays.banned:
        assert day not in calendar(region, national=policy.holidays.scope == "national")


@st.composite
def allowed_wall_times(draw):
    preset = draw(st.sampled_from(PRESETS))
    policy = load_policy(preset)
    minutes = draw(st.integers(15, 120))
    first = draw(st.integers(policy.window.start, policy.window.end - minutes))
    day = draw(st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2027, 12, 31)))
    return preset, draw(st.sampled_from(ZONES)), day, first, minutes, draw(st.integers(-12, 12).filter(bool))


def wall(zone: str, day: dt.date, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), ZoneInfo(zone))


@settings(max_examples=300, deadline=None)
@given(case=allowed_wall_times())
def test_moving_an_allowed_visit_by_whole_weeks_keeps_it_allowed(case):
    """Same local wall-clock times k weeks later (DST may change the UTC offset); notice and
    history keep their real lead time. Only the calendar (holidays, make-up days) may differ."""
    preset, zone, day, first, minutes, weeks = case
    region = CUSTOMERS[preset][1]
    start, end = wall(zone, day, first), wall(zone, day, first + minutes)
    history = [((start.astimezone(UTC) - dt.timedelta(days=40)).isoformat(), True)]
    before = decide(preset, _with_visits(build(preset, zone, start, end), history))
    assume(before.allowed)
    moved_day = day + dt.timedelta(weeks=weeks)
    cal, national = calendar(region), calendar(region, national=True)
    assume(cal.is_working_day(day) == cal.is_working_day(moved_day))
    assume((day in cal) == (moved_day in cal) and (day in national) == (moved_day in national))
    new_start, new_end = wall(zone, moved_day, first), wall(zone, moved_day, first + minutes)
    shift = new_start.astimezone(UTC) - start.astimezone(UTC)
    moved_history = [((dt.datetime.fromisoformat(at) + shift).isoformat(), made) for at, made in history]
    after = decide(preset, _with_visits(build(preset, zone, new_start, new_end), moved_history))
    assert after.allowed, [r.message for r in after.results if not r.passed]
    assert result(after, "window.hours").facts == result(before, "window.hours").facts


def _with_visits(data, visits):
    data["visits"] = [{"at": at, "contact_made": made} for at, made in visits]
    return data


@settings(max_examples=60, deadline=None)
@given(preset=st.sampled_from(PRESETS), zone=st.sampled_from(ZONES), start=instants,
       minutes=st.integers(1, 300), machine=st.sampled_from(["Pacific/Kiritimati", "America/Adak", "Asia/Kathmandu"]))
def test_the_machine_time_zone_never_matters(preset, zone, start, minutes, machine):
    data = build(preset, zone, start, start + dt.timedelta(minutes=minutes))
    data["now"] = (start - dt.timedelta(minutes=5)).isoformat()
    import os

    original = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        reference = decide(preset, data).to_json()
        os.environ["TZ"] = machine
        time.tzset()
        assert decide(preset, data).to_json() == reference
    finally:
        if original is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = original
        time.tzset()
