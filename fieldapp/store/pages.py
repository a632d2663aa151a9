"""Reading table rows straight from the pages of a damaged SQLite file.

When SQLite cannot walk a table (a damaged interior page, a lost schema page, a header
beyond repair), its rows still sit in leaf pages that may be intact. This reads every page
that looks like a table leaf (type 0x0D) and decodes its cells with the file format
(https://www.sqlite.org/fileformat2.html): cell = payload size (varint), rowid (varint),
the record's local part, and the first overflow page when the record is longer than fits.
Anything that does not parse is skipped; nothing here trusts what it reads. The caller
identifies a row's table by its shape and proves it by opening its sealed columns (each is
bound to its row's id by AES-GCM), so a stray or stale cell cannot pass for data.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Iterator

MAGIC = b"SQLite format 3\x00"
TABLE_LEAF = 0x0D
DEFAULT_PAGE_SIZE = 4096
MAX_OVERFLOW_PAGES = 4096


@dataclass(frozen=True)
class Cell:
    page: int
    rowid: int
    values: tuple


def header_intact(data: bytes) -> bool:
    return data[:16] == MAGIC


def page_size_of(data: bytes) -> int:
    """The page size in the header, or the default when the header is unreadable."""
    if header_intact(data) and len(data) >= 100:
        raw = struct.unpack(">H", data[16:18])[0]
        size = 65536 if raw == 1 else raw
        if 512 <= size <= 65536 and size & (size - 1) == 0:
            return size
    return DEFAULT_PAGE_SIZE


def reserved_of(data: bytes) -> int:
    return data[20] if header_intact(data) and len(data) >= 100 else 0


def missing_pages(data: bytes) -> int:
    """Pages the header says the file has and it does not (a truncated file), when the
    header's page count can be trusted; 0 otherwise."""
    if not header_intact(data) or len(data) < 100:
        return 0
    size = page_size_of(data)
    counted, change, valid_for = (struct.unpack(">I", data[o:o + 4])[0] for o in (28, 24, 92))
    if counted == 0 or change != valid_for:
        return 0
    return max(0, counted - len(data) // size)


def varint(buf: bytes, at: int) -> tuple[int, int]:
    """(value, next offset) of the SQLite varint at `at` (IndexError past the end)."""
    value = 0
    for i in range(8):
        byte = buf[at + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + i + 1
    return (value << 8) | buf[at + 8], at + 9


def scan(data: bytes, page_size: int | None = None) -> Iterator[Cell]:
    """Every cell of every table-leaf page that decodes."""
    size = page_size or page_size_of(data)
    usable = size - reserved_of(data)
    pages = len(data) // size
    for number in range(1, pages + 1):
        start = (number - 1) * size
        page = data[start:start + size]
        header = 100 if number == 1 else 0
        if page[header] != TABLE_LEAF:
            continue
        try:
            count = struct.unpack(">H", page[header + 3:header + 5])[0]
        except struct.error:
            continue
        for i in range(count):
            pointer_at = header + 8 + 2 * i
            if pointer_at + 2 > usable:
                break
            offset = struct.unpack(">H", page[pointer_at:pointer_at + 2])[0]
            try:
                cell = _cell(data, page, number, offset, size, usable)
            except (IndexError, ValueError, struct.error, UnicodeDecodeError):
                continue
            if cell is not None:
                yield cell


def _cell(data: bytes, page: bytes, number: int, offset: int, size: int, usable: int) -> Cell | None:
    if not 8 <= offset < usable:
        return None
    payload_size, at = varint(page, offset)
    rowid, at = varint(page, at)
    if payload_size > 1 << 30:
        return None
    local = _local_size(payload_size, usable)
    body = page[at:at + local]
    if len(body) != local or at + local > usable:
        return None
    if local < payload_size:
        overflow = struct.unpack(">I", page[at + local:at + local + 4])[0]
        body += _overflow(data, overflow, payload_size - local, size, usable)
    return Cell(number, rowid, _record(body))


def _local_size(payload: int, usable: int) -> int:
    most = usable - 35
    if payload <= most:
        return payload
    least = ((usable - 12) * 32 // 255) - 23
    k = least + (payload - least) % (usable - 4)
    return k if k <= most else least


def _overflow(data: bytes, page: int, remaining: int, size: int, usable: int) -> bytes:
    out = bytearray()
    seen = 0
    while remaining > 0:
        seen += 1
        if page < 1 or seen > MAX_OVERFLOW_PAGES or page * size > len(data):
            raise ValueError("broken overflow chain")
        start = (page - 1) * size
        chunk = data[start + 4:start + min(usable, 4 + remaining)]
        out += chunk
        remaining -= len(chunk)
        page = struct.unpack(">I", data[start:start + 4])[0]
    return bytes(out)


def _record(body: bytes) -> tuple:
    header_size, at = varint(body, 0)
    if not 1 <= header_size <= len(body):
        raise ValueError("bad record header")
    types = []
    while at < header_size:
        serial, at = varint(body, at)
        types.append(serial)
    values: list = []
    pos = header_size
    for serial in types:
        value, pos = _value(body, pos, serial)
        values.append(value)
    if pos != len(body):
        raise ValueError("record length does not match")
    return tuple(values)


_INTS = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}


def _value(body: bytes, pos: int, serial: int):
    if serial == 0:
        return None, pos
    if serial in _INTS:
        n = _INTS[serial]
        if pos + n > len(body):
            raise ValueError("short integer")
        return int.from_bytes(body[pos:pos + n], "big", signed=True), pos + n
    if serial == 7:
        return struct.unpack(">d", body[pos:pos + 8])[0], pos + 8
    if serial in (8, 9):
        return serial - 8, pos
    if serial >= 12:
        n = (serial - 12) // 2
        if pos + n > len(body):
            raise ValueError("short value")
        raw = body[pos:pos + n]
        return (bytes(raw) if serial % 2 == 0 else raw.decode("utf-8")), pos + n
    raise ValueError(f"reserved serial type {serial}")


def repaired_header(data: bytes, page_size: int) -> bytes:
    """A plausible 100-byte header for a file whose header was overwritten: the fixed
    fields as SQLite writes them, WAL mode, UTF-8, no freelist, the page count taken from
    the file's size (https://www.sqlite.org/fileformat2.html#the_database_header)."""
    header = bytearray(100)
    header[0:16] = MAGIC
    header[16:18] = struct.pack(">H", 1 if page_size == 65536 else page_size)
    header[18], header[19] = 2, 2                  # WAL read/write versions
    header[21], header[22], header[23] = 64, 32, 32
    header[24:28] = struct.pack(">I", 1)           # change counter (!= version-valid-for)
    header[40:44] = struct.pack(">I", 1)           # schema cookie
    header[44:48] = struct.pack(">I", 4)           # schema format 4
    header[56:60] = struct.pack(">I", 1)           # UTF-8
    header[96:100] = struct.pack(">I", 3045000)
    return bytes(header)
