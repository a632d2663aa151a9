"""Attachments: content-addressed, hash-checked, idempotent, size-limited, visible only to
those who may see the visit."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from fieldapp.server.testing import LiveServer

from sqlalchemy import select

from fieldapp.server.models import User

from .kit import Api, add_case, agreement, item, make_people, visit_payload


@pytest.fixture
def world(live):
    with live.session() as s, s.begin():
        make_people(s)
        case_id = add_case(s, "A-1", "agent1")
    return live, Api(live.url, "agent1"), case_id


def test_put_is_idempotent_and_get_returns_the_bytes(world):
    live, api, _ = world
    data = bytes(range(256)) * 100
    sha = hashlib.sha256(data).hexdigest()
    first = api.put(f"/api/v1/attachments/{sha}", content=data).json()
    second = api.put(f"/api/v1/attachments/{sha}", content=data).json()
    assert (first["created"], second["created"]) == (True, False)
    assert first["size"] == len(data) and "server_time" in first
    got = api.get(f"/api/v1/attachments/{sha}")
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "application/octet-stream" and "x-server-time" in got.headers


def test_hash_is_checked(world):
    live, api, _ = world
    r = api.put("/api/v1/attachments/" + "0" * 64, content=b"not that")
    assert (r.status_code, r.json()["error"]) == (422, "hash_mismatch")
    assert api.get("/api/v1/attachments/" + "0" * 64).status_code == 404


@pytest.mark.parametrize("bad", ["ABC", "0" * 63, "G" * 64, "0" * 64 + "0", "%2e%2e"])
def test_bad_hashes_in_the_path(world, bad):
    live, api, _ = world
    for r in (api.put(f"/api/v1/attachments/{bad}", content=b"x"), api.get(f"/api/v1/attachments/{bad}")):
        assert 400 <= r.status_code < 500


def test_size_limit(db_url):
    with LiveServer(db_url, upgrade_db=False, max_attachment_bytes=1000) as live:
        with live.session() as s, s.begin():
            make_people(s)
        api = Api(live.url, "agent1")
        big = b"x" * 1001
        r = api.put(f"/api/v1/attachments/{hashlib.sha256(big).hexdigest()}", content=big)
        assert (r.status_code, r.json()["error"]) == (413, "too_large")

        def chunks():  # no Content-Length: the limit holds while streaming
            for _ in range(20):
                yield b"y" * 100
        r = api.put("/api/v1/attachments/" + "1" * 64, content=chunks())
        assert (r.status_code, r.json()["error"]) == (413, "too_large")
        ok = b"z" * 1000
        assert api.put(f"/api/v1/attachments/{hashlib.sha256(ok).hexdigest()}", content=ok).status_code == 200


def test_visibility_follows_the_visit(world):
    live, api, case_id = world
    sha = api.upload(b"evidence photo")
    peers = {name: Api(live.url, name) for name in ("agent2", "lead1", "lead2", "admin")}
    assert {n: a.get(f"/api/v1/attachments/{sha}").status_code for n, a in peers.items()} == {
        "agent2": 404, "lead1": 404, "lead2": 404, "admin": 200}  # no visit references it yet
    [res] = api.push(item(case_id, visit_payload(case_id), attachments=[sha]))
    assert res["status"] == "accepted"
    assert {n: a.get(f"/api/v1/attachments/{sha}").status_code for n, a in peers.items()} == {
        "agent2": 404, "lead1": 200, "lead2": 404, "admin": 200}


def test_attachments_need_a_token(world):
    live, _, _ = world
    r = httpx.put(live.url + "/api/v1/attachments/" + hashlib.sha256(b"a").hexdigest(), content=b"a")
    assert r.status_code == 401


@pytest.fixture
def two_teams(live):
    """agent1 (team t1) signed an agreement on A-1; agent3 (team t2) works on B-1."""
    with live.session() as s, s.begin():
        make_people(s)
        a1 = add_case(s, "A-1", "agent1")
        b1 = add_case(s, "B-1", "agent3")
    apis = {name: Api(live.url, name) for name in ("agent1", "agent2", "agent3", "lead1", "lead2", "admin")}
    pdf_bytes = b"%PDF-1.7 the signed agreement of agent1's customer"
    pdf, sig = apis["agent1"].upload(pdf_bytes), apis["agent1"].upload(b"\x89PNG customer signature")
    [res] = apis["agent1"].push(item(a1, visit_payload(a1, outcome="agreement_signed",
                                                      agreement=agreement(pdf, sig))))
    assert res["status"] == "accepted", res
    yield {"live": live, "apis": apis, "a1": a1, "b1": b1, "pdf": pdf, "sig": sig, "pdf_bytes": pdf_bytes}
    for api in apis.values():
        api.close()


def _reads(w, sha):
    return {name: api.get(f"/api/v1/attachments/{sha}").status_code for name, api in w["apis"].items()}


def test_a_push_may_not_link_someone_elses_attachment(two_teams):
    w = two_teams
    b1, pdf = w["b1"], w["pdf"]
    as_attachment = item(b1, visit_payload(b1), attachments=[pdf])
    as_agreement = item(b1, visit_payload(b1, outcome="agreement_signed", agreement=agreement(pdf, w["sig"])))
    for it in (as_attachment, as_agreement):
        [res] = w["apis"]["agent3"].push(it)
        assert (res["status"], res["code"]) == ("rejected", "foreign_attachment"), res
        assert pdf[:12] in res["reason"] and "upload" in res["reason"].lower()
    # agent1's agreement stays readable by agent1, its lead and the admin only.
    assert _reads(w, pdf) == {"agent1": 200, "agent2": 404, "agent3": 404, "lead1": 200, "lead2": 404,
                              "admin": 200}
    r = w["apis"]["agent3"].get(f"/api/v1/attachments/{pdf}")
    assert r.json()["error"] == "not_found" and b"PDF" not in r.content


def test_the_same_bytes_uploaded_again_may_be_linked(two_teams):
    """Whoever uploads the bytes themselves has them: linking them reveals nothing."""
    w = two_teams
    assert w["apis"]["agent3"].upload(w["pdf_bytes"]) == w["pdf"]
    [res] = w["apis"]["agent3"].push(item(w["b1"], visit_payload(w["b1"]), attachments=[w["pdf"]]))
    assert res["status"] == "accepted", res
    assert _reads(w, w["pdf"])["lead2"] == 200


def test_an_attachment_already_on_the_case_may_be_linked_again(two_teams):
    """After a reassignment the new agent may refer to the case's signed agreement."""
    w = two_teams
    with w["live"].session() as s, s.begin():
        from fieldapp.server import admin
        admin.reassign_case(s, "A-1", "agent2")
    [res] = w["apis"]["agent2"].push(item(w["a1"], visit_payload(w["a1"]), attachments=[w["pdf"]]))
    assert res["status"] == "accepted", res
    assert _reads(w, w["pdf"])["agent2"] == 200


def test_links_made_before_the_rule_grant_nothing(two_teams):
    """A visit of agent3 that linked agent1's PDF before pushes were checked (as the probe
    found) does not open the PDF to agent3 or to agent3's lead."""
    w = two_teams
    [res] = w["apis"]["agent3"].push(item(w["b1"], visit_payload(w["b1"])))
    assert res["status"] == "accepted"
    with w["live"].session() as s, s.begin():
        from fieldapp.server.models import Visit, VisitAttachment
        visit_id = s.scalar(select(Visit.id).where(Visit.case_id == w["b1"]))
        s.add(VisitAttachment(visit_id=visit_id, sha256=w["pdf"]))
    assert _reads(w, w["pdf"])["agent3"] == 404 and _reads(w, w["pdf"])["lead2"] == 404


def test_every_uploader_is_recorded(two_teams):
    w = two_teams
    w["apis"]["agent3"].upload(w["pdf_bytes"])
    with w["live"].session() as s:
        from fieldapp.server.models import AttachmentUpload, Device
        rows = s.execute(select(AttachmentUpload.user_id, Device.device_id)
                         .join(Device, Device.id == AttachmentUpload.device_pk)
                         .where(AttachmentUpload.sha256 == w["pdf"])).all()
        names = {admin_user.id: admin_user.username for admin_user in s.scalars(select(User))}
    assert sorted((names[u], d) for u, d in rows) == sorted(
        [("agent1", w["apis"]["agent1"].device_id), ("agent3", w["apis"]["agent3"].device_id)])
