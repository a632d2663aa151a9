"""The signed visit report lists the visit's photo evidence: each photo's SHA-256 (the
attachment's name), the time and position the policy kept, its size and a thumbnail; the
photos listed are exactly the ones the record carries, and the signature still verifies."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

from PIL import Image
from pypdf import PdfReader

from fieldapp.documents.photos import prepare_photo
from fieldapp.documents.verify import verify_pdf
from fieldapp.protocol.v1 import PhotoRef
from fieldapp.ui.visit.flow_state import FlowState

from .visit_helpers import NEAR, SHANGHAI, make_setup


def _camera(colour, size, taken: str) -> bytes:
    img = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x8769] = {0x9003: taken}
    exif[0x8825] = {1: "N", 2: (32.0, 3.0, 36.0), 3: "E", 4: (118.0, 47.0, 48.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def two_photos(clock) -> list[tuple[PhotoRef, bytes]]:
    """As the laptop keeps them: the first keeps time and position, the second neither."""
    a = prepare_photo(_camera((180, 40, 40), (3000, 2000), "2026:03:02 09:05:00"), keep_time=True,
                      keep_position=True, zone=SHANGHAI)
    b = prepare_photo(_camera((20, 90, 200), (1200, 1600), "2026:03:02 09:07:00"), keep_time=False, zone=SHANGHAI)
    added = clock()
    return [(PhotoRef(sha256=a.sha256, kind="house_number", captured_at=added, taken_at=a.taken_at,
                      lat=a.lat, lon=a.lon), a.jpeg),
            (PhotoRef(sha256=b.sha256, kind="door_notice", captured_at=added + dt.timedelta(minutes=3)), b.jpeg)]


def _finish(setup) -> tuple:
    st = FlowState(setup)
    st.advance()
    st.check_in(NEAR)
    st.advance()
    for value in ("no_answer", None):
        st.runtime.answer(value)
    st.advance()
    st.advance()
    return st.result


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_the_signed_report_lists_the_photos_the_visit_takes(clock, test_pki):
    photos = two_photos(clock)
    reads = []
    setup = make_setup(clock=clock, signing=test_pki.signing_setup(), agreement_lang="en",
                       photos=lambda: reads.append(1) or list(photos))
    record, files = _finish(setup)
    assert reads == [1]  # read once, when the visit is recorded
    assert [p.sha256 for p in record.photos] == [ref.sha256 for ref, _ in photos]
    for ref, data in photos:  # the files go with the visit, named by their hash
        assert files[ref.sha256] == data and hashlib.sha256(data).hexdigest() == ref.sha256
    pdf = files[record.report_sha256]
    verdict = verify_pdf(pdf, trust=[test_pki.root], now=clock(), kind="visit_report")
    assert verdict.intact, verdict.problems
    text = _text(pdf)
    assert "Photo evidence" in text
    first, second = (ref.sha256 for ref, _ in photos)
    assert f"SHA-256 {first}" in text and f"SHA-256 {second}" in text
    assert "1. House number" in text and "2. Notice left at the door" in text
    assert "Taken at (the photo's own time): 2026-03-02 09:05" in text   # kept by the policy
    assert "Position in the photo: 32.060000, 118.796667" in text
    assert "Taken at (the photo's own time): not kept" in text           # the second kept neither
    assert "Added to the visit at 2026-03-02 09:10" in text and "Added to the visit at 2026-03-02 09:13" in text
    assert "1600 × 1067 pixels" in text and "1200 × 1600 pixels" in text
    images = [img for page in PdfReader(io.BytesIO(pdf)).pages for img in page.images]
    assert len(images) == 2 and all(max(Image.open(io.BytesIO(i.data)).size) <= 360 for i in images)


def test_the_chinese_report_lists_the_photos_too(clock, test_pki):
    photos = two_photos(clock)
    setup = make_setup(clock=clock, signing=test_pki.signing_setup(), photos=lambda: photos,
                       agreement_lang="zh_CN")
    record, files = _finish(setup)
    text = _text(files[record.report_sha256])
    assert "照片证据" in text and "1. 门牌号" in text and "2. 留在门口的通知" in text
    assert all(ref.sha256 in text for ref, _ in photos)
    assert "2026-03-02 09:05" in text and "未保留" in text and "1600 × 1067 像素" in text


def test_a_visit_without_photos_says_so(clock):
    record, files = _finish(make_setup(clock=clock, photos=lambda: []))
    assert record.photos == [] and "No photos were taken for this visit." in _text(files[record.report_sha256])
