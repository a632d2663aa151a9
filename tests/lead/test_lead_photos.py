"""Photo evidence end to end: the agent adds photos for a case (metadata stripped except
what the policy keeps, scaled down, encrypted at rest), the next recorded visit takes them
to the server as attachments, and the lead sees them with the visit."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from fieldapp.server.models import VisitAttachment
from lead.lead_world import add_case, visit


def camera_jpeg(colour=(180, 40, 40), size=(3000, 2000)) -> bytes:
    img = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x013B] = "Owner Of The Phone"
    exif[0x8769] = {0x9003: "2026:03:02 10:15:00", 0xA431: "SERIAL-123"}
    exif[0x8825] = {1: "N", 2: (32.0, 3.0, 36.0), 3: "E", 4: (118.0, 47.0, 48.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _photos_to_the_lead(server, laptop):
    with server.session() as s, s.begin():
        case_id = add_case(s, "P-1")
    agent = laptop("agent", "agent1", server)
    agent.sync()
    first = agent.add_photo(case_id, camera_jpeg(), "house_number")
    second = agent.add_photo(case_id, camera_jpeg((20, 90, 200)), "door_notice")
    assert [p.kind for p in agent.pending_photos(case_id)] == ["house_number", "door_notice"]
    assert first.taken_at is not None and first.lat is None  # the cn policy keeps the time, not the place
    stored = agent.store.files.path(first.sha256).read_bytes()
    assert b"PhoneMaker" not in stored and b"\xff\xd8" not in stored[:4]  # encrypted at rest
    kept = agent.attachment(first.sha256)
    img = Image.open(io.BytesIO(kept))
    assert max(img.size) == 1600
    exif = img.getexif()
    assert 0x010F not in exif and 0x013B not in exif and 0x8825 not in exif
    assert dict(exif.get_ifd(0x8769)) == {0x9003: "2026:03:02 10:15:00", 0x9011: "+08:00"}

    record = visit(case_id)
    agent.record_visit(record)
    assert agent.pending_photos(case_id) == []
    sent = agent.outbox_payload(record.visit_id)
    assert [p["sha256"] for p in sent["photos"]] == [first.sha256, second.sha256]
    assert agent.sync().pushed_accepted == 1
    with server.session() as s:
        linked = set(s.scalars(select(VisitAttachment.sha256).where(VisitAttachment.visit_id == record.visit_id)))
    assert {first.sha256, second.sha256} <= linked

    lead = laptop("lead", "lead1", server)
    lead.sync()
    photos = lead.visit_photos(record.visit_id)
    assert [(ref.kind, data == kept if ref.sha256 == first.sha256 else data is not None, problem)
            for ref, data, problem in photos] == [("house_number", True, None), ("door_notice", True, None)]
    return lead, record.visit_id


def test_photos_go_with_the_visit_to_the_lead(server, laptop, app_clock):
    _photos_to_the_lead(server, laptop)


def test_the_lead_sees_the_photos_with_the_visit(qtbot, server, laptop, app_clock, tmp_path):
    from fieldapp.ui.app import build_context
    from fieldapp.ui.lead.evidence import EvidenceScreen
    from fieldapp.ui.settings import SettingsStore

    lead, visit_id = _photos_to_the_lead(server, laptop)
    ctx = build_context(lead, synchronous=True, settings_store=SettingsStore(tmp_path / "ui.json"), language="en")
    screen = EvidenceScreen(ctx, lead)
    qtbot.addWidget(screen)
    screen.resize(1100, 720)
    screen.show()
    screen.open_visit(visit_id)
    tabs = screen.tabs
    assert tabs.tabText(tabs.count() - 1) == "Photos (2)"
    tabs.setCurrentIndex(tabs.count() - 1)
    assert screen.photos.list.count() == 2
    assert screen.photos.list.item(0).text().startswith("House number\n2026-03-02 10:15")
    _shot(screen, tmp_path, "lead_photos_en.png")
    ctx.language.set_language("zh_CN")
    assert tabs.tabText(tabs.count() - 1) == "照片（2）" and screen.photos.list.item(0).text().startswith("门牌号")
    _shot(screen, tmp_path, "lead_photos_zh_CN.png")
    ctx.tasks.shutdown()


def _shot(widget, tmp_path, name: str) -> None:
    import os
    import shutil

    path = tmp_path / name
    widget.grab().save(str(path))
    if os.environ.get("FIELDAPP_UI_SHOTS"):
        shutil.copy(path, os.environ["FIELDAPP_UI_SHOTS"])


def test_a_removed_photo_is_gone_and_bad_files_are_refused(server, laptop):
    import pytest

    from fieldapp.core.errors import BadInput

    with server.session() as s, s.begin():
        case_id = add_case(s, "P-2")
    agent = laptop("agent", "agent1", server)
    agent.sync()
    ref = agent.add_photo(case_id, camera_jpeg())
    assert agent.remove_photo(ref.sha256) and agent.pending_photos(case_id) == []
    assert not agent.store.files.path(ref.sha256).exists()
    with pytest.raises(BadInput):
        agent.add_photo(case_id, b"%PDF-1.7 not a photo")
    with pytest.raises(BadInput):
        agent.add_photo(case_id, camera_jpeg(), "selfie")


def test_a_closed_case_takes_its_untaken_photos_along(server, laptop):
    from fieldapp.server import admin

    with server.session() as s, s.begin():
        case_id = add_case(s, "P-3")
    agent = laptop("agent", "agent1", server)
    agent.sync()
    ref = agent.add_photo(case_id, camera_jpeg())
    assert agent.store.files.path(ref.sha256).exists()
    with server.session() as s, s.begin():
        admin.close_case(s, "P-3")
    agent.sync()
    assert not agent.store.files.path(ref.sha256).exists()
    assert [r.id for r in agent.list_cases() if r.id == case_id] == []


def test_a_visit_with_a_report_takes_exactly_the_photos_its_report_lists(server, laptop):
    """The visit reads the waiting photos when it is recorded (the app's reader gives their
    files); a photo added after its report was signed waits for the case's next visit."""
    import hashlib

    from fieldapp.ui.case_data import _photo_reader

    with server.session() as s, s.begin():
        case_id = add_case(s, "P-4")
    agent = laptop("agent", "agent1", server)
    agent.sync()
    first = agent.add_photo(case_id, camera_jpeg(), "house_number")
    read = _photo_reader(agent, case_id)()
    assert [(ref.sha256, hashlib.sha256(data).hexdigest()) for ref, data in read] == [(first.sha256, first.sha256)]
    later = agent.add_photo(case_id, camera_jpeg((20, 90, 200)), "door_notice")  # after the report

    report = b"%PDF-1.7 the signed visit report"
    sha = hashlib.sha256(report).hexdigest()
    record = visit(case_id).model_copy(update={"report_sha256": sha, "photos": [ref for ref, _ in read]})
    agent.record_visit(record, {sha: report, **{ref.sha256: data for ref, data in read}})
    assert [p["sha256"] for p in agent.outbox_payload(record.visit_id)["photos"]] == [first.sha256]
    assert [p.sha256 for p in agent.pending_photos(case_id)] == [later.sha256]  # the next visit's
