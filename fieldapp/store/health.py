"""Is the store at this place whole and sound? Checked before and right after SQLite opens it.

Before SQLite touches anything (`preflight`), so that nothing it would do (make a new
empty database, reset a stale shared-memory index) hides what happened:

- no file: a new store is made only when nothing says one existed here; a key file or a
  write-ahead log without its store is `StoreMissing`;
- a file of 0 bytes is never a store this application made (`create_new` builds a store
  under a temporary name and links it into place whole), so it is `StoreDamaged`;
- a shared-memory index (-shm) without its write-ahead log (-wal): SQLite deletes the
  index before the log when it closes, so the log was removed by someone else and the
  changes in it are gone: `StoreDamaged`.

Right after it opens (`check_integrity`): `PRAGMA integrity_check`, which also compares
every index with its table (`quick_check` does not, and a flipped byte in a state or an id
shows up only there). On a store of 50,000 cases (57 MB) it took 0.11-0.45 s against
0.05-0.17 s for quick_check, a ratio of 2-2.6 (tests/perf/test_store_check_perf.py; the
spread is the load of a shared 2-core machine). That is small beside the rest of a start,
so the full check is run at every open.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError

from fieldapp.core import private
from fieldapp.store.errors import DAMAGED, EMPTY, LOG_LOST, MISSING, ORPHAN_LOG, StoreDamaged, StoreMissing
from fieldapp.store.keyfile import KeyFile, keyfile_path, read_keyfile

# SQLite's primary result codes for "this is not (or no longer) a sound database file".
SQLITE_CORRUPT, SQLITE_NOTADB = 11, 26
MAX_PROBLEM = 160


def companions(path: Path) -> tuple[Path, Path, Path]:
    """(-wal, -shm, -journal): the files SQLite keeps beside a database."""
    return tuple(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))  # type: ignore[return-value]


def preflight(path: Path) -> KeyFile | None:
    """Refuse a store that is missing, emptied or lost its log; the key file (or None).

    A missing store with nothing around it is a first use: the caller makes one."""
    wal, shm, journal = companions(path)
    keyfile = keyfile_path(path)
    if not path.exists():
        if keyfile.exists():
            raise StoreMissing(MISSING, path=path, keyfile=keyfile)
        for log in (wal, journal):
            if log.exists():
                raise StoreMissing(ORPHAN_LOG, path=path, log=log)
        return None
    if path.stat().st_size == 0:
        raise StoreDamaged(EMPTY, path=path)
    if shm.exists() and not wal.exists():
        raise StoreDamaged(LOG_LOST, log=wal)
    return read_keyfile(path)


def create_new(path: Path) -> None:
    """Make an empty database (WAL mode, private) under a temporary name and link it into
    place; FileExistsError if a file appeared there meanwhile. So a store at `path` is
    always at least a valid database, and an empty file there is always damage."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    tmp.unlink(missing_ok=True)
    private.create_private_file(tmp)
    try:
        conn = sqlite3.connect(str(tmp))
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        finally:
            conn.close()
        if os.name == "nt":
            os.rename(tmp, path)  # refuses to replace an existing file on Windows
        else:
            try:
                os.link(tmp, path)  # likewise: never over an existing file
            except FileExistsError:
                raise
            except OSError:  # a file system without hard links (FAT, some shares)
                if path.exists():
                    raise FileExistsError(str(path)) from None
                os.rename(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        for extra in companions(tmp):
            extra.unlink(missing_ok=True)


def is_corruption(exc: BaseException) -> bool:
    """A SQLite error that means the file is damaged (not locked, not a full disk)."""
    orig = getattr(exc, "orig", exc)
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)
    return type(orig) is sqlite3.DatabaseError


def problem_text(exc: BaseException) -> str:
    orig = getattr(exc, "orig", exc)
    text = " ".join(str(orig).split()) or type(orig).__name__
    return text[:MAX_PROBLEM]


def damaged(path: Path, exc: BaseException) -> StoreDamaged:
    return StoreDamaged(DAMAGED, path=path, problem=problem_text(exc))


def check_integrity(engine: Engine, path: Path) -> None:
    """`PRAGMA integrity_check`; StoreDamaged naming the first problem found."""
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("PRAGMA integrity_check(20)").fetchall()
    except DatabaseError as exc:
        if is_corruption(exc):
            raise damaged(path, exc) from None
        raise
    problems = [str(r[0]) for r in rows if r and r[0] != "ok"]
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        first = " ".join(problems[0].split())[:MAX_PROBLEM]
        raise StoreDamaged(DAMAGED, path=path, problem=first + more)
