"""Malformed requests get a 4xx with a reason, never a 500: every endpoint in the OpenAPI
schema is fed garbage JSON, wrong types, huge and deeply nested bodies and bad ids."""

from __future__ import annotations

import httpx
import pytest

from fieldapp.server.testing import LiveServer

from .kit import Api, add_case, make_people

BAD_IDS = ["not-a-uuid", "..%2F..%2Fetc%2Fpasswd", "%00", "x" * 300, "😀", "' OR 1=1 --", "-1"]
BODIES = [b"{garbage", b"[]", b"null", b"42", b'"text"', b'{"items": "x", "device_id": 5}',
          b'{"username": ["a"], "password": {}, "device_id": null}', b"\xff\xfe\x00",
          b'{"device_id": "d", "items": [{"id": 1}]}', b"[" * 50000 + b"]" * 50000,
          b'{"a": ' * 20000 + b"1" + b"}" * 20000]


@pytest.fixture(scope="module")
def world(module_db_url):
    with LiveServer(module_db_url, upgrade_db=False, max_json_bytes=256 * 1024,
                    max_attachment_bytes=256 * 1024) as live:
        with live.session() as s, s.begin():
            make_people(s)
            add_case(s, "G-1", "agent1")
        api = Api(live.url, "agent1")
        admin = Api(live.url, "admin")
        schema = httpx.get(live.url + "/openapi.json").json()
        yield live, api, admin, schema


def _operations(schema):
    for path, methods in schema["paths"].items():
        for method in methods:
            yield method.upper(), path


def _fill(path, value):
    import re
    return re.sub(r"\{[^}]+\}", value, path)


def _assert_4xx(r, what):
    assert 400 <= r.status_code < 500, f"{what}: {r.status_code} {r.text[:200]}"
    if r.status_code != 405:
        body = r.json()
        assert body["error"] and body["detail"] and body["server_time"], what


def test_openapi_is_served_and_lists_the_sync_endpoints(world):
    _, _, _, schema = world
    paths = set(schema["paths"])
    assert {"/api/v1/auth/login", "/api/v1/sync/pull", "/api/v1/sync/push",
            "/api/v1/attachments/{sha256}", "/api/v1/meta"} <= paths
    assert "PushRequest" in schema["components"]["schemas"]


@pytest.mark.parametrize("who", ["agent", "admin", "anonymous"])
def test_garbage_bodies(world, who):
    live, api, admin, schema = world
    client = {"agent": api.client, "admin": admin.client,
              "anonymous": httpx.Client(base_url=live.url)}[who]
    for method, path in _operations(schema):
        if method == "GET":
            continue
        url = _fill(path, "a" * 64)
        for body in BODIES:
            for ctype in ("application/json", "text/plain", "application/octet-stream"):
                r = client.request(method, url, content=body, headers={"Content-Type": ctype})
                if r.status_code < 400:
                    # Only the attachment upload and logout take anything; none may 5xx.
                    assert path.startswith("/api/v1/attachments") or path.endswith("/logout"), (path, body[:30])
                    continue
                _assert_4xx(r, f"{method} {path} {body[:30]!r} {ctype}")


def test_bad_ids_in_paths_and_queries(world):
    live, api, admin, schema = world
    for client in (api.client, admin.client):
        for method, path in _operations(schema):
            for bad in BAD_IDS:
                r = client.request(method, _fill(path, bad), json={})
                if "{" in path or method != "GET":
                    if r.status_code >= 400:
                        _assert_4xx(r, f"{method} {path} {bad!r}")
                    else:
                        assert r.status_code < 500
        for params in ({"cursor": "1; DROP TABLE cases"}, {"limit": "∞"}, {"cursor": "0x10"},
                       {"cursor": ["1", "2"]}, {"limit": "-0"}, {"cursor": "1" * 400}):
            r = client.get("/api/v1/sync/pull", params=params)
            _assert_4xx(r, repr(params))


def test_huge_bodies_are_413(world):
    live, api, _, schema = world
    huge = b'{"device_id": "' + b"x" * (300 * 1024) + b'", "items": []}'
    for method, path in _operations(schema):
        if method in ("GET",):
            continue
        r = api.client.request(method, _fill(path, "b" * 64), content=huge,
                               headers={"Content-Type": "application/json"})
        assert (r.status_code, r.json()["error"]) == (413, "too_large"), path

    def stream():
        for _ in range(400):
            yield b"x" * 1024
    r = api.client.post("/api/v1/sync/push", content=stream(), headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()["error"]) == (413, "too_large")


def test_bad_content_length_header(world):
    import socket
    live, api, _, _ = world
    with socket.create_connection(("127.0.0.1", live.port)) as sock:
        sock.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n")
        reply = sock.recv(1000)
    assert reply.startswith(b"HTTP/1.1 4")


def test_unknown_paths_and_methods(world):
    live, api, _, _ = world
    r = api.get("/api/v1/nothing-here")
    assert (r.status_code, r.json()["error"]) == (404, "not_found")
    r = api.client.delete("/api/v1/sync/pull")
    assert r.status_code == 405 and r.json()["error"] == "invalid"
