"""Server tests run on a SQLite file and, when FIELDAPP_TEST_PG_URL is set, on PostgreSQL.

PostgreSQL isolation: one schema per test session (unique name, dropped at the end), so
concurrent runs never collide; each test starts from empty tables (TRUNCATE). SQLite: each
test gets a copy of a freshly migrated template file.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from fieldapp.server import admin, auth
from fieldapp.server.db import make_engine, upgrade
from fieldapp.server.models import Base
from fieldapp.server.testing import LiveServer

from .browser import chromium, phone, shots  # noqa: F401 - one Chromium for the whole run

PG_ENV = "FIELDAPP_TEST_PG_URL"


def _pg_base_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url and os.environ.get("FIELDAPP_REQUIRE_PG") == "1":
        pytest.fail(f"FIELDAPP_REQUIRE_PG=1 but {PG_ENV} is not set")
    return url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "server.db"
    upgrade(f"sqlite:///{path}")
    return path


@contextlib.contextmanager
def pg_schema(tag: str = "s") -> Iterator[str | None]:
    """A migrated PostgreSQL schema with a unique name, dropped afterwards; None without PG."""
    base = _pg_base_url()
    if not base:
        yield None
        return
    schema = f"fa_test_{tag}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin_engine = make_engine(base)
    try:
        with admin_engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001
        admin_engine.dispose()
        if os.environ.get("FIELDAPP_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL at {PG_ENV} is not usable: {exc}")
        yield None
        return
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin_engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin_engine.dispose()


@pytest.fixture(scope="session")
def _pg_schema_url():
    with pg_schema() as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def module_db_url(request, tmp_path_factory, _sqlite_template):
    """Like db_url, but one database for a whole module (for expensive shared worlds)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("moddb") / "server.db"
        shutil.copyfile(_sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    with pg_schema("m") as url:
        if url is None:
            pytest.skip(f"{PG_ENV} is not set")
        yield url


def _truncate_pg(url: str) -> None:
    engine = make_engine(url)
    try:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            conn.execute(text("INSERT INTO counters (name, value) VALUES ('change_seq', 0)"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path, _sqlite_template):
    """A migrated, empty database: a SQLite file, or the session's PostgreSQL schema."""
    if request.param == "sqlite":
        path = tmp_path / "server.db"
        shutil.copyfile(_sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("_pg_schema_url")
    if url is None:
        pytest.skip(f"{PG_ENV} is not set")
    _truncate_pg(url)
    return url


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(autouse=True)
def _reuse_password_hashes(monkeypatch):
    """Real argon2 hashes, but each distinct password is hashed once per run (verification
    at login stays real)."""
    monkeypatch.setattr(admin, "hash_password", _cached_hash)


@functools.lru_cache(maxsize=None)
def _cached_hash(password: str) -> str:
    return auth.hash_password(password)


@pytest.fixture
def live(db_url):
    with LiveServer(db_url, upgrade_db=False) as server:
        yield server
