"""A camera still is stamped with its time and place as a phone camera would, and the photo
pipeline keeps of them exactly what the policy keeps: in every hemisphere, with the offset
of the customer's zone, and nothing when the policy keeps nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from fieldapp.documents.photos import prepare_photo, stamp_photo


def still() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize("lat,lon", [(32.0611, 118.7779), (-33.8688, 151.2093), (40.7128, -74.006),
                                     (-22.9068, -43.1729), (0.0, 0.0)])
def test_time_and_place_round_trip_through_the_pipeline(lat, lon):
    taken = dt.datetime(2026, 3, 2, 10, 31, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    photo = prepare_photo(stamp_photo(still(), taken_at=taken, position=(lat, lon)), keep_time=True,
                          keep_position=True)
    assert photo.taken_at == taken and photo.taken_at.utcoffset() == dt.timedelta(hours=8)
    assert abs(photo.lat - lat) < 1e-5 and abs(photo.lon - lon) < 1e-5


def test_the_policy_decides_what_stays():
    taken = dt.datetime(2026, 3, 2, 2, 31, tzinfo=dt.timezone.utc)
    stamped = stamp_photo(still(), taken_at=taken, position=(32.06, 118.77))
    bare = prepare_photo(stamped, keep_time=False, keep_position=False)
    assert bare.taken_at is None and bare.lat is None
    with Image.open(io.BytesIO(bare.jpeg)) as img:
        assert len(img.getexif()) == 0
    time_only = prepare_photo(stamped, keep_time=True, keep_position=False)
    assert time_only.taken_at == taken and time_only.lat is None


def test_nothing_known_leaves_the_still_untouched():
    data = still()
    assert stamp_photo(data, taken_at=None, position=None) == data
