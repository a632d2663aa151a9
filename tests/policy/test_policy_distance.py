"""fieldapp.geo.distance against geopy's geodesic (Karney), the reference."""

from __future__ import annotations

import pytest
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldapp.core.errors import BadInput
from fieldapp.geo.distance import check_geofence, check_point, distance_m


@settings(max_examples=300, deadline=None)
@given(lat=st.floats(-89.9, 89.9), lon=st.floats(-180, 180), metres=st.floats(0, 20_000),
       bearing=st.floats(0, 360))
def test_agrees_with_geopy_geodesic_within_2_cm(lat, lon, metres, bearing):
    p = geodesic(meters=metres).destination((lat, lon), bearing)
    other = (p.latitude, p.longitude)
    reference = geodesic((lat, lon), other).meters
    assert abs(distance_m((lat, lon), other) - reference) < 0.02


def test_far_and_polar_points_use_geopy_itself():
    for a, b in [((32.06, 118.79), (40.71, -74.0)), ((89.5, 0), (89.5, 1)), ((-86, 10), (-86.001, 10))]:
        assert distance_m(a, b) == geodesic(a, b).meters


def test_across_the_antimeridian():
    assert distance_m((0, 179.999), (0, -179.999)) == pytest.approx(geodesic((0, 179.999), (0, -179.999)).meters,
                                                                    abs=0.01)


@pytest.mark.parametrize("offset", [-0.03, -0.004, 0.004, 0.03])
def test_a_pass_or_fail_at_the_limit_rests_on_the_exact_geodesic(offset):
    home = (32.0603, 118.7969)
    p = geodesic(meters=300 + offset).destination(home, 33)
    exact = geodesic(home, (p.latitude, p.longitude)).meters
    check = check_geofence((p.latitude, p.longitude), home, max_distance_m=300)
    assert check.inside is (exact <= 300)


def test_geofence_check_fields():
    home = (51.5, -0.12)
    p = geodesic(meters=250).destination(home, 200)
    check = check_geofence((p.latitude, p.longitude), home, max_distance_m=300, accuracy_m=20)
    assert check.inside and check.conclusive and round(check.distance_m) == 250
    vague = check_geofence((p.latitude, p.longitude), home, max_distance_m=300, accuracy_m=301)
    assert vague.inside and not vague.conclusive


@pytest.mark.parametrize("lat,lon,words", [(91, 0, "location.lat: 91 is out of range"),
                                           (0, -181, "location.lon: -181 is out of range"),
                                           (float("nan"), 0, "location.lat: nan is out of range"),
                                           (True, 0, "location.lat: expected a number, got bool"),
                                           ("1", 0, "location.lat: expected a number, got str")])
def test_bad_coordinates(lat, lon, words):
    with pytest.raises(BadInput, match=words):
        check_point(lat, lon)
