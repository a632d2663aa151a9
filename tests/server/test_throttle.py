"""Login throttling: per (user, address) with exponential back-off, known devices unaffected by
an attack on their user's name, the address limit a slow-down (never a lock-out), the real
client address taken from the entry the trusted proxy appended to X-Forwarded-For."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from starlette.requests import Request

from fieldapp.server.deps import client_ip
from fieldapp.server.settings import ServerSettings
from fieldapp.server.testing import LiveServer

from .kit import Api, make_people, password

PROXY = {"trusted_proxy_header": "x-forwarded-for"}


def _request(*forwarded: str, peer: str = "10.9.8.7") -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers,
                    "client": (peer, 4711), "query_string": b""})


@pytest.mark.parametrize("headers,hops,expected", [
    (["6.6.6.6, 203.0.113.7"], 1, "203.0.113.7"),          # nginx appended the real peer on the right
    (["6.6.6.6, 198.51.100.2, 203.0.113.7"], 2, "198.51.100.2"),  # two proxies of ours
    (["203.0.113.7"], 1, "203.0.113.7"),
    (["203.0.113.7"], 2, "203.0.113.7"),                     # fewer entries than hops: the outermost
    (["6.6.6.6", "203.0.113.7"], 1, "203.0.113.7"),          # two header lines are one list
    (["6.6.6.6, [2001:db8::1]:443"], 1, "2001:db8::1"),
    (["6.6.6.6, 203.0.113.7:5555"], 1, "203.0.113.7"),
    (["6.6.6.6, not-an-address"], 1, "10.9.8.7"),            # garbage: the connection's peer
    ([], 1, "10.9.8.7"),
])
def test_client_ip_takes_what_the_trusted_proxy_appended(headers, hops, expected):
    settings = ServerSettings.load(trusted_proxy_header="x-forwarded-for", trusted_proxy_hops=hops)
    assert client_ip(_request(*headers), settings) == expected


def test_without_a_trusted_header_the_peer_counts():
    assert client_ip(_request("6.6.6.6, 203.0.113.7"), ServerSettings.load()) == "10.9.8.7"


@pytest.fixture
def server(db_url, app_clock):
    app_clock.tick = False
    with LiveServer(db_url, upgrade_db=False, login_max_failures_ip=5, login_slowdown_max_seconds=8,
                    **PROXY) as live:
        with live.session() as s, s.begin():
            make_people(s)
        yield live


def _login(live, username, pw=None, *, ip, device=None):
    api = Api(live.url, device_id=device or f"dev-{uuid.uuid4().hex[:12]}")
    api.client.headers["X-Forwarded-For"] = f"{uuid.uuid4().int % 250}.1.2.3, {ip}"  # spoofed left
    try:
        return api.login(username, pw or password(username))
    finally:
        api.close()


def test_spoofed_leftmost_entries_do_not_escape_throttling(server):
    for _ in range(5):
        assert _login(server, "nobody", "wrong-password", ip="203.0.113.7").status_code == 401
    r = _login(server, "agent1", ip="203.0.113.7")
    assert (r.status_code, r.json()["error"]) == (429, "rate_limited")


def test_backoff_per_user_and_address_grows(server, app_clock):
    waits = []
    for attempt in range(9):
        r = _login(server, "agent2", "wrong-password", ip="198.51.100.9")
        if r.status_code == 429:
            waits.append(int(r.headers["retry-after"]))
            body = r.json()
            assert body["retry_after"] == waits[-1] and f"try again in {waits[-1]} s" in body["detail"]
            app_clock.advance(seconds=waits[-1])
            r = _login(server, "agent2", "wrong-password", ip="198.51.100.9")
        assert r.status_code == 401
    assert waits == [1, 2, 4, 8] and all(b > a for a, b in zip(waits, waits[1:]))
    # The right password is refused too while the wait runs, then works.
    assert _login(server, "agent2", ip="198.51.100.9").status_code == 429
    app_clock.advance(seconds=16)
    assert _login(server, "agent2", ip="198.51.100.9").status_code == 200


def test_an_attack_from_elsewhere_never_locks_the_user_out(server):
    laptop = f"dev-{uuid.uuid4().hex[:12]}"
    assert _login(server, "agent1", ip="192.0.2.10", device=laptop).status_code == 200  # known from now on
    statuses = [_login(server, "agent1", "guess-%d" % i, ip="203.0.113.66").status_code for i in range(40)]
    assert statuses.count(429) > 20  # the attacker is slowed down...
    # ...while the user's laptop signs in, from home or even from the attacker's address,
    assert _login(server, "agent1", ip="192.0.2.10", device=laptop).status_code == 200
    assert _login(server, "agent1", ip="203.0.113.66", device=laptop).status_code == 200
    # and a new device of the user's from another address is not held by the attack.
    assert _login(server, "agent1", ip="192.0.2.11").status_code == 200


def test_a_known_device_has_its_own_backoff(server):
    laptop = f"dev-{uuid.uuid4().hex[:12]}"
    assert _login(server, "agent3", ip="192.0.2.20", device=laptop).status_code == 200
    for _ in range(5):
        assert _login(server, "agent3", "typo-password", ip="192.0.2.20", device=laptop).status_code == 401
    r = _login(server, "agent3", ip="192.0.2.20", device=laptop)
    assert r.status_code == 429 and "this device" in r.json()["detail"]


def test_the_address_limit_is_a_slowdown_not_a_lockout(server, app_clock):
    """A branch office behind one NAT: failures of several people slow new sign-ins from that
    address down (waits grow to at most 8 s here), but never lock the office out."""
    office = "198.51.100.200"
    waits = []
    for i in range(12):
        r = _login(server, f"typist{i}", "wrong-password", ip=office)
        if r.status_code == 429:
            waits.append(int(r.headers["retry-after"]))
            app_clock.advance(seconds=waits[-1])
            assert _login(server, f"typist{i}", "wrong-password", ip=office).status_code == 401
    assert waits and max(waits) <= 8 and waits == sorted(waits) and waits[-1] == 8
    r = _login(server, "agent1", ip=office)  # someone else in the office, on a new laptop
    assert r.status_code == 429 and int(r.headers["retry-after"]) <= 8
    assert "this address" in r.json()["detail"]
    app_clock.advance(seconds=int(r.headers["retry-after"]))
    assert _login(server, "agent1", ip=office).status_code == 200


def test_throttling_is_shared_by_every_worker(server, db_url, app_clock):
    for _ in range(6):
        _login(server, "lead1", "wrong-password", ip="203.0.113.90")
    with LiveServer(db_url, upgrade_db=False, **PROXY) as second:
        r = _login(second, "lead1", ip="203.0.113.90")
        assert r.status_code == 429
    app_clock.advance(dt.timedelta(minutes=16))  # the window has passed
    assert _login(server, "lead1", ip="203.0.113.90").status_code == 200
