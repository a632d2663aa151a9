"""Day-route ordering: appointment windows decide, distance breaks ties and orders the
visits without a window; the distances are geopy's geodesic."""

from __future__ import annotations

import datetime as dt

import pytest
from geopy.distance import geodesic

from fieldapp.core.errors import BadInput
from fieldapp.geo.route import Stop, plan_route

CST = dt.timezone(dt.timedelta(hours=8))

# Real places in Nanjing, a few km apart.
XINJIEKOU = (32.0415, 118.7781)
GULOU = (32.0590, 118.7620)
XUANWU_LAKE = (32.0760, 118.8030)
YUHUATAI = (31.9920, 118.7700)
HEXI = (32.0040, 118.7330)


def at(hour: int, minute: int = 0, *, day: int = 2) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=CST)


def window(hour: int, minute: int = 0) -> dict:
    return {"start": at(hour, minute), "end": at(hour + 1, minute)}


def ids(route) -> list[str]:
    return [s.id for s in route.stops]


def test_appointment_windows_come_before_distance():
    # Yuhuatai is far from Gulou but booked first: the window wins.
    stops = [Stop("gulou", GULOU, **window(14)), Stop("yuhuatai", YUHUATAI, **window(9)),
             Stop("lake", XUANWU_LAKE, **window(10, 30))]
    route = plan_route(stops, origin=GULOU)
    assert ids(route) == ["yuhuatai", "lake", "gulou"]


def test_same_slot_is_ordered_nearest_first_from_where_the_agent_is():
    stops = [Stop("lake", XUANWU_LAKE, **window(9)), Stop("hexi", HEXI, **window(9)),
             Stop("gulou", GULOU, **window(9))]
    assert ids(plan_route(stops, origin=XINJIEKOU)) == ["gulou", "lake", "hexi"]
    # from the south, Hexi is the nearest
    assert ids(plan_route(stops, origin=YUHUATAI))[0] == "hexi"


def test_a_slot_is_entered_from_the_previous_visit():
    stops = [Stop("first", YUHUATAI, **window(9)), Stop("lake", XUANWU_LAKE, **window(11)),
             Stop("hexi", HEXI, **window(11))]
    assert ids(plan_route(stops)) == ["first", "hexi", "lake"]


def test_visits_without_a_window_come_last_nearest_next():
    stops = [Stop("free-far", XUANWU_LAKE), Stop("booked", YUHUATAI, **window(9)),
             Stop("free-near", HEXI)]
    assert ids(plan_route(stops)) == ["booked", "free-near", "free-far"]


def test_distances_are_the_geodesic_legs_and_add_up():
    stops = [Stop("a", GULOU, **window(9)), Stop("b", XUANWU_LAKE, **window(10)),
             Stop("c", YUHUATAI, **window(11))]
    route = plan_route(stops, origin=XINJIEKOU)
    expected = [geodesic(XINJIEKOU, GULOU).meters, geodesic(GULOU, XUANWU_LAKE).meters,
                geodesic(XUANWU_LAKE, YUHUATAI).meters]
    assert [leg.distance_m for leg in route.legs] == pytest.approx(expected, abs=0.05)
    assert route.total_m == pytest.approx(sum(expected), abs=0.1)
    assert route.complete


def test_without_an_origin_the_first_leg_has_no_distance():
    route = plan_route([Stop("a", GULOU, **window(9)), Stop("b", HEXI, **window(10))])
    assert route.legs[0].distance_m is None
    assert route.total_m == pytest.approx(geodesic(GULOU, HEXI).meters, abs=0.05)


def test_a_stop_without_location_keeps_its_time_and_the_next_leg_skips_it():
    stops = [Stop("a", GULOU, **window(9)), Stop("unknown", None, **window(10)),
             Stop("c", HEXI, **window(11))]
    route = plan_route(stops)
    assert ids(route) == ["a", "unknown", "c"]
    assert route.legs[1].distance_m is None
    assert route.legs[2].distance_m == pytest.approx(geodesic(GULOU, HEXI).meters, abs=0.05)
    assert not route.complete


def test_windows_compare_as_instants_across_zones():
    utc = dt.timezone.utc
    early_utc = Stop("utc", GULOU, start=dt.datetime(2026, 3, 2, 0, 30, tzinfo=utc),
                     end=dt.datetime(2026, 3, 2, 1, 30, tzinfo=utc))  # 08:30 in Nanjing
    later_local = Stop("local", HEXI, **window(9))
    assert ids(plan_route([later_local, early_utc])) == ["utc", "local"]


def test_overlapping_windows_are_reported():
    stops = [Stop("a", GULOU, start=at(9), end=at(11)), Stop("b", HEXI, **window(10)),
             Stop("c", YUHUATAI, **window(12))]
    assert plan_route(stops).overlaps == (("a", "b"),)


def test_order_is_deterministic_for_equal_inputs():
    stops = [Stop(f"s{i}", GULOU, **window(9)) for i in (3, 1, 2)]
    assert ids(plan_route(stops)) == ["s1", "s2", "s3"]
    assert ids(plan_route(list(reversed(stops)))) == ["s1", "s2", "s3"]


def test_empty_day():
    route = plan_route([])
    assert route.stops == () and route.total_m == 0 and route.complete


@pytest.mark.parametrize("stop, field", [
    (Stop("x", (91.0, 0.0)), "location.lat"),
    (Stop("x", GULOU, start=dt.datetime(2026, 3, 2, 9)), "start"),
    (Stop("x", GULOU, start=at(10), end=at(9)), "end"),
    (Stop("x", GULOU, end=at(9)), "start"),
])
def test_bad_stops_are_named(stop, field):
    with pytest.raises(BadInput) as info:
        plan_route([Stop("ok", HEXI), stop])
    assert info.value.field == field and "stop 1 (x)" in str(info.value)


def test_duplicate_ids_are_refused():
    with pytest.raises(BadInput, match="listed twice"):
        plan_route([Stop("a", GULOU), Stop("a", HEXI)])


def test_without_an_origin_the_day_starts_where_the_route_is_shortest():
    # Three visits in one slot on a line west to east: starting in the middle would mean
    # going back; the route starts at an end and sweeps across.
    west, middle, east = (32.05, 118.70), (32.05, 118.78), (32.05, 118.86)
    stops = [Stop("a-middle", middle, **window(9)), Stop("b-east", east, **window(9)),
             Stop("c-west", west, **window(9))]
    route = plan_route(stops)
    assert ids(route) in (["c-west", "a-middle", "b-east"], ["b-east", "a-middle", "c-west"])
    assert route.total_m == pytest.approx(geodesic(west, east).meters, rel=1e-3)
