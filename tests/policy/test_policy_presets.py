"""Table tests for every preset, from the numbers of its sources (POLICIES.md)."""

from __future__ import annotations

import tomllib

import pytest
from policy_builders import at_distance, context_data, decide, failed, result

from fieldapp.policy import COMMON_BLOCKING, list_presets, load_policy
from fieldapp.policy.loader import BASIS_KEYS, policies_dir

PRESETS = ["au", "cn", "cn-bank-home-visit", "ie", "in-rbi", "uk-fca", "us-fdcpa", "us-ma"]

# (preset, start, end, extra context, blocked rules (empty = allowed))
CASES = [
    # United States, 12 CFR 1006.6(b)(1)(i): 08:00-21:00 at the consumer's location
    ("us-fdcpa", "2026-03-04 20:30", "2026-03-04 21:00", {}, set()),
    ("us-fdcpa", "2026-03-04 20:45", "2026-03-04 21:15", {}, {"window.hours"}),
    ("us-fdcpa", "2026-03-04 07:55", "2026-03-04 08:30", {}, {"window.hours"}),
    ("us-fdcpa", "2026-03-04 08:00", "2026-03-04 08:30", {"notice_hours": None}, set()),
    ("us-fdcpa", "2026-07-04 10:00", "2026-07-04 11:00", {}, set()),  # holidays not banned
    ("us-fdcpa", "2026-03-04 10:00", "2026-03-04 11:00", {"flags": ["disputed"]}, {"flag.blocking"}),
    ("us-fdcpa", "2026-03-04 10:00", "2026-03-04 11:00", {"flags": ["attorney"]}, {"flag.blocking"}),
    # Massachusetts, 209 CMR 18.17: 08-21, one visit per 30 days counting contact only
    ("us-ma", "2026-03-31 10:00", "2026-03-31 11:00", {"visits": [("2026-03-10 10:00", True)]},
     {"frequency.visits"}),
    ("us-ma", "2026-03-31 10:00", "2026-03-31 11:00", {"visits": [("2026-03-10 10:00", False)]}, set()),
    ("us-ma", "2026-03-31 10:00", "2026-03-31 11:00", {"visits": [("2026-03-01 10:00", True)]}, set()),
    ("us-ma", "2026-03-31 10:00", "2026-03-31 11:00", {"visits": [("2026-03-02 09:00", True)]},
     {"frequency.visits"}),
    ("us-ma", "2026-04-20 10:00", "2026-04-20 11:00", {}, set()),  # Patriots' Day: not banned here
    ("us-ma", "2026-03-04 20:30", "2026-03-04 21:01", {}, {"window.hours"}),
    # China: no collection 22:00-08:00; notice is the institution's 24 h
    ("cn", "2026-03-02 21:00", "2026-03-02 22:00", {}, set()),
    ("cn", "2026-03-02 21:30", "2026-03-02 22:30", {}, {"window.hours"}),
    ("cn", "2026-03-02 07:30", "2026-03-02 08:30", {}, {"window.hours"}),
    ("cn", "2026-10-01 10:00", "2026-10-01 11:00", {}, set()),  # National Day: not banned under cn
    ("cn", "2026-03-02 10:00", "2026-03-02 11:00", {"notice_hours": None}, {"notice.lead_time"}),
    ("cn", "2026-03-02 10:00", "2026-03-02 11:00", {"notice_hours": 23.5}, {"notice.lead_time"}),
    ("cn", "2026-03-02 10:00", "2026-03-02 11:00", {"delivered": False}, {"notice.lead_time"}),
    ("cn", "2026-03-02 10:00", "2026-03-02 11:00", {"channel": "in_person"}, {"notice.lead_time"}),
    ("cn", "2026-03-02 10:00", "2026-03-02 11:00", {"flags": ["disputed"]}, set()),  # a warning only
    # seed: working days 09-18, holidays banned by the customer's region calendar
    ("cn-bank-home-visit", "2026-02-28 10:00", "2026-02-28 11:00", {}, set()),  # make-up working Saturday
    ("cn-bank-home-visit", "2026-03-07 10:00", "2026-03-07 11:00", {}, {"window.days"}),  # ordinary Saturday
    ("cn-bank-home-visit", "2026-10-06 10:00", "2026-10-06 11:00", {},
     {"window.days", "holiday.public"}),  # Golden Week Tue
    ("cn-bank-home-visit", "2026-10-01 10:00", "2026-10-01 11:00", {}, {"window.days", "holiday.public"}),
    ("cn-bank-home-visit", "2026-01-04 10:00", "2026-01-04 11:00", {}, set()),  # make-up working Sunday
    ("cn-bank-home-visit", "2026-03-02 17:30", "2026-03-02 18:30", {}, {"window.hours"}),
    ("cn-bank-home-visit", "2026-03-02 17:00", "2026-03-02 18:00", {}, set()),
    ("cn-bank-home-visit", "2026-04-20 10:00", "2026-04-20 11:00", {"zone": "America/New_York", "region": "US-MA"},
     {"window.days", "holiday.public"}),  # Patriots' Day in Massachusetts
    ("cn-bank-home-visit", "2026-04-20 10:00", "2026-04-20 11:00",
     {"zone": "America/New_York", "region": "US-NY"}, set()),
    # United Kingdom: 08-20 (institution choice), adequate notice, disputed debts not visited
    ("uk-fca", "2026-03-04 19:00", "2026-03-04 20:00", {}, set()),
    ("uk-fca", "2026-03-04 19:30", "2026-03-04 20:30", {}, {"window.hours"}),
    ("uk-fca", "2026-03-04 10:00", "2026-03-04 11:00", {"notice_hours": 23}, {"notice.lead_time"}),
    ("uk-fca", "2026-03-04 10:00", "2026-03-04 11:00", {"flags": ["disputed"]}, {"flag.blocking"}),
    ("uk-fca", "2026-03-04 10:00", "2026-03-04 11:00", {"flags": ["vulnerable"]}, {"flag.blocking"}),
    # India: 08-19; notice of the agent, any lead time; no recovery while a grievance is pending
    ("in-rbi", "2026-03-04 18:00", "2026-03-04 19:00", {"notice_hours": 1}, set()),
    ("in-rbi", "2026-03-04 18:30", "2026-03-04 19:30", {}, {"window.hours"}),
    ("in-rbi", "2026-03-04 10:00", "2026-03-04 11:00", {"notice_hours": None}, {"notice.lead_time"}),
    ("in-rbi", "2026-03-04 10:00", "2026-03-04 11:00", {"notice_hours": -0.5}, {"notice.lead_time"}),
    ("in-rbi", "2026-03-04 10:00", "2026-03-04 11:00", {"flags": ["grievance_pending"]}, {"flag.blocking"}),
    # Ireland, Consumer Credit Act 1995 s.46: 09-21, not Sundays, not public holidays
    ("ie", "2026-03-07 20:00", "2026-03-07 21:00", {}, set()),  # Saturday
    ("ie", "2026-03-08 10:00", "2026-03-08 11:00", {}, {"window.days"}),  # Sunday
    ("ie", "2026-03-17 10:00", "2026-03-17 11:00", {}, {"holiday.public"}),  # Saint Patrick's Day
    ("ie", "2026-03-04 08:30", "2026-03-04 09:30", {}, {"window.hours"}),
    # Australia, ACCC/ASIC guideline: 09-21, no national public holidays (state ones allowed)
    ("au", "2026-03-04 20:00", "2026-03-04 21:00", {}, set()),
    ("au", "2026-01-26 10:00", "2026-01-26 11:00", {}, {"holiday.public"}),  # Australia Day
    ("au", "2026-11-03 10:00", "2026-11-03 11:00", {"zone": "Australia/Melbourne", "region": "AU-VIC"},
     set()),  # Melbourne Cup Day: a Victorian holiday only
    ("au", "2026-03-04 08:30", "2026-03-04 09:30", {}, {"window.hours"}),
]


@pytest.mark.parametrize("preset,start,end,extra,blocked", CASES,
                         ids=[f"{c[0]}:{c[1]}-{c[2][-5:]}:{'+'.join(sorted(c[4])) or 'ok'}" for c in CASES])
def test_preset_table(preset, start, end, extra, blocked):
    decision = decide(preset, context_data(preset, start, end, **extra))
    assert failed(decision) == blocked, [r.message for r in decision.results if not r.passed]
    assert decision.allowed == (not blocked)
    assert decision.check == "planning"
    assert {r.rule for r in decision.results} >= {"flag.blocking", "notice.lead_time", "window.hours",
                                                  "window.days", "holiday.public", "frequency.visits"}


def test_all_presets_ship_and_load():
    assert list_presets() == PRESETS
    for pid in PRESETS:
        policy = load_policy(pid)
        assert policy.id == pid
        assert COMMON_BLOCKING <= policy.flags.block


@pytest.mark.parametrize("pid", PRESETS)
def test_every_number_names_its_basis(pid):
    """Each field a preset sets is explained: verified, secondary or institution choice."""
    raw = tomllib.loads((policies_dir() / f"{pid}.toml").read_text(encoding="utf-8"))
    policy = load_policy(pid)
    assert policy.sources, "a preset names its sources"
    for section, keys in BASIS_KEYS.items():
        table = raw.get(section, {})
        explained = set(table.get("basis", {}))
        present = {k for k in table if k not in ("basis", "severity")}
        if section == "window":
            present = (present - {"start", "end"}) | {"hours"}
        if section == "frequency" and "max_visits" not in present:
            present.add("max_visits")  # "no limit" is a number too
        if section == "flags":
            present.add("common")
        missing = sorted(present - explained)
        assert not missing, f"{pid}: [{section}] has no basis for {missing}"


def test_us_fdcpa_sentence_names_the_numbers():
    d = decide("us-fdcpa", context_data("us-fdcpa", "2026-03-04 20:45", "2026-03-04 21:15"))
    assert result(d, "window.hours").message == (
        "The appointment ends at 21:15 US Eastern time, after the latest allowed 21:00.")


def test_cn_sentence_matches_the_example():
    d = decide("cn", context_data("cn", "2026-03-02 21:30", "2026-03-02 22:30"))
    assert result(d, "window.hours").message == (
        "The appointment ends at 22:30 China time, after the latest allowed 22:00.")


def test_golden_week_names_the_holiday():
    d = decide("cn-bank-home-visit", context_data("cn-bank-home-visit", "2026-10-06 10:00"))
    days = result(d, "window.days")
    assert days.code == "window.days.holiday" and "2026-10-06" in days.message
    zh = decide("cn-bank-home-visit", context_data("cn-bank-home-visit", "2026-10-01 10:00"), lang="zh_CN")
    assert "国庆节" in result(zh, "holiday.public").message


def test_makeup_saturday_is_said_to_be_one():
    d = decide("cn-bank-home-visit", context_data("cn-bank-home-visit", "2026-02-28 10:00"))
    assert result(d, "window.days").code == "window.days.makeup"


def test_us_ma_frequency_sentence():
    d = decide("us-ma", context_data("us-ma", "2026-03-31 10:00", visits=[("2026-03-10 10:00", True),
                                                                           ("2026-03-20 10:00", False)]))
    r = result(d, "frequency.visits")
    assert r.message == ("Earlier visits where contact was made in the 30 days before this appointment: 1, "
                         "the latest on 2026-03-10; at most 1 are allowed in 30 days, this visit included.")


def test_visits_after_the_appointment_do_not_count():
    d = decide("us-ma", context_data("us-ma", "2026-03-31 10:00", visits=[("2026-04-02 10:00", True)]))
    assert d.allowed


def test_blocking_flag_gives_the_reason():
    d = decide("in-rbi", context_data("in-rbi", "2026-03-04 10:00", flags=["grievance_pending"]))
    assert "grievance" in result(d, "flag.blocking").message
    assert d.summary() == "Blocked under “India: RBI recovery rules” (version 2026.1): blocking flags."


def test_warning_flag_does_not_block_but_is_reported():
    d = decide("cn", context_data("cn", "2026-03-02 10:00", flags=["disputed"]))
    caution = result(d, "flag.caution")
    assert d.allowed and not caution.passed and caution.severity == "warn"
    assert d.summary().startswith("Allowed under “China: CBA collection guideline” (version 2026.1), "
                                  "with warnings for the lead: flags calling")


# ---------------------------------------------------------------- check-in rules
def checkin(preset="cn", now="2026-03-02 10:05", agent=None, **kw):
    return decide(preset, context_data(preset, "2026-03-02 10:00", now=now, agent=agent, **kw))


def test_geofence_250_m_passes():
    d = checkin(agent=at_distance(250, accuracy=15))
    r = result(d, "geofence.distance")
    assert r.passed and d.allowed
    assert r.message == ("The agent is 250 m from the customer's address (location accurate to ±15 m); "
                         "the limit is 300 m.")


def test_geofence_400_m_blocks():
    d = checkin(agent=at_distance(400))
    assert failed(d) == {"geofence.distance"}
    assert "400 m" in result(d, "geofence.distance").message


def test_geofence_without_agent_location_warns():
    d = checkin(agent=None)
    r = result(d, "geofence.distance")
    assert not r.passed and r.severity == "warn" and d.allowed
    assert r.code == "geofence.distance.no_agent_location"
    assert "flag" not in d.summary() and "distance to the address" in d.summary()


def test_geofence_without_address_coordinates_warns():
    data = context_data("cn", "2026-03-02 10:00", now="2026-03-02 10:05", agent=at_distance(10))
    data["customer"]["location"] = None
    r = result(decide("cn", data), "geofence.distance")
    assert (r.passed, r.severity, r.code) == (False, "warn", "geofence.distance.no_customer_location")


def test_geofence_imprecise_location_is_a_warning_not_a_pass():
    r = result(checkin(agent=at_distance(100, accuracy=500)), "geofence.distance")
    assert (r.passed, r.severity, r.code) == (False, "warn", "geofence.distance.imprecise")


def test_geofence_without_accuracy_says_so():
    r = result(checkin(agent=at_distance(100, accuracy=None)), "geofence.distance")
    assert r.passed and "accuracy unknown" in r.message


def test_checkin_20_minutes_early_blocked():
    d = checkin(now="2026-03-02 09:40", agent=at_distance(20))
    assert failed(d) == {"appointment.checkin"}
    assert result(d, "appointment.checkin").message.startswith(
        "Check-in at 2026-03-02 09:40 China time is 20 minutes before the start")


@pytest.mark.parametrize("now,ok", [("2026-03-02 09:45", True), ("2026-03-02 09:44", False),
                                    ("2026-03-02 11:00", True), ("2026-03-02 11:01", False)])
def test_checkin_span_edges(now, ok):
    assert result(checkin(now=now, agent=at_distance(20)), "appointment.checkin").passed is ok


def test_planning_check_leaves_out_checkin_rules():
    d = decide("cn", context_data("cn", "2026-03-02 10:00"))
    assert d.check == "planning" and d.evaluated_at is None
    assert not {"appointment.checkin", "geofence.distance"} & {r.rule for r in d.results}


def test_cn_2026_official_arrangement():
    """The State Council's 2026 arrangement: make-up working weekend days and days off."""
    import datetime as dt

    from fieldapp.policy.calendar import year_calendar

    cal = year_calendar("CN", 2026)
    assert cal.makeup == {dt.date(2026, 1, 4), dt.date(2026, 2, 14), dt.date(2026, 2, 28), dt.date(2026, 5, 9),
                          dt.date(2026, 9, 20), dt.date(2026, 10, 10)}
    golden_week = [dt.date(2026, 10, d) for d in range(1, 8)]
    spring_festival = [dt.date(2026, 2, d) for d in range(15, 24)]
    assert not any(cal.is_working_day(d) for d in golden_week + spring_festival)
    assert cal.is_working_day(dt.date(2026, 10, 9)) and not cal.is_working_day(dt.date(2026, 10, 11))
