"""Data the policy engine keeps to itself to start quickly must equal its sources."""

from __future__ import annotations

import holidays
import pytest
from geopy.distance import ELLIPSOIDS

from fieldapp.core.errors import BadInput
from fieldapp.geo import distance
from fieldapp.policy.calendar import normalise_region


def test_the_ellipsoid_is_geopys_wgs84():
    assert (distance._A_KM, distance._B_KM, distance._F) == ELLIPSOIDS["WGS-84"]


@pytest.mark.parametrize("text, expected", [("cn", "CN"), ("us-ma", "US-MA"), ("UK", "GB"), ("au-nsw", "AU-NSW"),
                                            ("USA", "USA"), ("de-by", "DE-BY")])
def test_regions_are_read_as_the_full_list_of_countries_reads_them(text, expected):
    assert normalise_region(text) == expected
    country, _, subdiv = expected.partition("-")
    supported = holidays.list_supported_countries()
    assert country in supported and (not subdiv or subdiv in supported[country])


@pytest.mark.parametrize("text, words", [("XX", "not a country"), ("CN-ZZ", "no subdivision"),
                                         ("US-QQ", "known: AK, AL")])
def test_unknown_regions_are_refused(text, words):
    with pytest.raises(BadInput, match=words):
        normalise_region(text)
