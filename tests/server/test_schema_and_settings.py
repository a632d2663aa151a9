"""Migrations match the models; column types keep money exact and times aware; the audit
log refuses changes; settings come from env, TOML and env files; `server run` serves."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from decimal import Decimal

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError, StatementError

from fieldapp.core.errors import BadInput
from fieldapp.server import audit
from fieldapp.server.db import current_revision, downgrade, head_revision, make_engine, session_factory, upgrade
from fieldapp.server.models import AuditEntry, Base, Case
from fieldapp.server.settings import ServerSettings

from .kit import add_case, make_people


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert current_revision(engine) == head_revision()


def test_downgrade_and_upgrade_again(db_url, engine):
    downgrade(db_url, "base")
    assert current_revision(engine) is None
    upgrade(db_url)
    assert current_revision(engine) == head_revision()


def test_money_is_exact_and_times_are_utc(engine):
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        make_people(s)
        case_id = add_case(s, "M-1", amount_due=Decimal("12345678901234.5678"), currency="BHD")
    with sessions() as s:
        case = s.get(Case, case_id)
        assert case.amount_due == Decimal("12345678901234.5678")
        assert case.created_at.tzinfo is not None and case.created_at.utcoffset() == dt.timedelta(0)
    with sessions() as s:
        case = s.get(Case, case_id)
        case.updated_at = dt.datetime(2030, 1, 1)  # naive
        with pytest.raises(StatementError, match="naive"):
            s.flush()


def test_audit_log_is_append_only(engine):
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        audit.record(s, "test", "case", "c-1", None, note="ids only")
    for statement in (update(AuditEntry).values(action="changed"), delete(AuditEntry)):
        with sessions() as s:
            with pytest.raises(DBAPIError, match="append-only"):
                s.execute(statement)
                s.flush()
    with sessions() as s:
        assert s.scalars(select(AuditEntry.action)).all() == ["test"]


def test_default_database_is_in_fieldapp_home(_isolated_dirs, monkeypatch):
    for key in list(os.environ):
        if key.startswith("FIELDAPP_SERVER_"):
            monkeypatch.delenv(key)
    s = ServerSettings.load()
    assert s.database_url == f"sqlite:///{_isolated_dirs / 'server.db'}"
    assert s.token_ttl_days == 14


def test_settings_sources(tmp_path, monkeypatch):
    toml = tmp_path / "s.toml"
    toml.write_text('database_url = "sqlite:///from-toml.db"\nlogin_max_failures = 9\n')
    env_file = tmp_path / "s.env"
    env_file.write_text("FIELDAPP_SERVER_DATABASE_URL=sqlite:///from-env-file.db\n")
    assert ServerSettings.load(toml).database_url == "sqlite:///from-toml.db"
    assert ServerSettings.load(env_file).database_url == "sqlite:///from-env-file.db"
    monkeypatch.setenv("FIELDAPP_SERVER_LOGIN_MAX_FAILURES", "3")
    assert ServerSettings.load(toml).login_max_failures == 3          # environment beats the file
    assert ServerSettings.load(toml, login_max_failures=4).login_max_failures == 4
    monkeypatch.setenv("FIELDAPP_SERVER_CONFIG", str(toml))
    assert ServerSettings.load().database_url == "sqlite:///from-toml.db"


@pytest.mark.parametrize("content,field", [("token_ttl_days = -1\n", "token_ttl_days"),
                                           ("tokn_ttl_days = 1\n", "tokn_ttl_days"),
                                           ("this is not toml\n", None)])
def test_bad_settings_file(tmp_path, content, field):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(BadInput) as info:
        ServerSettings.load(path)
    assert "bad.toml" in str(info.value) and (field is None or field in str(info.value))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_run_with_two_workers(db_url, tmp_path):
    engine = make_engine(db_url)
    with session_factory(engine)() as s, s.begin():
        make_people(s)
    engine.dispose()
    port = _free_port()
    env = {**os.environ, "FIELDAPP_LOG": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "fieldapp", "server", "run", "--db", db_url,
                             "--port", str(port), "--workers", "2"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/v1/meta", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.3)
        tokens = []
        for i in range(4):  # new connections spread over both workers; all share the database
            r = httpx.post(base + "/api/v1/auth/login", json={
                "username": "agent1", "password": "pw-agent1-2026", "device_id": f"device-{i:04d}"})
            assert r.status_code == 200, r.text
            tokens.append(r.json()["token"])
        for token in tokens:
            r = httpx.get(base + "/api/v1/sync/pull", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def test_deadlock_victims_are_retried_and_other_errors_are_not(engine):
    from sqlalchemy.exc import OperationalError

    from fieldapp.server.db import run_with_retry

    class Deadlock(Exception):
        sqlstate = "40P01"

    class Other(Exception):
        sqlstate = "23505"

    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("INSERT ...", {}, Deadlock())
        return "done"

    with session_factory(engine)() as s:
        assert run_with_retry(s, flaky) == "done" and len(calls) == 3
        with pytest.raises(OperationalError):
            run_with_retry(s, lambda: (_ for _ in ()).throw(OperationalError("x", {}, Other())))
        calls.clear()
        with pytest.raises(OperationalError):
            run_with_retry(s, lambda: (calls.append(1), (_ for _ in ()).throw(
                OperationalError("x", {}, Deadlock())))[1], attempts=2)
        assert len(calls) == 2
