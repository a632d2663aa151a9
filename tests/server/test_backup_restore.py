"""The restore drill: back up a populated server database (PostgreSQL: `pg_dump -Fc`,
SQLite: the online backup API), keep working after the dump, lose the database, restore
the dump into a fresh database, run `fieldapp server init` on it, and let a laptop (a real
AgentService store) that synced after the dump sync again: it notices that the server's
history is behind its cursor, sends again what the server had accepted and pulls
everything. Nothing it recorded is lost or recorded twice, and it ends up holding exactly
what the restored server gives it."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from fieldapp.cli import main
from fieldapp.protocol.v1 import VisitRecord
from fieldapp.server import admin
from fieldapp.server.models import Attachment, Case, PushedItem, Visit
from fieldapp.server.services.changes import case_changed, last_seq
from fieldapp.server.testing import LiveServer
from fieldapp.sync.service import AgentService
from fieldapp.sync.transport import RetryPolicy

from .conftest import PG_ENV
from .kit import add_case, agreement, make_people, password, visit_payload

FAST = RetryPolicy(attempts=2, backoff_s=0.01, backoff_max_s=0.02)


class SqliteBackup:
    def __init__(self, folder: Path):
        self.folder = folder
        self.live_url = f"sqlite:///{folder / 'live.db'}"
        self.restored_url = f"sqlite:///{folder / 'restored.db'}"

    def dump(self, path: Path) -> None:
        """The online backup API: a consistent copy while the server runs."""
        src, dst = sqlite3.connect(self.folder / "live.db"), sqlite3.connect(path)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()

    def restore(self, path: Path) -> None:
        shutil.copyfile(path, self.folder / "restored.db")

    def cleanup(self) -> None:
        pass


class PostgresBackup:
    """Two databases made and dropped by the test, with the cluster's own tools."""

    def __init__(self, base_url: str):
        url = make_url(base_url)
        self.conn = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
        tag = uuid.uuid4().hex[:10]
        self.live_db, self.restored_db = f"fa_backup_{tag}", f"fa_restore_{tag}"
        self.live_url = url.set(database=self.live_db, query={}).render_as_string(hide_password=False)
        self.restored_url = url.set(database=self.restored_db, query={}).render_as_string(hide_password=False)
        self._env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
        self._run("createdb", *self.conn, self.live_db)

    def _run(self, *args: str) -> None:
        done = subprocess.run(args, env=self._env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{' '.join(args[:1])}: {done.stderr}"

    def dump(self, path: Path) -> None:
        self._run("pg_dump", "-Fc", *self.conn, "-d", self.live_db, "-f", str(path))

    def restore(self, path: Path) -> None:
        self._run("createdb", *self.conn, self.restored_db)
        self._run("pg_restore", *self.conn, "-d", self.restored_db, "--no-owner", "--exit-on-error", str(path))

    def cleanup(self) -> None:
        for name in (self.live_db, self.restored_db):
            subprocess.run(["dropdb", *self.conn, "--if-exists", "--force", name], env=self._env,
                           capture_output=True, timeout=120)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backup(request, tmp_path):
    if request.param == "sqlite":
        kit = SqliteBackup(tmp_path)
    else:
        base = os.environ.get(PG_ENV)
        if not base:
            pytest.skip(f"{PG_ENV} is not set")
        if not all(shutil.which(tool) for tool in ("pg_dump", "pg_restore", "createdb", "dropdb")):
            pytest.skip("the PostgreSQL client tools are not installed")
        kit = PostgresBackup(base)
    try:
        yield kit
    finally:
        kit.cleanup()


def _visit(case_id: str) -> VisitRecord:
    return VisitRecord.model_validate(visit_payload(case_id))


def _agreement_visit(case_id: str) -> tuple[VisitRecord, dict[str, bytes]]:
    pdf, sig = b"%PDF-1.7\n" + uuid.uuid4().bytes + b"\n%%EOF", b"\x89PNG\r\n" + uuid.uuid4().bytes
    files = {hashlib.sha256(b).hexdigest(): b for b in (pdf, sig)}
    record = visit_payload(case_id, outcome="agreement_signed", promise=None,
                           agreement=agreement(hashlib.sha256(pdf).hexdigest(), hashlib.sha256(sig).hexdigest()))
    return VisitRecord.model_validate(record), files


def _touch(session, case_id: str, amount: str) -> None:
    case = session.get(Case, case_id)
    case.amount_due = Decimal(amount)
    case_changed(session, case)


def _server_view(server) -> dict[str, Decimal]:
    """agent1's open cases on the server: id -> amount due."""
    with server.session() as s:
        agent = admin.find_user(s, "agent1")
        return {c.id: c.amount_due for c in s.scalars(select(Case).where(
            Case.assigned_agent_id == agent.id, Case.status == "open"))}


def _init_cli(url: str, folder: Path) -> None:
    """`fieldapp server init` as the operator runs it: a process of its own."""
    done = subprocess.run([sys.executable, "-m", "fieldapp", "server", "init", "--db", url],
                          capture_output=True, text=True, timeout=300, cwd=folder,
                          env={**os.environ, "FIELDAPP_HOME": str(folder)})
    assert done.returncode == 0, done.stderr
    assert "database ready" in done.stdout


def test_restore_drill(backup, tmp_path):
    assert main(["server", "init", "--db", backup.live_url]) == 0
    with LiveServer(backup.live_url, upgrade_db=False) as old:
        with old.session() as s, s.begin():
            make_people(s)
            a, b, c, d = (add_case(s, f"R-{x}", "agent1") for x in "ABCD")
        laptop = AgentService(store_path=tmp_path / "laptop.sqlite3", retry=FAST, timeout_s=10)
        laptop.login(old.url, "agent1", password("agent1"))
        assert laptop.sync().pulled_upserts == 4
        before_dump, files1 = _agreement_visit(a)
        laptop.record_visit(before_dump, files1)
        assert laptop.sync().pushed_accepted == 1

        backup.dump(tmp_path / "server.dump")

        # Work that the dump does not hold: two more visits (one with new attachments) and
        # server-side changes the laptop pulls (a case closed, a case added, an amount changed).
        after_dump = _visit(b)
        after_dump_signed, files3 = _agreement_visit(c)
        laptop.record_visit(after_dump)
        laptop.record_visit(after_dump_signed, files3)
        with old.session() as s, s.begin():
            admin.close_case(s, "R-D")
            lost_case = add_case(s, "R-E", "agent1")
            _touch(s, b, "7777.77")
        summary = laptop.sync()
        assert (summary.pushed_accepted, summary.pulled_tombstones) == (2, 1)
        assert {r.id for r in laptop.list_cases()} == {a, b, c, lost_case}
        cursor_before = laptop.store.meta().cursor
        address = old.port
    # ----- the database is lost; the dump is restored into a fresh one and initialised, and
    # the server comes back at the same address (the laptop's session, older than the dump,
    # is in the dump and still valid)
    backup.restore(tmp_path / "server.dump")
    _init_cli(backup.restored_url, tmp_path)
    with LiveServer(backup.restored_url, upgrade_db=False, port=address) as new:
        with new.session() as s, s.begin():  # the restored server works before the laptop returns
            _touch(s, a, "1000.00")
            fresh = add_case(s, "R-F", "agent1")
            assert last_seq(s) > cursor_before  # numbered past the laptop's cursor: a plain check would miss it

        summary = laptop.sync()
        assert summary.resynced and summary.resent == 3
        assert (summary.pushed_duplicate, summary.pushed_accepted, summary.rejected) == (1, 2, [])
        with new.session() as s:
            ids = [before_dump.visit_id, after_dump.visit_id, after_dump_signed.visit_id]
            assert s.scalar(select(func.count()).select_from(Visit)) == 3
            assert set(s.scalars(select(Visit.id))) == set(ids)
            assert s.scalar(select(func.count()).select_from(PushedItem)) == 3
            assert set(s.scalars(select(Attachment.sha256))) >= set(files1) | set(files3)
        assert [r.state for r in laptop.outbox()] == ["accepted"] * 3

        # The laptop holds what the restored server gives it: the case closed after the dump
        # is open again, the case added after the dump is gone, amounts are the server's.
        view = _server_view(new)
        assert set(view) == {a, b, c, d, fresh}
        assert {r.id for r in laptop.list_cases()} == set(view)
        assert {cid: laptop.get_case(cid).amount() for cid in view} == view
        assert view[b] == Decimal("1234.50") and view[a] == Decimal("1000.00")

        again = laptop.sync()
        assert (again.resynced, again.pulled_upserts, again.pushed_accepted, again.pushed_duplicate) == (
            False, 0, 0, 0)
        laptop.close()
