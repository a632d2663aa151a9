"""Attachments: content-addressed, hash-checked, idempotent, size-limited, visible only to
those who may see the visit."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from fieldapp.server.testing import LiveServer

from .kit import Api, add_case, item, make_people, visit_payload


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
        "agent2": 403, "lead1": 403, "lead2": 403, "admin": 200}  # no visit references it yet
    [res] = api.push(item(case_id, visit_payload(case_id), attachments=[sha]))
    assert res["status"] == "accepted"
    assert {n: a.get(f"/api/v1/attachments/{sha}").status_code for n, a in peers.items()} == {
        "agent2": 403, "lead1": 200, "lead2": 403, "admin": 200}


def test_attachments_need_a_token(world):
    live, _, _ = world
    r = httpx.put(live.url + "/api/v1/attachments/" + hashlib.sha256(b"a").hexdigest(), content=b"a")
    assert r.status_code == 401
