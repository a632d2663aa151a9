"""Engines and schema upgrades.

`make_engine(url)` knows the two databases we run on: a SQLite file (foreign keys on, WAL,
every transaction `BEGIN IMMEDIATE` so concurrent writers queue instead of failing) and
PostgreSQL through psycopg 3. `upgrade(url)` runs the Alembic migrations shipped inside
this package, configured in code, so no alembic.ini is needed at run time.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from fieldapp.core.errors import BadInput

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# A pooled PostgreSQL connection idle for longer than this is pinged before it is handed out
# (a restarted server or a dropped link then costs a reconnect, not a failed request); one in
# steady use is not: under load a ping is a round trip added to every request.
PING_AFTER_IDLE_S = 2.0
AUTOCOMMIT = "AUTOCOMMIT"
T = TypeVar("T")
log = logging.getLogger(__name__)


def _check_url(url: str) -> None:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BadInput(f"not a database URL: {url!r} (e.g. sqlite:///path/server.db or "
                       "postgresql+psycopg://user@host:5432/db)", field="--db") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise BadInput(f"unsupported database {parsed.get_backend_name()!r}; use sqlite or "
                       "postgresql", field="--db")


def sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10, max_overflow: int = 10,
                ping_after_idle: float | None = None) -> Engine:
    _check_url(url)
    path = sqlite_file(url)
    if make_url(url).get_backend_name() == "sqlite":
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # The driver never begins a transaction by itself (the "begin" event below does, with
        # BEGIN IMMEDIATE); AUTOCOMMIT as the engine's level keeps it so on every connection,
        # also one the pool hands back after `reads_outside_transaction` (its reset to any
        # other level would switch the driver to beginning transactions implicitly).
        # A file's pool has the connections the process admits requests for (app.py's
        # ConcurrencyLimit), as PostgreSQL's has: with fewer, a request let in could wait
        # 30 s for a connection and fail (SQLAlchemy's own default is 5 + 10).
        sized = {"pool_size": pool_size, "max_overflow": max_overflow} if path is not None else {}
        engine = create_engine(url, echo=echo, hide_parameters=True, isolation_level=AUTOCOMMIT,
                               connect_args={"check_same_thread": False, "timeout": 30}, **sized)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (savepoints work)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            if path is not None:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
            if conn.get_execution_options().get("isolation_level") != AUTOCOMMIT:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, echo=echo, hide_parameters=True, pool_size=pool_size, max_overflow=max_overflow)
    _ping_when_idle(engine, PING_AFTER_IDLE_S if ping_after_idle is None else ping_after_idle)
    return engine


def _ping_when_idle(engine: Engine, after: float) -> None:
    """`pool_pre_ping`, for connections that sat in the pool longer than `after` seconds:
    a connection that fails its ping is replaced (the pool retries the checkout)."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record) -> None:  # type: ignore[no-untyped-def]
        record.info["fieldapp.idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        since = record.info.get("fieldapp.idle_since")
        if since is None or time.monotonic() - since < after:  # new, or in steady use
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            log.info("a pooled database connection was gone after %.0f s idle; reconnecting",
                     time.monotonic() - since)
            raise DisconnectionError("the pooled connection failed its ping") from exc


RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure


def is_retryable(exc: BaseException) -> bool:
    """A transaction the database aborted to break a deadlock: safe to run again."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def run_with_retry(session: Session, work: Callable[[], T], attempts: int = 5) -> T:
    """Run `work` in the session's transaction; when the database aborts it as a deadlock
    victim, roll back and run it again from the start (up to `attempts` times)."""
    for attempt in range(attempts):
        try:
            result = work()
            session.flush()
            return result
        except DBAPIError as exc:
            if attempt == attempts - 1 or not is_retryable(exc):
                raise
            log.info("transaction aborted to break a deadlock; retrying (attempt %d)", attempt + 2)
            session.rollback()
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
    raise AssertionError("unreachable")


def reads_outside_transaction(session: Session) -> None:
    """Run the session's next statements outside a transaction, each on its own snapshot (as
    every statement is under PostgreSQL's READ COMMITTED anyway), until `session.commit()`:
    a request that turns out to only read then costs no BEGIN and no COMMIT, and on SQLite
    does not take the write lock. Call before the session's first statement; commit before
    writing anything, which then runs in a transaction of its own."""
    session.connection(execution_options={"isolation_level": AUTOCOMMIT})


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head", *, engine: Engine | None = None) -> None:
    """Create or upgrade the database to `revision` (alembic upgrade head)."""
    _migrate(url, "upgrade", revision, engine)


def downgrade(url: str, revision: str, *, engine: Engine | None = None) -> None:
    """Step the schema back to `revision` ("base" drops everything)."""
    _migrate(url, "downgrade", revision, engine)


def _migrate(url: str, direction: str, revision: str, engine: Engine | None) -> None:
    from alembic import command

    _check_url(url)
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    cfg = alembic_config(url)
    own = engine is None
    engine = engine or make_engine(url)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            getattr(command, direction)(cfg, revision)
    finally:
        if own:
            engine.dispose()


def head_revision() -> str | None:
    """The newest migration the code knows (what `upgrade` brings a database to)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
