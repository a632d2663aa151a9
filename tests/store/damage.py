"""Real stores with unsent work, and the ways a file gets damaged (for the crash tests).

`build` makes a store the way the app fills one (cases pulled, visits recorded with their
attachments, a draft, a returned-visit task), closes it (so every page is in the main
file), and remembers where each outbox item's sealed payload lies in the file: the page
that holds it. Damage is then done to the file's bytes, as a disk or a careless copy would.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from store_records import blob, case_record, task, upsert, visit

from fieldapp.store import Store
from fieldapp.store import cases as case_repo
from fieldapp.store import drafts as draft_repo
from fieldapp.store import outbox as outbox_repo

PAGE = 4096


@dataclass
class Built:
    path: Path
    store_id: str
    device_id: str
    items: list[str]                                   # outbox ids, in the order recorded
    attachments: dict[str, list[str]] = field(default_factory=dict)   # item -> shas
    pages: dict[str, int] = field(default_factory=dict)              # item -> page of its payload
    payloads: dict[str, dict] = field(default_factory=dict)          # item -> payload as recorded
    cases: int = 0

    def page_offset(self, page: int) -> int:
        return (page - 1) * PAGE

    def on_pages(self, pages: set[int]) -> set[str]:
        return {i for i, p in self.pages.items() if p in pages}

    def digest(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def build(path: Path, *, cases: int = 20, visits: int = 12, passphrase: str | None = None,
          notes_size: int = 900) -> Built:
    store = Store(path, passphrase=passphrase)
    records = [case_record(i, tasks=[task(i)] if i == 2 else []) for i in range(1, cases + 1)]
    with store.write() as s:
        case_repo.apply_changes(s, store.cipher, [upsert(i, r) for i, r in enumerate(records, 1)])
        store.update_meta(s, cursor=cases, server_url="https://sync.example.org", username="agent1",
                          user={"id": "u1", "username": "agent1", "role": "agent"})
    built = Built(path, store.meta().store_id, store.meta().device_id, [], cases=cases)
    for n in range(visits):
        record = records[n % cases]
        files = dict([blob(f"agreement PDF {n}"), blob(f"signature {n}")]) if n % 3 == 0 else {}
        payload = visit(record.id, notes=f"visit {n} " + "x" * notes_size).model_dump(mode="json")
        with store.write() as s:
            entry = outbox_repo.record(s, store.cipher, store.files, kind="visit", case_id=record.id,
                                       payload=payload, attachments=files, now=record.updated_at,
                                       case_reference=record.reference)
        built.items.append(entry.id)
        built.payloads[entry.id] = payload
        built.attachments[entry.id] = sorted(files)
    with store.write() as s:
        draft_repo.save_draft(s, store.cipher, records[-1].id, {"step": "script", "answers": [1, 2]},
                              records[-1].updated_at)
    store.close()
    raw = sqlite3.connect(path)
    payloads = dict(raw.execute("SELECT id, payload FROM outbox"))
    raw.close()
    data = path.read_bytes()
    for item, sealed in payloads.items():
        at = data.find(sealed)
        assert at >= 0 and data.find(sealed, at + 1) == -1
        built.pages[item] = at // PAGE + 1
        assert (at + len(sealed) - 1) // PAGE + 1 == built.pages[item], "payload within one page"
    return built


def root_page(path: Path, table: str) -> int:
    raw = sqlite3.connect(path)
    page = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    raw.close()
    return page


def flip(path: Path, offset: int, count: int = 4) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        data = bytearray(fh.read(count))
        fh.seek(offset)
        fh.write(bytes(b ^ 0xA5 for b in data))


def overwrite(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(data)


def truncate(path: Path, size: int) -> None:
    with open(path, "r+b") as fh:
        fh.truncate(size)
