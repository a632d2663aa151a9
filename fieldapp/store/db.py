"""The SQLite engine of the client store and its schema upgrades.

- WAL journal (a reader never blocks the writer, a crash never leaves half a commit),
  foreign keys on, `secure_delete` so deleted personal data is overwritten.
- SQLAlchemy emits BEGIN itself (the pysqlite legacy mode would leave SELECTs outside the
  transaction); write transactions use BEGIN IMMEDIATE so two threads never dead-lock on a
  read lock being upgraded.
- Alembic is configured in code: the migrations live inside the package, there is no ini.
  A copy of the database file is taken before any migration touches an existing store.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError

from fieldapp.core import clock, private
from fieldapp.core.errors import BadInput

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions (a test keeps the two in step). Knowing it
# here lets a store that is already at head open without importing Alembic at all.
SCHEMA_HEAD = "0010l"
BUSY_TIMEOUT_MS = 15000


def make_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see module docstring)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; atomic always in WAL
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA secure_delete=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def alembic_config(connection=None, extra_versions: list[Path] | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    locations = [str(MIGRATIONS / "versions"), *(str(p) for p in extra_versions or [])]
    cfg.set_main_option("version_locations", " ".join(locations))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["connection"] = connection
    return cfg


def head_revision(extra_versions: list[Path] | None = None) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(None, extra_versions)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except OperationalError:  # no such table: a new, empty file
            return None


def backup(path: Path, revision: str | None) -> Path:
    """A consistent copy of the database (SQLite online backup, includes the WAL)."""
    stamp = clock.now().strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.{revision or 'base'}.{stamp}.bak")
    private.create_private_file(target)  # the copy holds what the store holds: private too
    src = sqlite3.connect(str(path))
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def upgrade(engine: Engine, path: Path, *, extra_versions: list[Path] | None = None) -> Path | None:
    """Bring the schema to head; returns the backup taken, or None when none was needed.

    No backup is taken for a store already at head, nor for a brand-new empty file.
    """
    current = current_revision(engine)
    if current == SCHEMA_HEAD and not extra_versions:
        return None
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    script = ScriptDirectory.from_config(alembic_config(None, extra_versions))
    head = script.get_current_head()
    if current == head:
        return None
    if current is not None:
        try:
            script.get_revision(current)
        except CommandError:
            raise BadInput(f"the store was written by a newer fieldapp (schema {current}); "
                           "update the application", where=str(path)) from None
    copy = backup(path, current) if current is not None else None
    if copy:
        log.info("store schema %s -> %s; backup at %s", current, head, copy.name)
    with engine.connect() as conn:
        # Batch migrations re-create tables; with foreign keys on, dropping the old table
        # would cascade into its children. Off for the migration, checked, then on again.
        raw = conn.connection.dbapi_connection
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                command.upgrade(alembic_config(conn, extra_versions), "head")
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise BadInput(f"schema upgrade left {len(broken)} dangling references "
                                   f"(first in table {broken[0][0]})", where=str(path))
        finally:
            raw.execute("PRAGMA foreign_keys=ON")
    return copy
