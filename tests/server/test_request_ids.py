"""Every answer carries X-Request-Id (the proxy's when sane, else our own), errors and
refusals included, and the log lines written for the request carry the same id."""

from __future__ import annotations

import json
import logging
import re

import httpx
import pytest
from sqlalchemy import text

from fieldapp.server.observability.logs import JsonFormatter
from fieldapp.server.testing import LiveServer

from .kit import Api, make_people

HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_log():
    """The JSON lines the server writes while the test runs (a real handler on the root)."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect(level=logging.DEBUG)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lines
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_the_proxys_id_is_kept_and_a_bad_one_replaced(live):
    r = httpx.get(live.url + "/api/v1/meta", headers={"X-Request-Id": "nginx-7f3a9c2e41d0"})
    assert r.headers["x-request-id"] == "nginx-7f3a9c2e41d0"
    for bad in ("short", "has spaces in it", "x" * 101, "semi;colon-1234567", "ünïcode-12345678"):
        r = httpx.get(live.url + "/api/v1/meta", headers={"X-Request-Id": bad.encode("utf-8")})
        assert HEX32.fullmatch(r.headers["x-request-id"]), bad
    ids = {httpx.get(live.url + "/api/v1/meta").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3 and all(HEX32.fullmatch(i) for i in ids)


def test_refusals_carry_an_id_too(tmp_path):
    with LiveServer(f"sqlite:///{tmp_path / 's.db'}", max_json_bytes=2048) as server:
        for r in (httpx.get(server.url + "/no/such/endpoint"),
                  httpx.get(server.url + "/api/v1/sync/pull"),                      # 401
                  httpx.post(server.url + "/api/v1/sync/push", content=b"{" * 5000,  # 413
                             headers={"Content-Type": "application/json"})):
            assert r.status_code in (401, 404, 413) and HEX32.fullmatch(r.headers["x-request-id"])


def test_an_unexpected_error_answers_500_with_the_id_of_its_log_line(tmp_path, json_log):
    with LiveServer(f"sqlite:///{tmp_path / 's.db'}") as server:
        with server.session() as s, s.begin():
            make_people(s)
            s.execute(text("DROP TABLE login_failures"))  # the database breaks under the server
        r = httpx.post(server.url + "/api/v1/auth/login", headers={"X-Request-Id": "support-case-000042"},
                       json={"username": "agent1", "password": "pw-agent1-2026", "device_id": "dev-000001"})
    assert r.status_code == 500 and r.json()["error"] == "server_error"
    assert r.headers["x-request-id"] == "support-case-000042"
    records = [json.loads(line) for line in json_log]
    mine = [rec for rec in records if rec.get("request_id") == "support-case-000042"]
    error = next(rec for rec in mine if rec["logger"] == "fieldapp.server.errors")
    assert error["level"] == "error" and "OperationalError" in error["msg"] and "exc" in error
    access = next(rec for rec in mine if rec["logger"] == "fieldapp.access")
    assert (access["route"], access["status"]) == ("/api/v1/auth/login", 500)


def test_access_lines_name_the_route_template_and_the_user(live, json_log):
    with live.session() as s, s.begin():
        make_people(s)
    api = Api(live.url, "agent1")
    r = api.get("/api/v1/cases/some-case-id-123")
    assert r.status_code == 404
    records = [json.loads(line) for line in json_log if '"fieldapp.access"' in line]
    line = next(rec for rec in records if rec["request_id"] == r.headers["x-request-id"])
    assert line["route"] == "/api/v1/cases/{case_id}" and line["status"] == 404
    assert line["user_id"] == api.user["id"] and line["method"] == "GET"
    assert isinstance(line["duration_ms"], float)
    assert "some-case-id-123" not in json.dumps(records)
    login = next(rec for rec in records if rec["route"] == "/api/v1/auth/login")
    assert login["user_id"] == api.user["id"] and login["status"] == 200


def test_an_unexpected_error_keeps_the_connection_for_the_next_request(tmp_path, json_log):
    """The 500 is a whole answer: the server does not drop the connection afterwards (a client
    that already sent its next request on it would see a reset instead of an answer)."""
    with LiveServer(f"sqlite:///{tmp_path / 's.db'}") as server:
        with server.session() as s, s.begin():
            make_people(s)
            s.execute(text("DROP TABLE login_failures"))
        with httpx.Client(base_url=server.url) as client:
            answers = [client.post("/api/v1/auth/login", json={"username": "agent1", "password": "pw-agent1-2026",
                                                              "device_id": "dev-000003"}) for _ in range(3)]
            answers.append(client.get("/api/v1/meta"))
    assert [a.status_code for a in answers] == [500, 500, 500, 200]
    assert all(a.headers.get("connection", "").lower() != "close" for a in answers)
    records = [json.loads(line) for line in json_log]
    assert not [r for r in records if "Exception in ASGI application" in r.get("msg", "")]


def test_the_laptops_error_names_the_request_id(tmp_path, json_log):
    """A server failure reaches the agent as ServerError naming the request id of the last
    attempt; the server's log has lines with that id."""
    from fieldapp.protocol.v1 import LoginRequest
    from fieldapp.sync.errors import ServerError
    from fieldapp.sync.transport import RetryPolicy, Transport

    with LiveServer(f"sqlite:///{tmp_path / 's.db'}") as server:
        with server.session() as s, s.begin():
            make_people(s)
            s.execute(text("DROP TABLE login_failures"))
        transport = Transport(server.url, retry=RetryPolicy(attempts=2, backoff_s=0.01, backoff_max_s=0.02))
        with pytest.raises(ServerError) as failed:
            transport.login(LoginRequest(username="agent1", password="pw-agent1-2026", device_id="dev-000002"))
        transport.close()
    exc = failed.value
    assert exc.status == 500 and HEX32.fullmatch(exc.request_id)
    assert str(exc).endswith(f"(request id {exc.request_id})")
    logged = [json.loads(line) for line in json_log]
    assert {r["logger"] for r in logged if r.get("request_id") == exc.request_id} >= {
        "fieldapp.server.errors", "fieldapp.access"}
