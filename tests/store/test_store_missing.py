"""A store is created only where there is none, and never over an existing file: a store
emptied to 0 bytes, or gone while its key file remains, is an error said in one line; the
files are left exactly as they were found."""

from __future__ import annotations

import json
import os
import sqlite3
import stat

import keyring
import keyring.backends.fail
import pytest
from store_records import case_record, upsert, visit

from fieldapp.core.i18n import Translator
from fieldapp.store import Store, StoreDamaged, StoreMissing
from fieldapp.store import cases as case_repo
from fieldapp.store import outbox as outbox_repo
from fieldapp.store.keyfile import keyfile_path


def _with_unsent(path, n=6, **kw) -> str:
    store = Store(path, **kw)
    with store.write() as s:
        for i in range(1, n + 1):
            record = case_record(i)
            case_repo.apply_changes(s, store.cipher, [upsert(i, record)])
            outbox_repo.record(s, store.cipher, store.files, kind="visit", case_id=record.id,
                               payload=visit(record.id).model_dump(mode="json"), attachments={},
                               now=record.updated_at)
    store_id = store.meta().store_id
    store.close()
    return store_id


def _listing(folder):
    return sorted((p.name, p.stat().st_size) for p in folder.iterdir() if p.is_file())


def test_an_emptied_store_is_refused_and_left_as_it_is(tmp_path):
    path = tmp_path / "s.db"
    _with_unsent(path)
    path.write_bytes(b"")
    before = _listing(tmp_path)
    with pytest.raises(StoreDamaged) as caught:
        Store(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and "empty" in message
    assert _listing(tmp_path) == before  # not replaced by a new store, nothing added


def test_an_empty_file_is_refused_even_without_a_key_file(tmp_path):
    path = tmp_path / "s.db"
    path.write_bytes(b"")
    with pytest.raises(StoreDamaged, match="empty"):
        Store(path)
    assert path.stat().st_size == 0


def test_a_store_gone_while_its_key_file_remains_is_refused(tmp_path):
    path = tmp_path / "s.db"
    _with_unsent(path)
    path.unlink()
    with pytest.raises(StoreMissing) as caught:
        Store(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and str(keyfile_path(path)) in message
    assert not path.exists()


def test_a_write_ahead_log_without_its_store_is_refused(tmp_path):
    path = tmp_path / "s.db"
    _with_unsent(path)
    keyfile_path(path).unlink()
    os.replace(path, tmp_path / "elsewhere.db")
    path.with_name("s.db-wal").write_bytes(b"\0" * 32)
    with pytest.raises(StoreMissing, match="s.db-wal"):
        Store(path)
    assert not path.exists()


def test_first_use_makes_the_store_and_its_key_file(tmp_path, memory_keyring):
    path = tmp_path / "s.db"
    store = Store(path)
    meta = store.meta()
    store.close()
    kf = keyfile_path(path)
    assert stat.S_IMODE(kf.stat().st_mode) == 0o600 or os.name == "nt"
    data = json.loads(kf.read_text())
    assert data["store_id"] == meta.store_id and data["device_id"] == meta.device_id
    assert data["wrapped_key"] is None  # the key itself is in the keyring, never in this file
    key_text = memory_keyring.get_password("fieldapp-store", meta.store_id)
    assert key_text not in kf.read_text()


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_the_key_file_keeps_the_wrapped_key_and_is_written_again_when_lost(tmp_path, no_keyring):
    path = tmp_path / "s.db"
    _with_unsent(path, passphrase="long enough phrase")
    kf = keyfile_path(path)
    wrapped = json.loads(kf.read_text())["wrapped_key"]
    assert "scrypt" in wrapped and "long enough" not in wrapped
    kf.unlink()
    store = Store(path, passphrase="long enough phrase")  # the meta row still holds it
    assert store.counts()["outbox_waiting"] == 6
    store.close()
    assert json.loads(kf.read_text())["wrapped_key"] == wrapped


def test_a_store_from_before_key_files_gets_one(tmp_path):
    path = tmp_path / "s.db"
    store_id = _with_unsent(path)
    keyfile_path(path).unlink()
    Store(path).close()
    assert json.loads(keyfile_path(path).read_text())["store_id"] == store_id


def test_a_key_file_of_another_store_is_refused(tmp_path):
    _with_unsent(tmp_path / "a.db", n=1)
    _with_unsent(tmp_path / "b.db", n=1)
    os.replace(keyfile_path(tmp_path / "b.db"), keyfile_path(tmp_path / "a.db"))
    with pytest.raises(StoreDamaged, match="another store"):
        Store(tmp_path / "a.db")


def test_the_messages_are_said_in_chinese_too(tmp_path):
    path = tmp_path / "s.db"
    path.write_bytes(b"")
    with pytest.raises(StoreDamaged) as caught:
        Store(path)
    zh = caught.value.said(Translator.for_language("zh_CN"))
    assert zh != str(caught.value) and str(path) in zh and "\n" not in zh


def test_a_lost_keyring_entry_counts_the_unsent_items(tmp_path, memory_keyring):
    path = tmp_path / "s.db"
    store_id = _with_unsent(path)
    memory_keyring.delete_password("fieldapp-store", store_id)
    from fieldapp.store import StoreLocked

    with pytest.raises(StoreLocked) as caught:
        Store(path)
    assert "6 unsent" in str(caught.value) and "delete it" not in str(caught.value)
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT count(*) FROM outbox").fetchone()[0] == 6
    raw.close()
