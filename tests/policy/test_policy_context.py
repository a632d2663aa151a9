"""Malformed visit contexts are refused, naming the file and the field; never 'allowed' by accident."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from policy_builders import at_distance, context_data, decide

from fieldapp.core.errors import BadInput
from fieldapp.policy import Context, context_from_case, evaluate, load_policy
from fieldapp.protocol.v1 import (
    AppointmentRecord, CaseRecord, CustomerRecord, Location, NotificationRecord, VisitHistoryRecord,
)


def base():
    return context_data("cn", "2026-03-02 10:00", visits=[("2026-02-20 10:00", True)], now="2026-03-02 10:05",
                        agent=at_distance(50))


def edit(path, value):
    data = base()
    target = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is DELETE:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return data


DELETE = object()

BAD = [
    ("appointment.start", "2026-03-02T10:00:00", "appointment.start", "has no UTC offset"),
    ("appointment.end", "tomorrow", "appointment.end", "is not an ISO 8601 timestamp"),
    ("appointment.end", "2026-03-02T09:00:00+08:00", "appointment.end", "must end after it starts"),
    ("appointment.end", "2026-03-02T10:00:00+08:00", "appointment.end", "must end after it starts"),
    ("appointment.end", "2026-03-04T10:00:00+08:00", "appointment.end", "longer than a visit can"),
    ("appointment.start", DELETE, "appointment.start", "is required"),
    ("appointment.room", "12", "appointment.room", "unknown field"),
    ("now", "2026-03-02 10:05", "now", "has no UTC offset"),
    ("now", 1767225600, "now", "expected a string, got an integer"),
    ("customer.timezone", "Mars/Olympus", "customer.timezone", "unknown time zone 'Mars/Olympus'"),
    ("customer.timezone", "", "customer.timezone", "unknown time zone"),
    ("customer.region", "XX", "customer.region", "unknown region 'XX'"),
    ("customer.region", "US-XX", "customer.region", "US has no subdivision 'XX'"),
    ("customer.region", 86, "customer.region", "expected a string, got an integer"),
    ("customer.flags", ["angry"], "customer.flags[0]", "unknown flag 'angry'"),
    ("customer.flags", "disputed", "customer.flags", "expected a list, got a string"),
    ("customer.location.lat", 91, "customer.location.lat", "out of range"),
    ("customer.location.lon", "118.8", "customer.location.lon", "expected a number, got a string"),
    ("customer.name", "Zhang", "customer.name", "unknown field"),
    ("customer", DELETE, "customer", "is required"),
    ("notifications", {"channel": "sms"}, "notifications", "expected a list, got a table/object"),
    ("notifications.0.channel", "pigeon", "notifications[0].channel", "unknown channel 'pigeon'"),
    ("notifications.0.sent_at", "2026-02-28T10:00:00", "notifications[0].sent_at", "has no UTC offset"),
    ("notifications.0.delivered_at", "2026-01-01T00:00:00Z", "notifications[0].delivered_at",
     "is before sent_at"),
    ("notifications.0.read_at", "2026-01-01T00:00:00Z", "notifications[0].read_at", "unknown field"),
    ("visits.0.contact_made", "yes", "visits[0].contact_made", "expected true or false, got a string"),
    ("visits.0.contact_made", DELETE, "visits[0].contact_made", "is required"),
    ("visits.0", "2026-02-20", "visits[0]", "expected an object, got a string"),
    ("agent_location.lat", None, "agent_location.lat", "expected a number, got null"),
    ("agent_location.accuracy_m", -5, "agent_location.accuracy_m", "is not a distance"),
    ("agent_location.heading", 90, "agent_location.heading", "unknown field"),
    ("now", DELETE, "now", "give `now` (the check-in time) too"),
    ("policy", "cn", "policy", "unknown field"),
]


@pytest.mark.parametrize("path,value,field,words", BAD, ids=[f"{b[2]}:{b[3][:18]}" for b in BAD])
def test_malformed_context_is_refused(path, value, field, words):
    with pytest.raises(BadInput) as exc:
        Context.from_json(edit(path, value), where="ctx.json")
    text = str(exc.value)
    assert text.startswith(f"ctx.json: {field}: "), text
    assert words in text, text


def test_top_level_must_be_an_object():
    with pytest.raises(BadInput, match="ctx.json: expected a table/object, got a list"):
        Context.from_json([], where="ctx.json")


def test_policy_for_another_region_is_refused():
    with pytest.raises(BadInput, match="policy us-ma applies to US-MA, not to the customer's region US-NY"):
        decide("us-ma", context_data("us-fdcpa", "2026-03-04 10:00"))


def test_region_is_normalised():
    ctx = Context.from_json(edit("customer.region", "us-ma"), where="x")
    assert ctx.region == "US-MA"
    ctx = Context.from_json(edit("customer.region", "UK"), where="x")
    assert ctx.region == "GB"


def test_null_optional_fields_are_accepted():
    data = base()
    data["agent_location"] = None
    data["customer"]["location"] = None
    data["notifications"][0]["delivered_at"] = None
    ctx = Context.from_json(data, where="x")
    assert ctx.agent_location is None and ctx.location is None and ctx.notifications[0].delivered_at is None


# ---------------------------------------------------------------- from the wire case record
def make_case(data: dict) -> CaseRecord:
    cust = data["customer"]
    now = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    return CaseRecord(
        id="c1", external_id="E1", reference="REF-1", status="open",
        customer=CustomerRecord(id="p1", name="Customer", address="Somewhere 1", timezone=cust["timezone"],
                                region=cust["region"], flags=cust["flags"],
                                location=Location(**cust["location"]) if cust.get("location") else None),
        amount_due="1200.00", currency="CNY", days_past_due=120, policy_id="cn",
        appointment=AppointmentRecord(id="a1", start=data["appointment"]["start"], end=data["appointment"]["end"]),
        notifications=[NotificationRecord(id=f"n{i}", **n) for i, n in enumerate(data["notifications"])],
        visits=[VisitHistoryRecord(id=f"v{i}", **v) for i, v in enumerate(data["visits"])],
        updated_at=now,
    )


@pytest.mark.parametrize("preset,start,extra", [
    ("cn", "2026-03-02 21:30", {}),
    ("cn-bank-home-visit", "2026-10-06 10:00", {"flags": ["vulnerable", "disputed"]}),
    ("us-ma", "2026-03-31 10:00", {"visits": [("2026-03-10 10:00", True), ("2026-03-12 10:00", False)]}),
    ("uk-fca", "2026-03-04 10:00", {"notice_hours": 20}),
])
def test_context_from_case_matches_context_json(preset, start, extra):
    data = context_data(preset, start, **extra)
    policy = load_policy(preset)
    from_case = evaluate(context_from_case(make_case(copy.deepcopy(data))), policy)
    from_json = evaluate(Context.from_json(data, where="x"), policy)
    assert from_case.to_json() == from_json.to_json()


def test_context_from_case_at_checkin():
    data = context_data("cn", "2026-03-02 10:00")
    now = dt.datetime(2026, 3, 2, 2, 30, tzinfo=dt.timezone.utc)  # 10:30 in Shanghai
    agent = Location(**at_distance(120, accuracy=8))
    d = evaluate(context_from_case(make_case(data), now=now, agent_location=agent), load_policy("cn"))
    assert d.check == "checkin" and d.allowed
    assert d.evaluated_at == now
    assert [r.rule for r in d.results][-2:] == ["appointment.checkin", "geofence.distance"]


def test_case_without_appointment_is_refused():
    case = make_case(context_data("cn", "2026-03-02 10:00")).model_copy(update={"appointment": None})
    with pytest.raises(BadInput, match="case REF-1: appointment: the case has no appointment"):
        context_from_case(case)
