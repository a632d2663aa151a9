"""Reading what can be read from a damaged store, on a copy: the damaged files are never
opened, so nothing SQLite does on open (replaying or checkpointing the log, rebuilding the
shared-memory index) can change them.

Rows are found three ways and merged by rowid: a plain scan of the table (stops at the
first damaged page), the table's indexes (each holds the rowid of every row: a row the
scan missed is then looked up alone, and one that cannot be read is known to be lost),
and the raw leaf pages of the file (`fieldapp.store.pages`), for rows SQLite cannot reach
at all (a damaged interior page, a schema page or a header beyond repair).
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from fieldapp.store import pages
from fieldapp.store.health import companions

PROBE_SLACK = 64   # rowids probed past the largest one known (rows appended after it)


@dataclass
class TableRead:
    rows: dict[int, dict] = field(default_factory=dict)   # rowid -> column -> value
    lost: dict[int, object] = field(default_factory=dict)  # rowid known to exist -> key (or None)
    complete: bool = True


class Source:
    """A working copy of a damaged store (main file and write-ahead log, never the index)."""

    def __init__(self, work: Path, store: Path):
        self.copy = work / "damaged-copy.sqlite3"
        self.empty = not store.exists() or store.stat().st_size == 0
        self.conn: sqlite3.Connection | None = None
        self.data = b""
        self.header_repaired = False
        self.missing_pages = 0
        self._cells: list[pages.Cell] | None = None
        wal, _shm, _journal = companions(store)
        if self.empty and not wal.exists():
            return
        if store.exists():
            shutil.copyfile(store, self.copy)
        else:
            self.copy.write_bytes(b"")
        if wal.exists():
            shutil.copyfile(wal, self.copy.with_name(self.copy.name + "-wal"))
        self.missing_pages = pages.missing_pages(self.copy.read_bytes())
        self.conn = self._connect()
        if self.conn is not None:
            try:  # the log's pages into the copy, so the raw page reader sees them too
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.DatabaseError:
                pass
        self.data = self.copy.read_bytes()

    def _connect(self) -> sqlite3.Connection | None:
        conn = self._try_open()
        if conn is None and not pages.header_intact(self.copy.read_bytes()[:100]):
            original = self.copy.read_bytes()
            for size in (pages.DEFAULT_PAGE_SIZE, 1024, 2048, 8192, 16384, 32768, 65536, 512):
                with open(self.copy, "r+b") as fh:
                    fh.write(pages.repaired_header(original, size))
                conn = self._try_open()
                if conn is not None:
                    self.header_repaired = True
                    break
        return conn

    def _try_open(self) -> sqlite3.Connection | None:
        try:
            conn = sqlite3.connect(str(self.copy), isolation_level=None)
            conn.execute("PRAGMA cell_size_check=ON")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.DatabaseError:
            return None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    # ------------------------------------------------------------------ SQLite
    def columns(self, table: str) -> list[str] | None:
        if self.conn is None:
            return None
        try:
            cols = [r[1] for r in self.conn.execute(f'PRAGMA table_info("{table}")')]
        except sqlite3.DatabaseError:
            return None
        return cols or None

    def read(self, table: str, columns: list[str], key: str | None) -> TableRead:
        """Every row SQLite can still give of `table` (only `columns` that it has)."""
        out = TableRead()
        have = self.columns(table)
        if self.conn is None or have is None:
            out.complete = False
            return out
        cols = [c for c in columns if c in have]
        select = ", ".join(f'"{c}"' for c in cols)
        try:
            for row in self.conn.execute(f'SELECT rowid, {select} FROM "{table}"'):
                out.rows[row[0]] = dict(zip(cols, row[1:]))
        except sqlite3.DatabaseError:
            out.complete = False
        known = self._indexed(table, key)
        top = max([*known, *out.rows, self._max_rowid(table)], default=0)
        candidates = set(known) | (set(range(1, top + PROBE_SLACK)) if not out.complete else set())
        for rowid in sorted(candidates - set(out.rows)):
            try:
                row = self.conn.execute(f'SELECT {select} FROM "{table}" WHERE rowid = ?', (rowid,)).fetchone()
            except sqlite3.DatabaseError:
                row = None
                out.complete = False
            if row is not None:
                out.rows[rowid] = dict(zip(cols, row))
            elif rowid in known:
                out.lost[rowid] = known[rowid]
                out.complete = False
        return out

    def _indexed(self, table: str, key: str | None) -> dict[int, object]:
        """rowid -> key value (when an index on the key gives it) of every row any index names."""
        found: dict[int, object] = {}
        try:
            indexes = [(r[1], r[3]) for r in self.conn.execute(f'PRAGMA index_list("{table}")')]  # type: ignore[union-attr]
        except sqlite3.DatabaseError:
            return found
        for name, origin in sorted(indexes, key=lambda i: i[1] != "pk"):
            try:
                first = self.conn.execute(f'PRAGMA index_info("{name}")').fetchone()  # type: ignore[union-attr]
                column = first[2] if first else None
                picks = f'"{column}", rowid' if column == key else "NULL, rowid"
                for value, rowid in self.conn.execute(  # type: ignore[union-attr]
                        f'SELECT {picks} FROM "{table}" INDEXED BY "{name}"'):
                    if found.get(rowid) is None:
                        found[rowid] = value
            except sqlite3.DatabaseError:
                continue
        return found

    def _max_rowid(self, table: str) -> int:
        try:
            return int(self.conn.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0] or 0)  # type: ignore[union-attr]
        except (sqlite3.DatabaseError, TypeError):
            return 0

    # ------------------------------------------------------------------ raw pages
    def cells(self, width: int) -> list[pages.Cell]:
        """Raw table-leaf cells with `width` values (the caller proves what they are)."""
        if self._cells is None:
            size = None
            if self.conn is not None:
                try:
                    size = int(self.conn.execute("PRAGMA page_size").fetchone()[0])
                except sqlite3.DatabaseError:
                    size = None
            self._cells = list(pages.scan(self.data, size)) if self.data else []
        return [c for c in self._cells if len(c.values) == width]
