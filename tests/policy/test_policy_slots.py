"""Slots offered and checked with the policy engine: working days with holidays and make-up
days, hours in the customer's zone (DST included), notice lead time, visit frequency, flags,
and the agent's other appointments with travel time between addresses."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fieldapp.geo.travel import TravelModel, travel_minutes
from fieldapp.policy import PastVisit, load_policy
from fieldapp.policy.slots import Busy, SlotRules, check_slot, customer_context, find_slots

SH = ZoneInfo("Asia/Shanghai")
NANJING = (32.0603, 118.7969)
UTC = dt.timezone.utc


def base(**kw):
    values = dict(timezone="Asia/Shanghai", region="CN", location=NANJING)
    values.update(kw)
    return customer_context(**values)


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def test_slots_skip_the_national_day_holidays_and_use_the_make_up_saturday():
    seed = load_policy("seed")  # working days 09:00-18:00, notice delivered 24 h before
    now = local(2026, 9, 30, 10, 0)
    found = find_slots(base(), seed, now=now, channels=["sms"], count=3)
    assert [s.start for s in found.slots] == [local(2026, 10, 8, 9, 0), local(2026, 10, 8, 9, 30),
                                              local(2026, 10, 8, 10, 0)]
    # 2026-10-10 is a Saturday worked in exchange for the holidays: allowed.
    saturday = check_slot(base(), seed, local(2026, 10, 10, 14, 0), local(2026, 10, 10, 15, 0), now=now,
                          channels=["sms"])
    assert saturday.allowed
    sunday = check_slot(base(), seed, local(2026, 10, 11, 14, 0), local(2026, 10, 11, 15, 0), now=now,
                        channels=["sms"])
    assert not sunday.allowed
    assert any("weekend" in r for r in sunday.reasons("en"))


def test_a_holiday_slot_is_refused_with_the_rules_sentence_in_both_languages():
    seed = load_policy("seed")
    judged = check_slot(base(), seed, local(2026, 10, 1, 10, 0), local(2026, 10, 1, 11, 0),
                        now=local(2026, 9, 25, 9, 0), channels=["email"])
    assert not judged.allowed
    en, zh = judged.reasons("en"), judged.reasons("zh_CN")
    assert any("National Day" in r for r in en)
    assert any("国庆" in r for r in zh)


def test_notice_lead_time_decides_the_earliest_slot():
    seed = load_policy("seed")
    now = local(2026, 3, 2, 9, 0)  # a Monday
    rules = SlotRules(notice_margin=dt.timedelta(hours=1))
    first = find_slots(base(), seed, now=now, channels=["sms"], rules=rules, count=1).slots[0]
    assert first.start == local(2026, 3, 3, 10, 0)  # 24 h notice + 1 h for delivery
    too_soon = check_slot(base(), seed, local(2026, 3, 3, 9, 30), local(2026, 3, 3, 10, 30), now=now,
                          channels=["sms"], rules=rules)
    assert not too_soon.allowed and too_soon.too_soon
    reasons = " ".join(too_soon.reasons("en"))
    assert "only 23.5 hours before the start" in reasons and "2026-03-03 10:00" in reasons


def test_no_channel_no_slot():
    found = find_slots(base(), load_policy("seed"), now=local(2026, 3, 2, 9, 0), channels=[])
    assert found.slots == []
    assert any("no email address or mobile number" in r for r in found.why_none)


def test_a_blocking_flag_leaves_no_slot_and_says_why():
    found = find_slots(base(flags=["attorney"]), load_policy("seed"), now=local(2026, 3, 2, 9, 0),
                       channels=["sms"])
    assert found.slots == [] and len(found.why_none) == 1 and "attorney" in found.why_none[0]


def test_frequency_limit_counts_past_visits():
    policy = load_policy("us-ma")  # at most one visit in 30 days
    boston = dict(timezone="America/New_York", region="US-MA", location=(42.36, -71.06))
    now = dt.datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    visits = [PastVisit(now - dt.timedelta(days=3), True)]
    start = dt.datetime(2026, 3, 5, 15, 0, tzinfo=UTC)  # 10:00 in Boston, a Thursday
    judged = check_slot(customer_context(**boston, visits=visits), policy, start, start + dt.timedelta(hours=1),
                        now=now, channels=["sms", "email"])
    assert not judged.allowed
    assert [r.rule for r in judged.decision.blocking] == ["frequency.visits"]
    found = find_slots(customer_context(**boston, visits=visits), policy, now=now, channels=["sms"], count=1,
                       rules=SlotRules(horizon_days=40))
    assert found.slots[0].start.date() >= (now - dt.timedelta(days=3)).date() + dt.timedelta(days=30)


def test_hours_are_judged_in_the_customers_zone_across_dst():
    policy = load_policy("us-fdcpa")  # 08:00-21:00 local
    ny = dict(timezone="America/New_York", region="US", location=(40.71, -74.0))
    now = dt.datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    found = find_slots(customer_context(**ny), policy, now=now, channels=["sms"], count=40,
                       rules=SlotRules(step=dt.timedelta(hours=1)))
    for slot in found.slots:
        start = slot.start.astimezone(ZoneInfo("America/New_York"))
        end = slot.end.astimezone(ZoneInfo("America/New_York"))
        assert start.hour >= 8 and (end.hour, end.minute) <= (21, 0)
    # The clocks go forward on 2026-03-08: 08:00 local is 12:00 UTC that day, 13:00 the day before.
    starts = {s.start.astimezone(UTC) for s in found.slots}
    assert dt.datetime(2026, 3, 8, 12, 0, tzinfo=UTC) in starts


def test_the_agents_other_appointments_and_the_travel_between_them():
    seed = load_policy("seed")
    now = local(2026, 3, 2, 9, 0)
    far = (31.2304, 121.4737)  # Shanghai: hours away
    near = (32.0610, 118.7975)  # next door
    other_far = Busy("a1", local(2026, 3, 4, 10, 0), local(2026, 3, 4, 11, 0), far, "SH-1")
    other_near = Busy("a2", local(2026, 3, 4, 10, 0), local(2026, 3, 4, 11, 0), near, "NJ-2")
    travel_near = travel_minutes(near, NANJING)
    assert travel_near == 15  # 10 minutes' buffer, a few metres' walk, in 5-minute steps
    right_after = (local(2026, 3, 4, 11, 15), local(2026, 3, 4, 12, 15))
    assert check_slot(base(), seed, *right_after, now=now, channels=["sms"], busy=[other_near]).allowed
    judged = check_slot(base(), seed, *right_after, now=now, channels=["sms"], busy=[other_far])
    assert not judged.allowed
    assert judged.conflicts[0].minutes > 300
    assert "SH-1" in judged.reasons("en")[-1] and "travel" in judged.reasons("en")[-1]
    assert "SH-1" in judged.reasons("zh_CN")[-1] and "路程" in judged.reasons("zh_CN")[-1]
    # The finder leaves the day's other appointment (and its travel) alone.
    found = find_slots(base(), seed, now=now, channels=["sms"], busy=[other_far], count=40,
                       after=local(2026, 3, 4, 0, 0))
    for slot in found.slots:
        if slot.start.date() == dt.date(2026, 3, 4):
            assert slot.end <= local(2026, 3, 4, 10, 0) - dt.timedelta(minutes=judged.conflicts[0].minutes) \
                or slot.start >= local(2026, 3, 4, 11, 0) + dt.timedelta(minutes=judged.conflicts[0].minutes)


def test_unknown_locations_get_the_cautious_travel_time():
    assert travel_minutes(None, NANJING) == TravelModel().unknown_minutes
