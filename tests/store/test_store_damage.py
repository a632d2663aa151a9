"""Crash tests: real stores holding unsent visits, damaged the ways files get damaged.

For each: opening says what is wrong in one line (the CLI exits 2, never a traceback or the
exit 1 that means "items rejected"), nothing is silently lost, and `rescue` copies every
item whose pages are intact into a new store, never touching the damaged file (it is kept
aside, byte for byte)."""

from __future__ import annotations

import hashlib
import sqlite3

import keyring
import keyring.backends.fail
import pytest
from damage import PAGE, build, flip, overwrite, root_page, truncate

from fieldapp.cli import main
from fieldapp.store import Store, StoreDamaged, StoreLocked, StoreProblem
from fieldapp.store import outbox as outbox_repo
from fieldapp.store.crypto import KEYRING_SERVICE
from fieldapp.store.rescue import rescue


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def built(tmp_path):
    return build(tmp_path / "store.sqlite3")


def open_fails(path, kind=StoreDamaged) -> str:
    with pytest.raises(kind) as caught:
        Store(path)
    message = str(caught.value)
    assert "\n" not in message and str(path.name) in message
    return message


def sync_fails(path, capsys) -> str:
    code = main(["sync", "--server", "http://127.0.0.1:9", "--user", "agent1", "--store", str(path)])
    _, err = capsys.readouterr()
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    return lines[0]


def check_rescued(built, report, expected: set[str]) -> dict:
    """The new store opens, holds every expected item with its payload and attachments,
    keeps the device, and starts its pulls from the beginning."""
    assert expected <= set(report.outbox_rescued)
    accounted = set(report.outbox_rescued) | set(report.outbox_set_aside) | set(report.outbox_unreadable)
    assert set(built.items) <= accounted or report.missing_pages > 0
    store = Store(report.new_store)
    try:
        with store.read() as s:
            rows = {r.id: r for r in outbox_repo.rows(s)}
            for item in expected:
                assert rows[item].state in ("waiting", "sending")
                assert outbox_repo.payload(s, store.cipher, item) == built.payloads[item]
                for sha in built.attachments[item]:
                    assert store.files.read(sha)
        meta = store.meta()
        assert meta.device_id == built.device_id and meta.cursor == 0
        return rows
    finally:
        store.close()


def test_an_intact_store_is_copied_whole(built):
    digest = built.digest()
    report = rescue(built.path)
    assert report.complete and report.outbox_unreadable == [] and report.cases_rescued == built.cases
    rows = check_rescued(built, report, set(built.items))
    assert len(rows) == len(built.items)
    assert report.drafts_rescued == 1 and report.tasks_rescued == 1
    assert sha(report.set_aside) == digest  # kept aside, byte for byte
    store = Store(built.path)
    assert store.meta().server_url == "https://sync.example.org"  # the account is kept
    store.close()


def test_truncated_to_zero(built, capsys):
    truncate(built.path, 0)
    assert "empty" in open_fails(built.path)
    assert "empty" in sync_fails(built.path, capsys)
    report = rescue(built.path)
    assert not report.complete and report.outbox_rescued == [] and report.empty_source
    store = Store(built.path)  # a new store, with the same device, so the account still works
    assert store.meta().device_id == built.device_id
    store.close()
    assert report.set_aside.stat().st_size == 0


def test_truncated_mid_page(built, capsys):
    cut_page = max(built.pages.values())
    truncate(built.path, built.page_offset(cut_page) + PAGE // 2)
    digest = built.digest()
    open_fails(built.path)
    sync_fails(built.path, capsys)
    report = rescue(built.path)
    intact = {i for i, p in built.pages.items() if p < cut_page}
    assert intact and not report.complete
    check_rescued(built, report, intact)
    assert sha(report.set_aside) == digest


def test_bytes_flipped_in_an_outbox_page(built, capsys):
    victim = built.items[len(built.items) // 2]
    page = built.pages[victim]
    flip(built.path, built.page_offset(page), 8)  # the page's b-tree header
    assert "damaged" in open_fails(built.path)
    sync_fails(built.path, capsys)
    report = rescue(built.path)
    intact = {i for i, p in built.pages.items() if p != page}
    check_rescued(built, report, intact)
    lost = set(built.items) - set(report.outbox_rescued)
    assert lost <= built.on_pages({page})


def test_bytes_flipped_in_the_outbox_root_page(built):
    root = root_page(built.path, "outbox")
    assert root not in built.pages.values(), "the outbox spans several pages"
    flip(built.path, built.page_offset(root) + 12, 8)  # child pointers: no item is reachable
    open_fails(built.path)
    report = rescue(built.path)
    check_rescued(built, report, set(built.items))  # every leaf is intact: all come back


@pytest.mark.parametrize("written, problem, quick", [(b"sending", "ix_outbox_state_created", "ok"),
                                                      (b"waitinG", "CHECK constraint", "CHECK constraint failed in outbox")])
def test_a_changed_state_fails_the_integrity_check(built, written, problem, quick):
    """The page is sound, the row no longer matches its index (or its CHECK): a plain read
    sees nothing, nor does quick_check for the index; integrity_check does, and the store
    is not used."""
    victim = built.items[0]
    data = built.path.read_bytes()
    start = built.page_offset(built.pages[victim])
    at = data.find(b"waiting", start, start + PAGE)
    overwrite(built.path, at, written)
    raw = sqlite3.connect(built.path)
    assert raw.execute("PRAGMA quick_check").fetchone()[0] == quick
    raw.close()
    assert problem in open_fails(built.path)
    report = rescue(built.path)
    check_rescued(built, report, set(built.items))


def test_a_damaged_header(built, capsys):
    overwrite(built.path, 0, b"\xff" * 100)
    assert "damaged" in open_fails(built.path)
    sync_fails(built.path, capsys)
    report = rescue(built.path)
    check_rescued(built, report, set(built.items))


def test_a_payload_flipped_inside_is_rescued_as_set_aside(built):
    """A flip inside the ciphertext leaves the file sound; the seal tells, and the item is
    kept (set aside) rather than lost or sent."""
    victim = built.items[1]
    raw = sqlite3.connect(built.path)
    sealed = raw.execute("SELECT payload FROM outbox WHERE id = ?", (victim,)).fetchone()[0]
    raw.close()
    sealed_at = built.path.read_bytes().find(sealed)
    flip(built.path, sealed_at + 40, 1)
    Store(built.path).close()  # opens: SQLite cannot see it
    report = rescue(built.path, built.path.with_name("new.sqlite3"))
    assert report.outbox_set_aside == [victim]
    rows = check_rescued(built, report, set(built.items) - {victim})
    assert rows[victim].state == "quarantined" and rows[victim].code == "rescue_unreadable"
    assert built.path.exists()  # with --out, the damaged store stays where it was


def test_a_lost_keyring_entry(built, memory_keyring, capsys):
    memory_keyring.delete_password(KEYRING_SERVICE, built.store_id)
    digest = built.digest()
    message = open_fails(built.path, StoreLocked)
    assert "12 unsent" in message
    assert "12 unsent" in sync_fails(built.path, capsys)
    with pytest.raises(StoreProblem, match="key"):
        rescue(built.path)
    assert built.digest() == digest  # nothing touched, nothing made
    assert sorted(p.name for p in built.path.parent.iterdir()) == sorted(
        ["store.sqlite3", "store.sqlite3.files", "store.sqlite3.key"])


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_a_damaged_meta_page_in_passphrase_mode_is_opened_with_the_key_file(tmp_path, no_keyring):
    built = build(tmp_path / "store.sqlite3", passphrase="long enough phrase")
    meta_page = root_page(built.path, "meta")
    flip(built.path, built.page_offset(meta_page), 8)
    with pytest.raises(StoreProblem):
        Store(built.path, passphrase="long enough phrase")
    report = rescue(built.path, passphrase="long enough phrase")
    rows = {i for i in report.outbox_rescued}
    assert set(built.items) <= rows
    store = Store(built.path, passphrase="long enough phrase")
    assert store.meta().device_id == built.device_id  # from the key file
    store.close()


def test_the_log_removed_while_a_write_was_pending(tmp_path, no_keyring, capsys, monkeypatch):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "store.sqlite3"
    env = dict(os.environ, FIELDAPP_STORE_PASSPHRASE="long enough phrase",
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("wal_client.py")), str(path), "6"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    recorded = []
    for line in proc.stdout:
        if line.startswith("recorded"):
            recorded.append(line.split()[1])
        if line.startswith("pending"):
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert len(recorded) == 6, proc.stderr.read()
    wal = path.with_name(path.name + "-wal")
    assert wal.exists() and path.with_name(path.name + "-shm").exists()
    wal.unlink()

    with pytest.raises(StoreDamaged) as caught:
        Store(path, passphrase="long enough phrase")
    assert "write-ahead log" in str(caught.value) and "\n" not in str(caught.value)
    monkeypatch.setenv("FIELDAPP_STORE_PASSPHRASE", "long enough phrase")
    assert "write-ahead log" in sync_fails(path, capsys)
    report = rescue(path, passphrase="long enough phrase")
    assert set(recorded) <= set(report.outbox_rescued)  # every visit whose write had ended
    store = Store(path, passphrase="long enough phrase")
    assert store.counts()["outbox_waiting"] == 6
    store.close()


def test_the_rescue_reads_raw_rows_in_the_order_the_tables_were_made(tmp_path):
    """Raw page cells are positional: the rescue's column lists must follow CREATE TABLE."""
    from fieldapp.store import rescue as rescue_module

    Store(tmp_path / "s.db").close()
    raw = sqlite3.connect(tmp_path / "s.db")
    for table, columns in {"meta": rescue_module.META_COLUMNS, "outbox": rescue_module.OUTBOX_COLUMNS,
                           "cases": rescue_module.CASE_COLUMNS, "tasks": rescue_module.TASK_COLUMNS,
                           "visit_drafts": rescue_module.DRAFT_COLUMNS,
                           "lead_reviews": rescue_module.REVIEW_COLUMNS}.items():
        assert [r[1] for r in raw.execute(f"PRAGMA table_info({table})")] == columns, table
    raw.close()
