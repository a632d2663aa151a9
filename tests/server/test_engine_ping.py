"""A pooled PostgreSQL connection that died while idle (a restarted server, a dropped link)
is replaced before use, while connections in steady use are handed out without a ping."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from fieldapp.server import db as server_db
from fieldapp.server.db import make_engine

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("connection pings are PostgreSQL's")
    return db_url


def _backend_pid(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _kill(url: str, pid: int) -> None:
    other = make_engine(url)
    try:
        with other.begin() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    finally:
        other.dispose()


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
