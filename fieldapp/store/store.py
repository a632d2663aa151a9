"""`Store`: one client database file, its attachment folder and its data key.

Every method opens its own session, so a database worker thread and a network worker
thread can share one `Store`. Writes run in BEGIN IMMEDIATE transactions; files that
belong to a deleted row are removed only after the commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import platformdirs
from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from fieldapp.core import private
from fieldapp.core.timeutil import utcnow
from fieldapp.store import db
from fieldapp.store.errors import KEY_LOST, OTHER_KEYFILE, StoreDamaged
from fieldapp.store.health import check_integrity, companions, create_new, damaged, is_corruption, preflight
from fieldapp.store.keyfile import KeyFile, keyfile_path, make_keyfile, write_keyfile
from fieldapp.store.crypto import (KEYRING_SERVICE, Cipher, KeyringUnavailable, PassphraseRequired,
                                   PassphraseToChoose, StoreLocked, WrappedKey, key_from_text, key_to_text, keyring_get,
                                   keyring_set, new_key, unwrap_key, wrap_key)
from fieldapp.store.files import AttachmentFiles
from fieldapp.store.models import (UNSENT_STATES, Attachment, Case, Meta, OutboxAttachment,
                                   OutboxEntry, Task, VisitDraft)

log = logging.getLogger(__name__)

STORE_FILE = "store.sqlite3"
_CURSOR = select(Meta.cursor).where(Meta.id == 1)
_MOVE_CURSOR = update(Meta).where(Meta.id == 1).values(cursor=bindparam("cursor"))


def default_store_path() -> Path:
    """`$FIELDAPP_HOME/client/store.sqlite3`, else the platform's user data folder."""
    return _data_home() / "client" / STORE_FILE


def _data_home() -> Path:
    home = os.environ.get("FIELDAPP_HOME")
    return Path(home) if home else Path(platformdirs.user_data_dir("fieldapp", appauthor=False))


def prepare_folder(path: Path) -> None:
    """The store's folder, private. The application's own folders (the default location)
    are made private even when they exist; a folder a person chose with --store may be
    shared, so only what we create in it is restricted."""
    default = default_store_path().parent
    if path.parent.absolute() == default.absolute():
        private.make_private_dir(default.parent)
        private.make_private_dir(default)
    else:
        private.make_private_dir(path.parent, restrict_existing=False)


def make_private(path: Path) -> None:
    """The database, its SQLite companions, key file and backups lose any group/other access."""
    private.restrict_all([path, *companions(path), keyfile_path(path),
                          *path.parent.glob(f"{path.name}.*.bak")])


@dataclass(frozen=True)
class MetaState:
    store_id: str
    device_id: str
    server_url: str | None
    username: str | None
    user: dict[str, Any] | None
    cursor: int
    clock_offset_ms: int | None
    clock_checked_at: dt.datetime | None
    last_sync_at: dt.datetime | None
    passphrase_mode: bool


class Store:
    """Opens the store at `path`, or makes one where there is none and nothing says one was.

    Raises `StoreMissing`/`StoreDamaged` (fieldapp.store.errors) for a store that is gone,
    emptied or damaged, and `StoreLocked` when its key cannot be had; the files are then
    left as they were found."""

    def __init__(self, path: Path | str | None = None, *, passphrase: str | None = None,
                 extra_versions: list[Path] | None = None):
        self.path = Path(path) if path else default_store_path()
        prepare_folder(self.path)
        keyfile = preflight(self.path)
        new = not self.path.exists()
        if new:
            try:
                create_new(self.path)  # SQLite's -wal and -shm take its private mode
            except FileExistsError:  # another process made it a moment ago: open that one
                new = False
        make_private(self.path)
        self.engine = db.make_engine(self.path)
        try:
            if not new:
                check_integrity(self.engine, self.path)
            self.backup_path = db.upgrade(self.engine, self.path, extra_versions=extra_versions)
            self._read = sessionmaker(self.engine, expire_on_commit=False)
            self._write = sessionmaker(self.engine.execution_options(sqlite_immediate=True),
                                       expire_on_commit=False)
            self.cipher = self._unlock(passphrase, keyfile)
        except DatabaseError as exc:
            self.engine.dispose()
            if is_corruption(exc):
                raise damaged(self.path, exc) from None
            raise
        except BaseException:
            self.engine.dispose()
            raise
        self.files = AttachmentFiles(self.path.with_name(self.path.name + ".files"), self.cipher)
        self.files.make_private()
        from fieldapp.store.routes import RouteOrders

        self.routes = RouteOrders(self.path.with_name(self.path.name + ".routes"), self.cipher)
        with self.read() as s:
            swept = self.files.sweep(set(s.scalars(select(Attachment.sha256))))
        if swept:
            log.info("removed %d leftover attachment files", swept)

    # ------------------------------------------------------------------ sessions
    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed on success, rolled back on error."""
        with self._write() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file now (PASSIVE: never waits for a
        reader). Called after the agent's own work is recorded, so that a log lost or
        deleted afterwards takes no recorded visit with it."""
        with self.engine.connect() as conn:
            conn.connection.dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    # ------------------------------------------------------------------ key
    def _unlock(self, passphrase: str | None, keyfile: KeyFile | None) -> Cipher:
        with self.write() as s:
            meta = s.get(Meta, 1)
            if meta is None:
                if keyfile is not None:  # this file is not the store the key file belongs to
                    raise StoreDamaged(OTHER_KEYFILE, keyfile=keyfile_path(self.path), path=self.path)
                meta = Meta(id=1, store_id=str(uuid.uuid4()), device_id=str(uuid.uuid4()), cursor=0)
                s.add(meta)
                s.flush()
            elif keyfile is not None and keyfile.store_id != meta.store_id:
                raise StoreDamaged(OTHER_KEYFILE, keyfile=keyfile_path(self.path), path=self.path)
            key = self._data_key(s, meta, passphrase)
            cipher = Cipher(key)
            if meta.key_check is None:
                meta.key_check = cipher.check_value()
            elif not cipher.matches(meta.key_check):
                raise StoreLocked("the key found for {path} does not open it", path=self.path)
            wanted = make_keyfile(meta.store_id, meta.device_id, meta.key_check, meta.wrapped_key)
        if wanted != keyfile:  # committed first: the key file describes a store that exists
            write_keyfile(self.path, wanted)
        return cipher

    def _sync_keyfile(self) -> None:
        with self.read() as s:
            meta = s.get(Meta, 1)
            assert meta is not None
            write_keyfile(self.path, make_keyfile(meta.store_id, meta.device_id, meta.key_check,
                                                  meta.wrapped_key))

    def _data_key(self, s: Session, meta: Meta, passphrase: str | None) -> bytes:
        if meta.wrapped_key:
            if not passphrase:
                raise PassphraseRequired("{path} is protected by a passphrase", path=self.path)
            return unwrap_key(WrappedKey.from_text(meta.wrapped_key), passphrase)
        try:
            stored = keyring_get(KEYRING_SERVICE, meta.store_id)
            keyring_ok = True
        except KeyringUnavailable:
            stored, keyring_ok = None, False
        if stored:
            return key_from_text(stored)
        if meta.key_check is not None:
            unsent = s.scalar(select(func.count()).select_from(OutboxEntry)
                              .where(OutboxEntry.state.in_(UNSENT_STATES))) or 0
            raise StoreLocked(KEY_LOST, path=self.path, unsent=unsent)
        key = new_key()
        try:
            if not keyring_ok:
                raise KeyringUnavailable("no keyring")
            keyring_set(KEYRING_SERVICE, meta.store_id, key_to_text(key))
        except KeyringUnavailable:
            if not passphrase:
                raise PassphraseToChoose("no OS keyring is available: a passphrase must protect "
                                         "the store (FIELDAPP_STORE_PASSPHRASE)") from None
            meta.wrapped_key = wrap_key(key, passphrase).to_text()
        return key

    # ------------------------------------------------------------------ meta
    def meta(self) -> MetaState:
        with self.read() as s:
            m = s.get(Meta, 1)
            assert m is not None
            return self._meta_state(m)

    def _meta_state(self, m: Meta) -> MetaState:
        user = self.cipher.open_json(m.user_sealed, "meta:user") if m.user_sealed else None
        return MetaState(m.store_id, m.device_id, m.server_url, m.username, user, m.cursor,
                         m.clock_offset_ms, m.clock_checked_at, m.last_sync_at, bool(m.wrapped_key))

    def update_meta(self, session: Session, **values: Any) -> None:
        m = session.get(Meta, 1)
        assert m is not None
        if "user" in values:
            user = values.pop("user")
            m.user_sealed = None if user is None else self.cipher.seal_json(user, "meta:user")
        if "token" in values:
            token = values.pop("token")
            m.token_sealed = None if token is None else self.cipher.seal(token.encode(), "meta:token")
        for name, value in values.items():
            setattr(m, name, value)

    # The pull cursor as a column (each pulled page reads and moves it: no ORM object).
    @staticmethod
    def cursor_in(session: Session) -> int:
        return int(session.execute(_CURSOR).scalar_one())

    @staticmethod
    def move_cursor(session: Session, cursor: int) -> None:
        session.execute(_MOVE_CURSOR, {"cursor": cursor})

    def sealed_token(self) -> str | None:
        with self.read() as s:
            blob = s.scalar(select(Meta.token_sealed))
        return None if blob is None else self.cipher.open(blob, "meta:token").decode()

    # ------------------------------------------------------------------ counts / wipe
    def counts(self) -> dict[str, int]:
        with self.read() as s:
            out = {"cases": s.scalar(select(func.count()).select_from(Case)) or 0,
                   "tasks": s.scalar(select(func.count()).select_from(Task)) or 0,
                   "drafts": s.scalar(select(func.count()).select_from(VisitDraft)) or 0,
                   "attachments": s.scalar(select(func.count()).select_from(Attachment)) or 0}
            for state, n in s.execute(select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state)):
                out[f"outbox_{state}"] = n
            return out

    def wipe(self, *, new_device: bool = True) -> int:
        """Remove every case, task, draft, outbox item and attachment; forget the account.

        Returns how many unsent outbox items (set-aside ones included) were lost. The device
        gets a new id (unless told otherwise), and the file is vacuumed so deleted pages keep
        no old ciphertext.
        """
        with self.write() as s:
            lost = s.scalar(select(func.count()).select_from(OutboxEntry)  # set-aside ones too
                            .where(OutboxEntry.state.in_((*UNSENT_STATES, "quarantined")))) or 0
            from fieldapp.store.practice import PracticeRun
            from fieldapp.store.institution import InstitutionRow
            from fieldapp.store.reviews import LeadMeta, LeadReview
            from fieldapp.store.signing import DeviceCredential

            for model in (OutboxAttachment, OutboxEntry, Attachment, VisitDraft, Task, Case,
                          LeadReview, LeadMeta, PracticeRun, DeviceCredential, InstitutionRow):
                s.execute(delete(model))
            self.update_meta(s, server_url=None, username=None, user=None, token=None, cursor=0,
                             clock_offset_ms=None, clock_checked_at=None, last_sync_at=None)
            if new_device:
                self.update_meta(s, device_id=str(uuid.uuid4()))
        if new_device:
            self._sync_keyfile()
        self.files.clear()
        self.routes.clear()
        with self.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            raw.execute("VACUUM")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return lost

    def delete_files(self, shas: list[str]) -> None:
        for sha in shas:
            self.files.delete(sha)

    def integrity_ok(self) -> bool:
        with self.read() as s:
            return s.execute(text("PRAGMA integrity_check")).scalar() == "ok"

    def now(self) -> dt.datetime:
        return utcnow()
