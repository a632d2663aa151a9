"""The HTTP transport against a real server behind a fault-injecting proxy, and alone."""

from __future__ import annotations

import pytest
from faultproxy import FaultProxy, dead_url

from fieldapp.core.errors import BadInput
from fieldapp.protocol.v1 import LoginRequest
from fieldapp.sync.errors import (BadCredentials, DeviceRevoked, IncompatibleServer, Offline, ProtocolError,
                                  RequestRefused, ServerError, TokenExpired)
from fieldapp.sync.transport import RetryPolicy, Transport

RETRY = RetryPolicy(attempts=3, backoff_s=0.01, backoff_max_s=0.04)


@pytest.fixture
def proxy(server):
    with FaultProxy(server.url) as p:
        yield p


def _transport(url, **kw):
    kw.setdefault("retry", RETRY)
    return Transport(url, **kw)


def test_server_down_retries_with_bounded_backoff_then_offline():
    sleeps: list[float] = []
    t = _transport(dead_url(), sleep=sleeps.append)
    with pytest.raises(Offline, match="Cannot reach http://127.0.0.1"):
        t.meta()
    assert len(sleeps) == 2 and all(0 <= s <= 0.04 for s in sleeps)
    t.close()


def test_backoff_is_exponential_jittered_and_capped():
    policy = RetryPolicy(attempts=8, backoff_s=0.5, backoff_max_s=4.0)
    assert [policy.delay(n, lambda: 1.0) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert policy.delay(3, lambda: 0.25) == 0.5


def test_connection_reset_is_retried(proxy):
    proxy.add("GET /api/v1/meta", "reset", times=2)
    t = _transport(proxy.url)
    assert t.meta().api_versions == [1]
    assert proxy.count("GET /api/v1/meta") == 3
    t.close()


def test_reset_mid_response_every_time_ends_offline(proxy):
    proxy.add("GET /api/v1/meta", "reset_after", times=3)
    t = _transport(proxy.url)
    with pytest.raises(Offline):
        t.meta()
    t.close()


def test_5xx_is_retried_then_a_server_error_names_the_failure(proxy):
    proxy.add("GET /api/v1/meta", "status", times=3, status=500)
    t = _transport(proxy.url)
    with pytest.raises(ServerError, match="injected failure") as info:
        t.meta()
    assert info.value.status == 500 and proxy.count("GET /api/v1/meta") == 3
    proxy.add("GET /api/v1/meta", "status", times=2, status=503)
    assert t.meta().api_versions == [1]
    t.close()


def test_slow_answers_time_out_and_are_retried(proxy):
    proxy.add("GET /api/v1/meta", "slow", times=1, delay=0.6)
    t = _transport(proxy.url, timeout_s=0.2)
    assert t.meta().api_versions == [1]  # the second attempt is fast
    proxy.add("GET /api/v1/meta", "slow", times=3, delay=0.6)
    with pytest.raises(Offline, match="did not answer in time"):
        t.meta()
    t.close()


def test_garbage_json_is_a_protocol_error(proxy):
    proxy.add("GET /api/v1/meta", "body", body=b"<html>Welcome to the hotel wifi</html>")
    t = _transport(proxy.url)
    with pytest.raises(ProtocolError, match=r"GET /meta: the server answered invalid JSON"):
        t.meta()
    t.close()


def test_wrong_shape_names_the_field(proxy):
    proxy.add("GET /api/v1/meta", "body", body=b'{"api_versions": "one", "server_version": "x"}')
    t = _transport(proxy.url)
    with pytest.raises(ProtocolError, match=r"api_versions: .*; server_time: Field required"):
        t.meta()
    t.close()


def test_incompatible_servers():
    with FaultProxy(None) as alone:
        alone.add("GET /api/v1/meta", "body",
                  body=b'{"api_versions": [2], "server_version": "9", "server_time": "2026-01-01T00:00:00Z"}')
        alone.add("GET /api/v1/meta", "status", status=426,
                  body=b'{"error": "incompatible_version", "detail": "version 1 retired"}')
        t = _transport(alone.url)
        with pytest.raises(IncompatibleServer, match="protocol versions 2"):
            t.meta()
        with pytest.raises(IncompatibleServer, match="version 1 retired"):
            t.meta()
        with pytest.raises(IncompatibleServer, match="does not offer the fieldapp sync API"):
            t.meta()  # no upstream: 404
        t.close()


def test_401_codes_map_to_distinct_errors(server):
    with FaultProxy(None) as alone:
        for code in ("device_revoked", "token_expired"):
            alone.add("GET /api/v1/sync/pull", "status", status=401,
                      body=f'{{"error": "{code}", "detail": "x"}}'.encode())
        t = _transport(alone.url)
        with pytest.raises(DeviceRevoked):
            t.pull("tok", 0, 10)
        with pytest.raises(TokenExpired):
            t.pull("tok", 0, 10)
        t.close()
    t = _transport(server.url)
    with pytest.raises(BadCredentials):
        t.login(LoginRequest(username="nobody-here", password="wrong password", device_id="device-0001"))
    with pytest.raises(TokenExpired) as info:
        t.pull("not-a-token", 0, 10)
    assert info.value.code == "token_invalid"
    t.close()


def test_other_refusals_keep_status_and_code(proxy):
    proxy.add("GET /api/v1/meta", "status", status=403, body=b'{"error": "forbidden", "detail": "no"}')
    t = _transport(proxy.url)
    with pytest.raises(RequestRefused) as info:
        t.meta()
    assert (info.value.status, info.value.code) == (403, "forbidden")
    t.close()


def test_bad_server_address_is_bad_input():
    for url in ("", "ftp://x", "localhost:8000", "http://"):
        with pytest.raises(BadInput, match="not a server address"):
            Transport(url)


def test_clock_offset_from_server_time(proxy):
    import datetime as dt

    def shift(body: dict) -> dict:
        t = dt.datetime.fromisoformat(body["server_time"].replace("Z", "+00:00"))
        body["server_time"] = (t + dt.timedelta(minutes=10)).isoformat()
        return body

    proxy.add("GET /api/v1/meta", "rewrite", fn=shift)
    t = _transport(proxy.url)
    t.meta()
    assert 595 < t.clock.offset_s < 605
    t.meta()
    assert abs(t.clock.offset_s) < 5
    t.close()


def test_throttling_long_is_reported_at_once_short_is_waited_out(proxy):
    sleeps: list[float] = []
    t = _transport(proxy.url, sleep=sleeps.append)
    proxy.add("GET /api/v1/meta", "status", status=429, headers={"Retry-After": "900"},
              body=b'{"error": "rate_limited", "detail": "too many failed logins; try again in 900 s"}')
    with pytest.raises(RequestRefused, match="try again in 900 s") as info:
        t.meta()
    assert info.value.code == "rate_limited" and proxy.count("GET /api/v1/meta") == 1 and sleeps == []
    proxy.add("GET /api/v1/meta", "status", status=429, headers={"Retry-After": "0.03"},
              body=b'{"error": "rate_limited", "detail": "slow down"}')
    assert t.meta().api_versions == [1]
    assert len(sleeps) == 1 and sleeps[0] >= 0.03
    t.close()
