"""The quarantined state in the store: migration 0003 upgrades a store holding items, and
an item is set aside only from an unsent state."""

from __future__ import annotations

import sqlite3

import pytest
from store_records import case_record, upsert, visit

from fieldapp.store import Store
from fieldapp.store import cases as case_repo
from fieldapp.store import outbox as outbox_repo
from fieldapp.store.db import alembic_config, make_engine


def _two_items(store: Store) -> list[str]:
    ids = []
    with store.write() as s:
        for i in (1, 2):
            record = case_record(i)
            case_repo.apply_changes(s, store.cipher, [upsert(i, record)])
            ids.append(outbox_repo.record(s, store.cipher, store.files, kind="visit", case_id=record.id,
                                          payload=visit(record.id).model_dump(mode="json"), attachments={},
                                          now=record.updated_at).id)
    return ids


def test_a_store_from_0002_is_upgraded_with_its_items(tmp_path):
    from alembic import command

    path = tmp_path / "s.db"
    store = Store(path)
    ids = _two_items(store)
    store.close()
    engine = make_engine(path)
    with engine.connect() as conn:
        conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        with conn.begin():
            command.downgrade(alembic_config(conn), "0002")
    engine.dispose()
    raw = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError):
        raw.execute("UPDATE outbox SET state = 'quarantined'")
    raw.close()

    store = Store(path)
    assert store.backup_path is not None
    with store.write() as s:
        assert outbox_repo.quarantine(s, ids[0], "seal_failed", store.now())
        assert not outbox_repo.quarantine(s, ids[0], "seal_failed", store.now())  # only from unsent
    with store.read() as s:
        rows = {r.id: r for r in outbox_repo.rows(s)}
    assert rows[ids[0]].state == "quarantined" and rows[ids[1]].state == "waiting"
    assert store.counts()["outbox_quarantined"] == 1
    store.close()
