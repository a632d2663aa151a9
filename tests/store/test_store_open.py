"""Opening a store: location, pragmas, schema upgrades with backup, keys, encryption at rest."""

from __future__ import annotations

import sqlite3
import textwrap

import keyring
import keyring.backends.fail
import pytest
from store_records import blob, case_record, upsert, visit

from fieldapp.core.errors import BadInput
from fieldapp.store import PassphraseRequired, Store, StoreLocked, WrongPassphrase, default_store_path
from fieldapp.store import cases as case_repo
from fieldapp.store import outbox as outbox_repo
from fieldapp.store.crypto import KEYRING_SERVICE
from fieldapp.store.db import head_revision


def test_default_location_follows_fieldapp_home(_isolated_dirs):
    assert default_store_path() == _isolated_dirs / "client" / "store.sqlite3"
    store = Store()
    assert store.path.exists()
    store.close()


def test_wal_foreign_keys_and_head_schema(tmp_path):
    store = Store(tmp_path / "s.db")
    with store.read() as s:
        conn = s.connection().connection.dbapi_connection
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    store.close()
    raw = sqlite3.connect(tmp_path / "s.db")
    assert raw.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
    raw.close()


def test_no_backup_for_a_new_store_or_one_at_head(tmp_path):
    store = Store(tmp_path / "s.db")
    assert store.backup_path is None
    store.close()
    store = Store(tmp_path / "s.db")
    assert store.backup_path is None
    store.close()
    assert list(tmp_path.glob("*.bak")) == []


NEXT_REVISION = textwrap.dedent('''
    """add a column (test revision)"""
    from alembic import op
    import sqlalchemy as sa

    revision = "9001"
    down_revision = "{head}"
    branch_labels = None
    depends_on = None


    def upgrade():
        with op.batch_alter_table("cases") as batch:
            batch.add_column(sa.Column("extra", sa.Integer(), nullable=True))


    def downgrade():
        with op.batch_alter_table("cases") as batch:
            batch.drop_column("extra")
''')


def test_backup_taken_before_a_migration_and_data_survives(tmp_path):
    store = Store(tmp_path / "s.db")
    with store.write() as s:
        case_repo.apply_changes(s, store.cipher, [upsert(1, case_record(1, tasks=[]))])
        store.update_meta(s, cursor=1)
    store.close()

    versions = tmp_path / "more_versions"
    versions.mkdir()
    (versions / "9001_extra.py").write_text(NEXT_REVISION.format(head=head_revision()))
    upgraded = Store(tmp_path / "s.db", extra_versions=[versions])
    assert upgraded.backup_path is not None and upgraded.backup_path.exists()
    assert upgraded.meta().cursor == 1
    with upgraded.read() as s:
        assert case_repo.get_record(s, upgraded.cipher, "case-00001").reference == "REF-00001"
    upgraded.close()

    old = sqlite3.connect(upgraded.backup_path)
    assert old.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
    assert old.execute("SELECT count(*) FROM cases").fetchone()[0] == 1
    old.close()


def test_a_store_from_a_newer_version_is_refused(tmp_path):
    Store(tmp_path / "s.db").close()
    raw = sqlite3.connect(tmp_path / "s.db")
    raw.execute("UPDATE alembic_version SET version_num = 'ffff'")
    raw.commit()
    raw.close()
    with pytest.raises(BadInput, match="newer fieldapp"):
        Store(tmp_path / "s.db")


def test_personal_data_is_not_in_the_file_in_clear(tmp_path):
    store = Store(tmp_path / "s.db")
    record = case_record(3, name="Wang Xiuying")
    sha, data = blob("PDF agreement of Wang Xiuying")
    with store.write() as s:
        case_repo.apply_changes(s, store.cipher, [upsert(1, record)])
        outbox_repo.record(s, store.cipher, store.files, kind="visit", case_id=record.id,
                           payload=visit(record.id, notes="Wang Xiuying lost her job").model_dump(mode="json"),
                           attachments={sha: data}, now=record.updated_at)
    store.close()
    everything = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    for secret in (b"Wang Xiuying", b"Zhongshan Road", b"+86 138", b"lost her job", b"PDF agreement"):
        assert secret not in everything
    assert b"REF-00003" in everything  # the non-personal index column is readable


def test_key_is_kept_in_the_keyring(tmp_path, memory_keyring):
    store = Store(tmp_path / "s.db")
    store_id = store.meta().store_id
    store.close()
    assert memory_keyring.get_password(KEYRING_SERVICE, store_id)
    Store(tmp_path / "s.db").close()  # reopens with the same key


def test_lost_key_locks_the_store(tmp_path, memory_keyring):
    store = Store(tmp_path / "s.db")
    store_id = store.meta().store_id
    store.close()
    memory_keyring.delete_password(KEYRING_SERVICE, store_id)
    with pytest.raises(StoreLocked, match="missing from the keyring"):
        Store(tmp_path / "s.db")


def test_a_foreign_key_does_not_open_the_store(tmp_path, memory_keyring):
    store = Store(tmp_path / "s.db")
    store_id = store.meta().store_id
    store.close()
    other = Store(tmp_path / "t.db")
    memory_keyring.set_password(KEYRING_SERVICE, store_id,
                                memory_keyring.get_password(KEYRING_SERVICE, other.meta().store_id))
    other.close()
    with pytest.raises(StoreLocked, match="does not open it"):
        Store(tmp_path / "s.db")


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_without_keyring_a_passphrase_wraps_the_key(tmp_path, no_keyring):
    from fieldapp.store import PassphraseToChoose

    with pytest.raises(PassphraseToChoose):          # a new store: the passphrase is to be chosen
        Store(tmp_path / "s.db")
    store = Store(tmp_path / "s.db", passphrase="long enough phrase")
    assert store.meta().passphrase_mode
    with store.write() as s:
        case_repo.apply_changes(s, store.cipher, [upsert(1, case_record(1))])
    store.close()
    with pytest.raises(PassphraseRequired) as asked:
        Store(tmp_path / "s.db")
    assert not isinstance(asked.value, PassphraseToChoose)  # an existing one: typed once
    with pytest.raises(WrongPassphrase):
        Store(tmp_path / "s.db", passphrase="wrong phrase")
    reopened = Store(tmp_path / "s.db", passphrase="long enough phrase")
    with reopened.read() as s:
        assert case_repo.get_record(s, reopened.cipher, "case-00001").customer.name == "Zhang Wei 1"
    reopened.close()
    raw = sqlite3.connect(tmp_path / "s.db")
    wrapped = raw.execute("SELECT wrapped_key FROM meta").fetchone()[0]
    raw.close()
    assert "scrypt" in wrapped and "long enough" not in wrapped


def test_leftover_attachment_files_are_swept(tmp_path):
    store = Store(tmp_path / "s.db")
    store.files.write("a" * 64, b"orphan")  # a crash after the file, before the row
    (store.files.directory / ("b" * 64 + ".sealed.123.tmp")).write_bytes(b"half")
    store.close()
    store = Store(tmp_path / "s.db")
    assert list(store.files.directory.iterdir()) == []
    store.close()


def test_schema_head_constant_matches_the_migrations():
    from fieldapp.store.db import SCHEMA_HEAD

    assert SCHEMA_HEAD == head_revision()


def test_migrations_create_exactly_the_models(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from fieldapp.store.models import Base

    store = Store(tmp_path / "s.db")
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    store.close()
