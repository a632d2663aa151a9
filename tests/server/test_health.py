"""/healthz and /readyz on a real server: ready on a migrated database; not ready (503, a
short reason) while the database file is missing or unmigrated, while PostgreSQL is down
or does not answer, or while a registered check fails; ready again once that is fixed."""

from __future__ import annotations

import socket

import httpx
import pytest
from sqlalchemy.engine import make_url

from fieldapp.cli import main
from fieldapp.server.db import downgrade, head_revision, upgrade
from fieldapp.server.services.health import Check, Readiness
from fieldapp.server.testing import LiveServer

from .conftest import pg_schema
from .ops_kit import Forwarder, free_port


def _ready(server) -> tuple[int, dict]:
    r = httpx.get(server.url + "/readyz", timeout=30)
    assert r.headers["cache-control"] == "no-store"
    return r.status_code, r.json()


def _alive(server) -> bool:
    r = httpx.get(server.url + "/healthz", timeout=10)
    return r.status_code == 200 and r.json() == {"status": "ok"}


def test_a_migrated_database_is_ready(live):
    assert _alive(live)
    assert _ready(live) == (200, {"status": "ready", "checks": {"database": "ok", "schema": "ok"}})


def test_a_missing_sqlite_file_is_not_ready_until_init(tmp_path):
    path = tmp_path / "data" / "server.db"
    url = f"sqlite:///{path}"
    with LiveServer(url, upgrade_db=False) as server:
        assert _ready(server) == (503, {"status": "not_ready", "checks": {
            "database": "database file missing", "schema": "not checked"}})
        assert not path.exists()  # the probe never creates the database
        assert _alive(server)     # the process is fine: only not ready
        assert main(["server", "init", "--db", url]) == 0
        assert _ready(server)[0] == 200


def test_an_unmigrated_or_older_schema_is_not_ready(tmp_path):
    path = tmp_path / "server.db"
    path.touch()  # an empty SQLite database
    url = f"sqlite:///{path}"
    with LiveServer(url, upgrade_db=False) as server:
        status, body = _ready(server)
        assert (status, body["checks"]) == (503, {"database": "ok", "schema": "no schema: run `fieldapp server init`"})
        upgrade(url, "0001")
        status, body = _ready(server)
        assert status == 503
        assert body["checks"]["schema"] == f"schema 0001, this code needs {head_revision()}: run `fieldapp server init`"
        assert main(["server", "init", "--db", url]) == 0
        assert _ready(server)[0] == 200
        downgrade(url, "base")
        assert _ready(server)[0] == 503


@pytest.mark.postgres
def test_postgresql_stopped_then_started_again():
    with pg_schema("ready") as url:
        if url is None:
            pytest.skip("FIELDAPP_TEST_PG_URL is not set")
        target = make_url(url)
        db = Forwarder((target.host or "127.0.0.1", target.port or 5432)).start()
        via = target.set(port=db.port).render_as_string(hide_password=False)
        try:
            with LiveServer(via, upgrade_db=False) as server:
                assert _ready(server)[0] == 200
                db.stop()  # the port is closed: as if the cluster were stopped
                assert _ready(server) == (503, {"status": "not_ready", "checks": {
                    "database": "unreachable", "schema": "not checked"}})
                assert _alive(server)
                db.start()
                assert _ready(server) == (200, {"status": "ready", "checks": {"database": "ok", "schema": "ok"}})
        finally:
            db.stop()


@pytest.mark.postgres
def test_a_closed_port_or_a_silent_database_fails_fast():
    """Nothing listens / something listens but never answers: 503 within the probe's own
    time-outs (the client here would give up after 30 s)."""
    with pg_schema("silent") as url:
        if url is None:
            pytest.skip("FIELDAPP_TEST_PG_URL is not set")
        closed = make_url(url).set(port=free_port()).render_as_string(hide_password=False)
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections in the kernel, never says a word
        mute = make_url(url).set(port=silent.getsockname()[1]).render_as_string(hide_password=False)
        try:
            for target in (closed, mute):
                with LiveServer(target, upgrade_db=False, readiness_timeout_seconds=1) as server:
                    status, body = _ready(server)
                    assert status == 503 and body["checks"]["database"] in ("unreachable", "no answer within 3 s")
        finally:
            silent.close()


def test_registered_checks_decide_too(live):
    ready = live.app.state.readiness
    calls = []

    def queue_not_stuck(conn) -> str | None:
        calls.append(conn.dialect.name)
        return "3 notices waiting longer than 15 min"

    ready.register("notice_queue", queue_not_stuck)
    assert _ready(live) == (503, {"status": "not_ready", "checks": {
        "database": "ok", "schema": "ok", "notice_queue": "3 notices waiting longer than 15 min"}})
    assert calls and calls[0] in ("sqlite", "postgresql")
    ready.checks = [c for c in ready.checks if c.name != "notice_queue"]
    assert _ready(live)[0] == 200


def test_a_check_that_raises_is_a_reason_not_a_500(db_url):
    def broken(conn) -> str | None:
        conn.exec_driver_sql("SELECT * FROM no_such_table")
        return None

    readiness = Readiness(db_url, checks=[Check("broken", broken), Check("fine", lambda conn: None)])
    report = readiness.run()
    assert not report.ready
    assert report.checks["database"] == "ok" and report.checks["fine"] == "ok"
    assert report.checks["broken"].startswith("failed (")
    readiness.close()
