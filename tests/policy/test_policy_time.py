"""Time done right: the customer's zone, DST gaps and overlaps, midnight, offsets of any zone."""

from __future__ import annotations

import datetime as dt
import os
import time
from zoneinfo import ZoneInfo

import pytest
from policy_builders import context_data, decide, failed, result

from fieldapp.policy import load_policy

UTC = dt.timezone.utc

ALL_DAY = """
[policy]
id = "all-day"
version = "1"
title = "any hour"

[window]
start = "{start}"
end = "{end}"
days = "every_day"

[holidays]
banned = false

[notice]
required = false
"""


def all_day(tmp_path, start="00:00", end="24:00"):
    path = tmp_path / f"all-day-{start[:2]}-{end[:2]}.toml"
    path.write_text(ALL_DAY.format(start=start, end=end), encoding="utf-8")
    return load_policy(path)


def utc_context(preset, start_utc, minutes, **kw):
    """A context whose appointment is given in UTC (the zone converts it)."""
    data = context_data(preset, "2026-01-01 00:00", notice_hours=None, **kw)
    start = dt.datetime.fromisoformat(start_utc).replace(tzinfo=UTC)
    data["appointment"] = {"start": start.isoformat(), "end": (start + dt.timedelta(minutes=minutes)).isoformat()}
    return data


# New York springs forward on 2026-03-08 02:00 and falls back on 2026-11-01 02:00.
@pytest.mark.parametrize("start_utc,allowed,local_start", [
    ("2026-03-07T12:00", False, "07:00"),  # EST (-05:00): 07:00, too early
    ("2026-03-08T12:00", True, "08:00"),   # EDT (-04:00): 08:00, allowed
    ("2026-10-31T12:00", True, "08:00"),   # EDT
    ("2026-11-01T12:00", False, "07:00"),  # EST again
])
def test_new_york_transitions_move_the_local_hour(start_utc, allowed, local_start):
    d = decide("us-fdcpa", utc_context("us-fdcpa", start_utc, 30))
    hours = result(d, "window.hours")
    assert hours.passed is allowed and hours.facts["start"] == local_start


# London: BST ends 2026-10-25 02:00 (back to GMT), starts 2026-03-29 01:00.
@pytest.mark.parametrize("start_utc,allowed,local_end", [
    ("2026-10-24T19:00", False, "20:30"),  # BST: 20:00-20:30, after 20:00
    ("2026-10-25T19:00", True, "19:30"),   # GMT: 19:00-19:30
    ("2026-03-28T19:00", True, "19:30"),   # GMT
    ("2026-03-29T19:00", False, "20:30"),  # BST
])
def test_london_transitions_move_the_local_hour(start_utc, allowed, local_end):
    d = decide("uk-fca", utc_context("uk-fca", start_utc, 30))
    hours = result(d, "window.hours")
    assert hours.passed is allowed and hours.facts["end"] == local_end


def test_dst_gap_wall_clock_not_elapsed_time(tmp_path):
    """45 real minutes from 01:30 EST end at 03:15 EDT: outside a 00:00-03:00 window."""
    policy = all_day(tmp_path, "00:00", "03:00")
    data = utc_context("us-fdcpa", "2026-03-08T06:30", 45)
    hours = result(decide(policy, data), "window.hours")
    assert not hours.passed
    assert (hours.facts["start"], hours.facts["end"]) == ("01:30", "03:15")


def test_dst_overlap_repeated_hour(tmp_path):
    """01:30 EDT to 01:30 EST is one real hour, wholly inside a 01:00-02:00 window."""
    policy = all_day(tmp_path, "01:00", "02:00")
    data = utc_context("us-fdcpa", "2026-11-01T05:30", 60)
    hours = result(decide(policy, data), "window.hours")
    assert hours.passed and (hours.facts["start"], hours.facts["end"]) == ("01:30", "01:30")


def test_notice_lead_time_is_elapsed_time_across_dst():
    """Delivered at the same wall-clock time the day before a spring-forward Sunday is only
    23 real hours before: short of 24."""
    data = context_data("uk-fca", "2026-03-29 10:00", notice_hours=None)
    data["notifications"] = [{"channel": "sms", "sent_at": "2026-03-28T09:00:00+00:00",
                              "delivered_at": "2026-03-28T09:00:00+00:00"}]
    assert result(decide("uk-fca", data), "notice.lead_time").passed
    data["notifications"][0]["delivered_at"] = "2026-03-28T10:00:00+00:00"
    notice = result(decide("uk-fca", data), "notice.lead_time")
    assert not notice.passed and notice.facts["hours"] == "23"
    assert notice.message.startswith("The earliest notice by SMS was delivered at 2026-03-28 10:00 "
                                     "UK time, only 23 hours before the start.")


def test_crossing_midnight_is_never_inside_one_day(tmp_path):
    policy = all_day(tmp_path)
    d = decide(policy, context_data("cn", "2026-03-02 23:30", "2026-03-03 00:30"))
    assert failed(d) == {"window.hours"}
    assert result(d, "window.hours").code == "window.hours.crosses_midnight"
    assert "2026-03-02 23:30 to 2026-03-03 00:30" in result(d, "window.hours").message


def test_ending_at_midnight_ends_at_24_00(tmp_path):
    d = decide(all_day(tmp_path), context_data("cn", "2026-03-02 23:00", "2026-03-03 00:00"))
    assert d.allowed and result(d, "window.hours").facts["end"] == "24:00"
    d = decide(all_day(tmp_path, "00:00", "23:00"), context_data("cn", "2026-03-02 22:30", "2026-03-03 00:00"))
    assert failed(d) == {"window.hours"}


def test_midnight_crossing_checks_both_dates():
    """Friday 23:30 to Saturday: under a Mon-Sat policy the Saturday is fine, but a
    Saturday night into Sunday touches a Sunday."""
    d = decide("ie", context_data("ie", "2026-03-07 23:30", "2026-03-08 00:15"))
    assert {"window.hours", "window.days"} == failed(d)
    assert result(d, "window.days").facts["date"] == "2026-03-08"


def test_end_second_past_the_limit_blocks():
    d = decide("cn", context_data("cn", "2026-03-02 21:00", "2026-03-02 22:00:01"))
    assert result(d, "window.hours").facts["end"] == "22:00:01" and not d.allowed


def test_offsets_of_the_input_do_not_matter():
    """The same instants written in another zone's offset give the same decision."""
    data = context_data("us-fdcpa", "2026-03-04 20:30", "2026-03-04 21:00")
    shifted = context_data("us-fdcpa", "2026-03-04 20:30", "2026-03-04 21:00")
    for key in ("start", "end"):
        t = dt.datetime.fromisoformat(shifted["appointment"][key])
        shifted["appointment"][key] = t.astimezone(dt.timezone(dt.timedelta(hours=14))).isoformat()
    assert shifted["appointment"]["start"].endswith("+14:00")
    assert decide("us-fdcpa", data).to_json() == decide("us-fdcpa", shifted).to_json()


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "America/Los_Angeles", "Asia/Kathmandu", "UTC"])
def test_machine_time_zone_does_not_matter_in_process(tz, monkeypatch):
    data = context_data("cn-bank-home-visit", "2026-02-28 17:00", "2026-02-28 18:00", now="2026-02-28 16:50",
                        visits=[("2026-02-27 23:30", True)])
    expected = decide("cn-bank-home-visit", data).to_json()
    original = os.environ.get("TZ")
    monkeypatch.setenv("TZ", tz)
    time.tzset()
    try:
        assert time.strftime("%z") == dt.datetime.now(ZoneInfo(tz)).strftime("%z")  # the machine zone moved
        assert decide("cn-bank-home-visit", data).to_json() == expected
    finally:
        monkeypatch.undo()
        time.tzset()
    assert os.environ.get("TZ") == original
