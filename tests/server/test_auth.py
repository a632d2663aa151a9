"""Sign-in, tokens, devices and throttling, over real HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib

import httpx
import pytest
from sqlalchemy import select, update

from fieldapp.core.timeutil import utcnow
from fieldapp.server import admin
from fieldapp.server.models import Token

from .kit import Api, make_people, password


@pytest.fixture
def people(live):
    with live.session() as s, s.begin():
        make_people(s)
    return live


def test_login_returns_token_stored_only_as_its_hash(people):
    api = Api(people.url)
    r = api.login("agent1")
    assert r.status_code == 200
    body = r.json()
    assert body["user"] == {**body["user"], "username": "agent1", "role": "agent", "team": "t1"}
    assert body["api_version"] == 1 and body["server_time"].endswith("Z")
    expires = dt.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert dt.timedelta(days=13, hours=23) < expires - utcnow() <= dt.timedelta(days=14)
    with people.session() as s:
        stored = s.scalars(select(Token.token_sha256)).all()
    assert stored == [hashlib.sha256(body["token"].encode()).hexdigest()]
    assert api.get("/api/v1/sync/pull").status_code == 200


@pytest.mark.parametrize("username,pw", [("agent1", "wrong-password"), ("nobody", "whatever-1")])
def test_bad_credentials(people, username, pw):
    r = Api(people.url).login(username, pw)
    assert r.status_code == 401
    assert r.json()["error"] == "bad_credentials"
    assert "server_time" in r.json()


def test_missing_and_garbage_tokens(people):
    plain = httpx.Client(base_url=people.url)
    r = plain.get("/api/v1/sync/pull")
    assert (r.status_code, r.json()["error"]) == (401, "token_missing")
    assert r.headers["www-authenticate"] == "Bearer"
    r = plain.get("/api/v1/sync/pull", headers={"Authorization": "Basic abc"})
    assert r.json()["error"] == "token_missing"
    r = plain.get("/api/v1/sync/pull", headers={"Authorization": "Bearer not-a-token"})
    assert (r.status_code, r.json()["error"]) == (401, "token_invalid")


def test_expired_token(people):
    api = Api(people.url, "agent1")
    with people.session() as s, s.begin():
        s.execute(update(Token).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    r = api.get("/api/v1/sync/pull")
    assert (r.status_code, r.json()["error"]) == (401, "token_expired")


def test_ttl_is_configurable(db_url):
    from fieldapp.server.testing import LiveServer

    with LiveServer(db_url, upgrade_db=False, token_ttl_days=0.5) as live:
        with live.session() as s, s.begin():
            make_people(s)
        body = Api(live.url).login("agent2").json()
        expires = dt.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
        assert dt.timedelta(hours=11) < expires - utcnow() <= dt.timedelta(hours=12)


def test_revoked_device_gets_device_revoked_everywhere(people):
    laptop = Api(people.url, "agent1")
    other = Api(people.url, "agent1")
    with people.session() as s, s.begin():
        admin.revoke_device(s, "agent1", laptop.device_id)
    for r in (laptop.get("/api/v1/sync/pull"),
              laptop.post("/api/v1/sync/push", json={"device_id": laptop.device_id, "items": []})):
        assert (r.status_code, r.json()["error"]) == (401, "device_revoked")
    again = laptop.login("agent1")
    assert (again.status_code, again.json()["error"]) == (401, "device_revoked")
    assert other.get("/api/v1/sync/pull").status_code == 200


def test_logout_revokes_only_this_token(people):
    a = Api(people.url, "agent1")
    b = Api(people.url, "agent1", device_id=a.device_id)
    assert a.post("/api/v1/auth/logout").status_code == 200
    assert a.get("/api/v1/sync/pull").json()["error"] == "token_invalid"
    assert b.get("/api/v1/sync/pull").status_code == 200


def test_api_version_header(people):
    api = Api(people.url, "agent1")
    for value in ("2", "0", "abc"):
        r = api.get("/api/v1/sync/pull", headers={"X-Fieldapp-Api": value})
        assert (r.status_code, r.json()["error"]) == (426, "incompatible_version")
    meta = httpx.get(people.url + "/api/v1/meta", headers={"X-Fieldapp-Api": "99"})
    assert meta.status_code == 200 and meta.json()["api_versions"] == [1]


def test_login_is_audited_without_personal_data(people):
    from fieldapp.server.models import AuditEntry

    Api(people.url, "agent1")
    Api(people.url).login("agent1", "wrong-password")
    with people.session() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action.like("login%"))).all()
    assert {r.action for r in rows} >= {"login", "login.failed"}
    text = repr([(r.detail, r.object_id) for r in rows])
    assert "agent1" not in text and "wrong-password" not in text and password("agent1") not in text


@pytest.mark.parametrize("how,error", [("unknown", "token_invalid"), ("logged_out", "token_invalid"),
                                       ("inactive", "token_invalid"), ("expired", "token_expired"),
                                       ("expires_now", "token_expired"), ("device_revoked", "device_revoked"),
                                       ("revoked_and_expired", "device_revoked")])
def test_a_pull_refuses_a_token_as_every_other_request_does(people, app_clock, how, error):
    """Every way a token is refused, in the rule's order (a revoked device first; expiry is
    at the second it expires), the same on a pull, a push and a lead's pull."""
    from fieldapp.server.models import Device, User

    app_clock.tick = False
    api = Api(people.url, "agent1")
    with people.session() as s, s.begin():
        if how == "unknown":
            api.client.headers["Authorization"] = "Bearer " + "x" * 43
        elif how == "logged_out":
            s.execute(update(Token).values(revoked_at=utcnow()))
        elif how == "inactive":
            s.execute(update(User).where(User.username == "agent1").values(active=False))
        elif how == "expired":
            s.execute(update(Token).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        elif how == "expires_now":
            s.execute(update(Token).values(expires_at=utcnow()))
        else:
            s.execute(update(Device).values(revoked_at=utcnow()))
            if how == "revoked_and_expired":
                s.execute(update(Token).values(expires_at=utcnow() - dt.timedelta(days=1)))
    answers = [api.get("/api/v1/sync/pull", params={"cursor": 0}),
               api.post("/api/v1/sync/push", json={"device_id": api.device_id, "items": []}),
               api.get("/api/v1/lead/pull")]
    assert [(r.status_code, r.json()["error"]) for r in answers] == [(401, error)] * 3
    assert all(r.headers["www-authenticate"] == "Bearer" for r in answers)
