"""What the laptop keeps is readable by its user only: the store, its write-ahead log, its
attachment files, key file, backups and folders, and the window settings (0600 files,
0700 folders on POSIX; on Windows an access list of the user alone, set with icacls)."""

from __future__ import annotations

import os
import stat
import textwrap
import threading
from pathlib import Path

import pytest
from store_records import blob, case_record, upsert, visit

from fieldapp.core import private
from fieldapp.store import Store, default_store_path
from fieldapp.store import cases as case_repo
from fieldapp.store import outbox as outbox_repo
from fieldapp.store.db import head_revision
from fieldapp.ui.settings import SettingsStore, UiSettings

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _fill(store: Store) -> None:
    record = case_record(1)
    sha, data = blob("an agreement PDF")
    with store.write() as s:
        case_repo.apply_changes(s, store.cipher, [upsert(1, record)])
        outbox_repo.record(s, store.cipher, store.files, kind="visit", case_id=record.id,
                           payload=visit(record.id).model_dump(mode="json"), attachments={sha: data},
                           now=record.updated_at)


@pytest.fixture
def loose_umask():
    """The usual desktop umask: without care, files come out 0644 and folders 0755."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_store_and_everything_beside_it_is_private(_isolated_dirs, loose_umask):
    path = default_store_path()
    store = Store(path)
    _fill(store)
    wal = path.with_name(path.name + "-wal")
    shm = path.with_name(path.name + "-shm")
    assert wal.exists() and shm.exists()  # the store is open: SQLite's own files are there
    files = list(store.files.directory.iterdir())
    assert files
    found = {p: mode(p) for p in [path, wal, shm, *files]}
    assert found == {p: 0o600 for p in found}
    folders = {p: mode(p) for p in (path.parent, store.files.directory, _isolated_dirs)}
    assert folders == {p: 0o700 for p in folders}
    store.close()
    assert os.umask(0o022) == 0o022  # the process umask is given back


def test_an_existing_store_made_readable_to_all_is_made_private_on_open(_isolated_dirs, loose_umask):
    path = default_store_path()
    store = Store(path)
    _fill(store)
    store.close()
    everything = [_isolated_dirs, path.parent, path, *path.parent.rglob("*")]
    for p in everything:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    Store(path).close()
    loose = [f"{p} {oct(mode(p))}" for p in [_isolated_dirs, path.parent, *path.parent.rglob("*")]
             if mode(p) & 0o077]
    assert loose == []


def test_a_store_in_a_folder_of_the_users_choice_leaves_that_folder_alone(tmp_path, loose_umask):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    store = Store(shared / "mine.sqlite3")
    _fill(store)
    store.close()
    assert mode(shared) == 0o755  # not ours to change
    assert mode(shared / "mine.sqlite3") == 0o600
    assert mode(shared / "mine.sqlite3.files") == 0o700


NEXT_REVISION = textwrap.dedent('''
    """a test revision"""
    revision = "9002"
    down_revision = "{head}"
    branch_labels = None
    depends_on = None


    def upgrade():
        pass


    def downgrade():
        pass
''')


def test_the_backup_taken_before_a_migration_is_private(tmp_path, loose_umask):
    Store(tmp_path / "s.db").close()
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "9002_nothing.py").write_text(NEXT_REVISION.format(head=head_revision()))
    store = Store(tmp_path / "s.db", extra_versions=[versions])
    assert store.backup_path is not None and mode(store.backup_path) == 0o600
    store.close()


def test_window_settings_are_private(_isolated_dirs, loose_umask):
    SettingsStore().save(UiSettings(server_url="https://sync.example.org", username="li"))
    path = _isolated_dirs / "ui-settings.json"
    assert mode(path) == 0o600 and mode(_isolated_dirs) == 0o700


def test_the_restrictive_umask_is_shared_by_threads_and_given_back(loose_umask):
    inside = threading.Barrier(4)
    seen: list[int] = []

    def work() -> None:
        with private.private_umask():
            inside.wait()
            current = os.umask(0o077)
            os.umask(current)
            seen.append(current)
            inside.wait()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [0o077] * 4
    assert os.umask(0o022) == 0o022


def test_a_private_file_is_never_created_over_an_existing_one(tmp_path):
    target = tmp_path / "f"
    private.create_private_file(target)
    assert mode(target) == 0o600
    with pytest.raises(FileExistsError):
        private.create_private_file(target)


# ---------------------------------------------------------------------------- Windows
def test_the_windows_access_list_names_the_user_alone():
    folder = private.icacls_command(Path(r"C:\Users\li\AppData\Local\fieldapp"), directory=True,
                                    user="BRANCH\\li")
    assert folder == ["icacls", r"C:\Users\li\AppData\Local\fieldapp", "/inheritance:r",
                      "/grant:r", "BRANCH\\li:(OI)(CI)F", "/grant:r", "*S-1-5-18:(OI)(CI)F"]
    file = private.icacls_command(Path(r"C:\data\store.sqlite3"), directory=False, user="li")
    assert file == ["icacls", r"C:\data\store.sqlite3", "/inheritance:r", "/grant:r", "li:F",
                    "/grant:r", "*S-1-5-18:F"]


def test_on_windows_restrict_runs_icacls_and_a_failure_is_only_logged(tmp_path, caplog):
    calls: list[list[str]] = []

    def run(cmd, **kw):
        calls.append(cmd)
        raise OSError("icacls not found")

    target = tmp_path / "f"
    target.write_bytes(b"")
    private.restrict(target, system="nt", run=run, user="li")
    assert calls == [private.icacls_command(target, directory=False, user="li")]
    assert "icacls" in caplog.text
