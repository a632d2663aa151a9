"""`rescue`: copy everything readable of a damaged store into a new store.

What is kept: every outbox item whose sealed payload still opens (with its attachments,
which are read back and checked against their hashes), cases, returned-visit tasks,
visit drafts and the lead's review items, the account (server, user, session) and the
device id, which the server's sessions belong to. The sync cursors start again at 0, so
the next sync pulls every case again; rescued cases count as withdrawn until the server
sends them again (as after a server restore). Every value comes through its AES-GCM seal,
which binds it to its row: nothing altered or misplaced can pass for data.

An item that is there but cannot be read (its seal fails) is kept, set aside (quarantined,
never sent) so the agent sees it; one whose row is gone but whose id an index still holds
is named in the report. The window settings are a separate file and are not touched.

The damaged files are never opened or written: they are copied into a working folder and
read there. Without `out`, the damaged store (with its log, index, key file and attachment
folder) is renamed aside to `<name>.damaged-<UTC time>` and the new store takes its place;
the renames run in an order where a crash between any two leaves a state the next start
refuses loudly (missing store, or a key file of another store), never a silent new store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select, update

from fieldapp.core import private
from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.lead import ReviewItem
from fieldapp.protocol.v1 import CaseRecord, Change, item_content_hash
from fieldapp.store import cases as case_repo
from fieldapp.store import reviews as review_repo
from fieldapp.store.crypto import (KEYRING_SERVICE, Cipher, KeyringUnavailable, PassphraseRequired,
                                   StoreLocked, Tampered, WrappedKey, key_from_text, keyring_get,
                                   unwrap_key)
from fieldapp.store.errors import (RESCUE_NO_KEY, RESCUE_NOT_A_STORE, RESCUE_NOTHING, RESCUE_OUT_EXISTS,
                                   StoreProblem)
from fieldapp.store.files import SUFFIX as FILE_SUFFIX
from fieldapp.store.health import companions
from fieldapp.store.keyfile import KeyFile, keyfile_path, read_keyfile
from fieldapp.store.models import (OUTBOX_STATES, UNSENT_STATES, Attachment, Case, Meta, OutboxAttachment,
                                   OutboxEntry, Task, VisitDraft)
from fieldapp.store.outbox import QUARANTINE_REASONS
from fieldapp.store.salvage import Source
from fieldapp.store.store import Store

META_COLUMNS = [c.name for c in Meta.__table__.columns]
OUTBOX_COLUMNS = [c.name for c in OutboxEntry.__table__.columns]
CASE_COLUMNS = ["id", "reference", "status", "appointment_start", "days_past_due", "tier", "amount_minor",
                "currency", "updated_at", "seq", "withdrawn", "data"]
TASK_COLUMNS = [c.name for c in Task.__table__.columns]
DRAFT_COLUMNS = [c.name for c in VisitDraft.__table__.columns]
REVIEW_COLUMNS = [c.name for c in review_repo.LeadReview.__table__.columns]


@dataclass
class RescueReport:
    new_store: Path
    set_aside: Path | None = None
    empty_source: bool = False
    header_repaired: bool = False
    missing_pages: int = 0
    account_kept: bool = False
    outbox_rescued: list[str] = field(default_factory=list)      # can be sent, or settled already
    outbox_set_aside: list[str] = field(default_factory=list)    # there, unreadable: quarantined
    outbox_unreadable: list[str] = field(default_factory=list)   # an index names it, its row is gone
    unsent_rescued: int = 0
    attachments_rescued: int = 0
    attachments_unreadable: list[str] = field(default_factory=list)
    cases_rescued: int = 0
    cases_unreadable: int = 0
    tasks_rescued: int = 0
    drafts_rescued: int = 0
    drafts_lost: int = 0
    reviews_rescued: int = 0
    other_unreadable: int = 0

    @property
    def complete(self) -> bool:
        """Nothing was found damaged: every row and file came back."""
        return not (self.empty_source or self.missing_pages or self.outbox_set_aside
                    or self.outbox_unreadable or self.attachments_unreadable or self.cases_unreadable
                    or self.drafts_lost or self.other_unreadable)


def rescue(store: Path | str, out: Path | str | None = None, *, passphrase: str | None = None) -> RescueReport:
    """Copy what is readable of `store` into a new store (`out`, or in its place)."""
    source = Path(store)
    target = Path(out) if out else source
    if source.is_dir():
        raise StoreProblem(RESCUE_NOT_A_STORE, path=source)
    keyfile = read_keyfile(source) if keyfile_path(source).exists() else None
    if not source.exists() and keyfile is None and not companions(source)[0].exists():
        raise StoreProblem(RESCUE_NOTHING, path=source)
    if out is not None:
        for p in (target, keyfile_path(target), target.with_name(target.name + ".files"), *companions(target)):
            if p.exists():
                raise StoreProblem(RESCUE_OUT_EXISTS, out=p)
    private.make_private_dir(target.parent, restrict_existing=False)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.rescue-", dir=target.parent))
    try:
        src = Source(work, source)
        try:
            report, new = _build(src, source, keyfile, work, target, passphrase)
        finally:
            src.close()
        _put_in_place(new, source, target, report, moving=out is None)
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------- reading
class _Reader:
    def __init__(self, src: Source, cipher: Cipher | None):
        self.src, self.cipher = src, cipher

    def rows(self, table: str, columns: list[str], key: str,
             proof: Callable[[dict], bool] | None = None) -> tuple[list[dict], list[Any]]:
        """(rows SQLite or the raw pages give, keys of rows known to exist but unreadable).
        Raw rows count only when `proof` (their seal opening) says they are this table's."""
        read = self.src.read(table, columns, key)
        rows = [r for r in read.rows.values() if isinstance(r.get(key), str)]
        lost_keys = [None] * (len(read.rows) - len(rows))  # rows whose key itself is damaged
        seen = {r.get(key) for r in rows}
        if (not read.complete or self.src.conn is None) and proof is not None:
            for cell in self.src.cells(len(columns)):
                row = dict(zip(columns, cell.values))
                if row.get(key) in seen or not isinstance(row.get(key), str):
                    continue
                if proof(row):
                    rows.append(row)
                    seen.add(row[key])
        lost = lost_keys + [k for k in read.lost.values() if k not in seen]
        return rows, lost

    def opens(self, blob: Any, label: str) -> bytes | None:
        if self.cipher is None or not isinstance(blob, bytes):
            return None
        try:
            return self.cipher.open(blob, label)
        except Tampered:
            return None


def _meta(src: Source, keyfile: KeyFile | None) -> dict | None:
    rows = src.read("meta", META_COLUMNS, None).rows
    if 1 in rows and isinstance(rows[1].get("store_id"), str):
        return rows[1]
    for cell in src.cells(len(META_COLUMNS)):  # the meta page may be what was damaged
        row = dict(zip(META_COLUMNS, cell.values))
        if cell.rowid == 1 and keyfile is not None and row.get("store_id") == keyfile.store_id:
            return row
    return None


def _cipher(meta: dict | None, keyfile: KeyFile | None, passphrase: str | None, path: Path) -> Cipher | None:
    """The old store's data key (from the keyring, or unwrapped by the passphrase)."""
    meta = meta or {}
    store_id = meta.get("store_id") or (keyfile.store_id if keyfile else None)
    wrapped = meta.get("wrapped_key") or (keyfile.wrapped_key if keyfile else None)
    check = meta.get("key_check") or (keyfile.key_check_bytes if keyfile else None)
    if wrapped:
        if not passphrase:
            raise PassphraseRequired("{path} is protected by a passphrase", path=path)
        key = unwrap_key(WrappedKey.from_text(wrapped), passphrase)
    elif store_id:
        try:
            text = keyring_get(KEYRING_SERVICE, store_id)
        except KeyringUnavailable:
            text = None
        if not text:
            return None
        key = key_from_text(text)
    else:
        return None
    cipher = Cipher(key)
    if isinstance(check, bytes) and not cipher.matches(check):
        raise StoreLocked("the key found for {path} does not open it", path=path)
    return cipher


# ---------------------------------------------------------------------------- building
def _build(src: Source, source: Path, keyfile: KeyFile | None, work: Path, target: Path,
           passphrase: str | None) -> tuple[RescueReport, Path]:
    meta = _meta(src, keyfile)
    if meta is None and keyfile is None:  # some other file: rescuing it would replace it with a store
        raise StoreProblem(RESCUE_NOT_A_STORE, path=source)
    cipher = _cipher(meta, keyfile, passphrase, source)
    reader = _Reader(src, cipher)
    outbox, outbox_lost = reader.rows(
        "outbox", OUTBOX_COLUMNS, "id",
        proof=lambda r: reader.opens(r.get("payload"), f"outbox:{r['id']}") is not None)
    if cipher is None and (outbox or outbox_lost):
        unsent = sum(1 for r in outbox if r.get("state") in UNSENT_STATES)
        raise StoreProblem(RESCUE_NO_KEY, path=source, unsent=unsent)
    report = RescueReport(new_store=target, empty_source=src.empty, header_repaired=src.header_repaired,
                          missing_pages=src.missing_pages)
    report.outbox_unreadable = [str(k) if k is not None else "?" for k in outbox_lost]
    new_path = work / "new.sqlite3"
    new = Store(new_path, passphrase=passphrase)
    try:
        with new.write() as s:
            cases = _cases(reader, s, new, report)
            _tasks_and_drafts(reader, s, new, cases, report)
            _outbox(reader, s, new, outbox, source, report)
            _reviews(reader, s, new, report)
            _account(reader, s, new, meta, keyfile, report)
        new.checkpoint()
    finally:
        new.close()
    return report, new_path


def _cases(reader: _Reader, s, new: Store, report: RescueReport) -> set[str]:
    rows, lost = reader.rows("cases", CASE_COLUMNS, "id",
                             proof=lambda r: reader.opens(r.get("data"), f"case:{r['id']}") is not None)
    changes, withdrawn = [], {}
    for row in rows:
        plain = reader.opens(row.get("data"), f"case:{row['id']}")
        try:
            record = CaseRecord.model_validate_json(plain) if plain else None
        except ValueError:
            record = None
        if record is None or record.id != row["id"]:
            report.cases_unreadable += 1
            continue
        seq = row.get("seq") if isinstance(row.get("seq"), int) else 0
        changes.append(Change(seq=seq, op="upsert", case_id=record.id, case=record))
        withdrawn[record.id] = row.get("withdrawn") if isinstance(row.get("withdrawn"), str) else None
    case_repo.apply_changes(s, new.cipher, changes)
    # Until the server sends a case again it counts as withdrawn: purged once its items settle.
    s.execute(update(Case).values(withdrawn="resync"))
    for case_id, reason in withdrawn.items():
        if reason:
            s.execute(update(Case).where(Case.id == case_id).values(withdrawn=reason))
    report.cases_rescued = len(changes)
    report.cases_unreadable += len(lost)
    return set(withdrawn)


def _tasks_and_drafts(reader: _Reader, s, new: Store, cases: set[str], report: RescueReport) -> None:
    tasks, lost = reader.rows("tasks", TASK_COLUMNS, "id",
                              proof=lambda r: reader.opens(r.get("data"), f"task:{r['id']}") is not None)
    report.other_unreadable += len(lost)
    present = {t.id: t for t in s.scalars(select(Task))}  # made again from the rescued cases' records
    for row in tasks:
        task = present.get(row["id"])
        if task is not None and row.get("done_at"):
            task.done_at = _when(row["done_at"])
    report.tasks_rescued = len(present)
    drafts, lost = reader.rows("visit_drafts", DRAFT_COLUMNS, "case_id",
                               proof=lambda r: reader.opens(r.get("state"), f"draft:{r['case_id']}") is not None)
    report.drafts_lost += len(lost)
    for row in drafts:
        label = f"draft:{row['case_id']}"
        plain = reader.opens(row.get("state"), label)
        if plain is None or row["case_id"] not in cases:  # a draft needs its case
            report.drafts_lost += 1
            continue
        s.add(VisitDraft(case_id=row["case_id"], state=new.cipher.seal(plain, label),
                         updated_at=_when(row.get("updated_at")) or utcnow()))
        report.drafts_rescued += 1


def _outbox(reader: _Reader, s, new: Store, rows: list[dict], source: Path, report: RescueReport) -> None:
    read = reader.src.read("outbox_attachments", ["outbox_id", "sha256"], None)
    links = list(read.rows.values())
    if not read.complete:  # each link is checked below against the item's content hash
        links += [dict(zip(["outbox_id", "sha256"], c.values)) for c in reader.src.cells(2)]
    linked: dict[str, set[str]] = {}
    for link in links:
        if isinstance(link.get("outbox_id"), str) and _is_sha(link.get("sha256")):
            linked.setdefault(link["outbox_id"], set()).add(link["sha256"])
    files = source.with_name(source.name + ".files")
    copied: dict[str, int | None] = {}
    for row in sorted(rows, key=lambda r: str(r.get("created_at"))):
        item_id = row["id"]
        state = row.get("state") if row.get("state") in OUTBOX_STATES else "waiting"
        created = _when(row.get("created_at")) or utcnow()
        plain = reader.opens(row.get("payload"), f"outbox:{item_id}")
        entry = OutboxEntry(id=item_id, kind=str(row.get("kind") or "visit"), case_id=str(row.get("case_id") or ""),
                            case_reference=row.get("case_reference"), created_at=created, payload=None,
                            content_hash=str(row.get("content_hash") or ""), state=state,
                            server_status=row.get("server_status"), code=row.get("code"),
                            reason=row.get("reason"), attempts=row.get("attempts") or 0,
                            last_error=row.get("last_error"), resolved_at=_when(row.get("resolved_at")))
        shas: list[str] = []
        if plain is None:
            if row.get("payload") is not None or state in UNSENT_STATES:
                _set_aside(entry, "rescue_unreadable", report)
            else:
                report.outbox_rescued.append(item_id)  # settled long ago; its payload was purged
        else:
            payload = json.loads(plain)
            shas, entry.content_hash = _attachments(entry, payload, linked.get(item_id, set()))
            entry.payload = new.cipher.seal(plain, f"outbox:{item_id}")
            missing = [sha for sha in shas if not _copy_file(files, sha, reader.cipher, new, s, created, copied)]
            if missing and state in UNSENT_STATES:
                _set_aside(entry, "rescue_attachment", report)
            else:
                report.outbox_rescued.append(item_id)
                report.unsent_rescued += state in UNSENT_STATES
            report.attachments_unreadable += [sha for sha in missing if sha not in report.attachments_unreadable]
            shas = [sha for sha in shas if sha not in missing]
        s.add(entry)
        s.flush()
        s.add_all(OutboxAttachment(outbox_id=item_id, sha256=sha) for sha in shas)
    report.attachments_rescued = sum(1 for size in copied.values() if size is not None)


def _set_aside(entry: OutboxEntry, code: str, report: RescueReport) -> None:
    entry.state, entry.code, entry.reason = "quarantined", code, QUARANTINE_REASONS[code]
    entry.resolved_at, entry.payload = utcnow(), None
    report.outbox_set_aside.append(entry.id)


def _attachments(entry: OutboxEntry, payload: dict, linked: set[str]) -> tuple[list[str], str]:
    """The item's attachments and content hash: the links rows give, else the hashes its
    payload refers to; the stored hash proves which (it is recomputed when neither fits)."""
    refs = set(_refs(payload))
    for shas in (linked, refs, linked | refs):
        if item_content_hash(entry.kind, entry.case_id, payload, sorted(shas)) == entry.content_hash:
            return sorted(shas), entry.content_hash
    shas = sorted(linked | refs)
    return shas, item_content_hash(entry.kind, entry.case_id, payload, shas)


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [v for k, v in value.items() if k.endswith("sha256") and k != "terms_sha256" and _is_sha(v)]
        return found + [x for v in value.values() for x in _refs(v)]
    if isinstance(value, list):
        return [x for v in value for x in _refs(v)]
    return []


def _copy_file(folder: Path, sha: str, old: Cipher | None, new: Store, s, created: dt.datetime,
               copied: dict[str, int | None]) -> bool:
    """Read one attachment of the damaged store (read only), check it, store it anew."""
    if sha not in copied:
        copied[sha] = None
        try:
            blob = (folder / f"{sha}{FILE_SUFFIX}").read_bytes()
            data = old.open(blob, f"attachment:{sha}") if old else None
        except (OSError, Tampered):
            data = None
        if data is not None and hashlib.sha256(data).hexdigest() == sha:
            new.files.write(sha, data)
            s.add(Attachment(sha256=sha, size=len(data), created_at=created))
            copied[sha] = len(data)
    return copied[sha] is not None


def _reviews(reader: _Reader, s, new: Store, report: RescueReport) -> None:
    def label(r: dict) -> str:
        return review_repo.item_label(r["visit_id"])

    rows, lost = reader.rows("lead_reviews", REVIEW_COLUMNS, "visit_id",
                             proof=lambda r: reader.opens(r.get("data"), label(r)) is not None)
    report.other_unreadable += len(lost)
    for row in rows:
        plain = reader.opens(row.get("data"), label(row))
        try:
            item = ReviewItem.model_validate_json(plain) if plain else None
        except ValueError:
            item = None
        if item is None:
            report.other_unreadable += 1
            continue
        seq = row.get("seq") if isinstance(row.get("seq"), int) else 0
        pending = row.get("pending_item") if isinstance(row.get("pending_item"), str) else None
        s.add(review_repo._row(item, seq, new.cipher, pending))
        report.reviews_rescued += 1


def _account(reader: _Reader, s, new: Store, meta: dict | None, keyfile: KeyFile | None,
             report: RescueReport) -> None:
    """The same device (the server's sessions belong to it) and account; cursor 0."""
    meta = meta or {}
    device = meta.get("device_id") or (keyfile.device_id if keyfile else None)
    values: dict[str, Any] = {"cursor": 0}
    if isinstance(device, str) and device:
        values["device_id"] = device
    if isinstance(meta.get("server_url"), str) and isinstance(meta.get("username"), str):
        values.update(server_url=meta["server_url"], username=meta["username"])
        user = reader.opens(meta.get("user_sealed"), "meta:user")
        values["user"] = json.loads(user) if user else None
        token = reader.opens(meta.get("token_sealed"), "meta:token")
        values["token"] = token.decode() if token else None
        report.account_kept = True
    if isinstance(meta.get("clock_offset_ms"), int):
        values["clock_offset_ms"] = meta["clock_offset_ms"]
    new.update_meta(s, **values)


# ---------------------------------------------------------------------------- files
def _put_in_place(new: Path, source: Path, target: Path, report: RescueReport, *, moving: bool) -> None:
    """Move the new store (file, attachment folder, key file) to `target`; first, when it
    takes the damaged store's place, rename the damaged set aside. The key file moves
    last: until then a start finds a store without its key file's id and refuses."""
    if moving:
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        aside = source.with_name(f"{source.name}.damaged-{stamp}")
        for old, suffix in ((source, ""), *((c, c.name[len(source.name):]) for c in companions(source)),
                            (source.with_name(source.name + ".files"), ".files")):
            if old.exists():
                os.replace(old, aside.with_name(aside.name + suffix))
        report.set_aside = aside
    os.replace(new.with_name(new.name + ".files"), target.with_name(target.name + ".files"))
    os.replace(new, target)
    if moving and keyfile_path(source).exists():
        os.replace(keyfile_path(source), keyfile_path(report.set_aside))  # type: ignore[arg-type]
    os.replace(keyfile_path(new), keyfile_path(target))


def _when(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _is_sha(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
