"""A pooled PostgreSQL connection that died while idle (a restarted server, a dropped link)
is replaced before use, while connections in steady use are handed out without a ping; a
request that meets a connection broken under it is a 503 to retry, not a 500."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from fieldapp.server import db as server_db
from fieldapp.server.db import make_engine
from fieldapp.server.testing import LiveServer

from .kit import Api, make_people

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("connection pings are PostgreSQL's")
    return db_url


def _backend_pid(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(url: str, which: str, **values: object) -> int:
    """End the server backends `which` (a condition on pg_stat_activity) picks; how many."""
    other = make_engine(url)
    try:
        with other.begin() as conn:
            return int(conn.execute(text(f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                         f"WHERE {which}"), values).scalar_one())
    finally:
        other.dispose()


def _kill(url: str, pid: int) -> None:
    assert _terminate(url, "pid = :pid", pid=pid) == 1


def _pings(engine) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    real = engine.dialect.do_ping

    def counting(dbapi_conn):  # type: ignore[no-untyped-def]
        seen.append("ping")
        return real(dbapi_conn)

    engine.dialect.do_ping = counting
    return seen


@pytest.fixture
def pool(pg_url, monkeypatch):
    """An engine of one pooled connection, pinged after 2 s idle on a clock the test moves;
    and the pings it made."""
    clock = [1000.0]
    monkeypatch.setattr(server_db.time, "monotonic", lambda: clock[0])
    engine = make_engine(pg_url, pool_size=1, max_overflow=0, ping_after_idle=2.0)
    try:
        yield engine, clock, _pings(engine)
    finally:
        engine.dispose()


def test_a_connection_killed_while_idle_is_replaced(pg_url, pool):
    engine, clock, pings = pool
    first = _backend_pid(engine)
    _kill(pg_url, first)
    clock[0] += 2.5  # idle past the limit: pinged, found dead, replaced
    second = _backend_pid(engine)
    assert second != first and pings == ["ping"]
    assert _backend_pid(engine) == second and pings == ["ping"]  # in steady use: no ping


def test_a_connection_in_steady_use_is_not_pinged(pg_url, pool):
    """Without the idle time, the same dead connection is handed out (the request that meets
    it fails): what the ping is there for, and the round trip it saves under load."""
    engine, clock, pings = pool
    first = _backend_pid(engine)
    clock[0] += 1.0
    assert _backend_pid(engine) == first and pings == []
    _kill(pg_url, first)
    clock[0] += 1.0
    with pytest.raises(OperationalError):
        _backend_pid(engine)
    assert _backend_pid(engine) != first  # the pool dropped it after the failure


def test_a_request_on_a_connection_broken_under_it_is_a_503_to_retry(pg_url, monkeypatch):
    """The database restarted between two requests, too soon for a ping: the request that
    meets the broken connection is answered 503 `busy` with Retry-After (nothing applied,
    the laptop tries again), and the pool, dropped, serves the next one."""
    monkeypatch.setattr(server_db, "PING_AFTER_IDLE_S", 3600.0)  # no ping: the request meets it
    name = f"fa-test-{uuid.uuid4().hex[:12]}"  # only this server's connections are killed
    url = make_url(pg_url).update_query_dict({"application_name": name}).render_as_string(hide_password=False)
    with LiveServer(url, upgrade_db=False) as live:
        with live.session() as s, s.begin():
            make_people(s)
        api = Api(live.url, "agent1")
        assert api.get("/api/v1/sync/pull").status_code == 200
        assert _terminate(pg_url, "application_name = :name", name=name) >= 1
        broken = api.get("/api/v1/sync/pull")
        assert broken.status_code == 503, broken.text
        assert broken.json()["error"] == "busy" and broken.headers["Retry-After"] == "2"
        assert api.get("/api/v1/sync/pull").status_code == 200
