"""The sync engine: push the outbox, pull the cases, purge what the server took back.

Order of a sync: (0) set aside (quarantine) the unsent items that cannot be read, so one
damaged item never holds up the others, (1) upload the attachments of the unsent items
(PUT is idempotent), (2) push items in batches and record each result, (3) pull pages, each
applied together with its cursor in ONE transaction, (4) fetch the institution's settings
(the creditor), (5) purge withdrawn cases whose items are settled (together with the settings,
the sync's time stamp and clock offset, in one transaction).
A crash between any two steps, or inside one, leaves the store consistent: the next sync
re-sends `sending` items (the server answers `duplicate`) and re-pulls from the last
committed cursor.

A 401 `device_revoked` wipes the store before the error reaches the caller.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

from fieldapp.core.i18n import Translator
from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import (MAX_PULL_LIMIT, MAX_PUSH_ITEMS, InstitutionResponse, OutboxItem, PullResponse,
                                  PushRequest)
from fieldapp.store import cases as case_repo
from fieldapp.store import institution as institution_repo
from fieldapp.store import outbox as outbox_repo
from fieldapp.store.crypto import Tampered
from fieldapp.store.store import Store
from fieldapp.sync.errors import DeviceRevoked, ProtocolError, RequestRefused, SyncError
from fieldapp.sync.prefetch import PagePipeline
from fieldapp.sync.transport import Answer, Transport, cursor_part

log = logging.getLogger(__name__)

Progress = Callable[[str, int, "int | None"], None]
SKEW_LIMIT_S = 300.0


@dataclass(frozen=True)
class Rejection:
    id: str
    case_reference: str | None
    code: str
    reason: str


@dataclass(frozen=True)
class Quarantine:
    """An item set aside during this sync: it cannot be sent (see outbox.QUARANTINE_REASONS)."""

    id: str
    case_reference: str | None
    code: str
    reason: str   # in the summary's language


@dataclass
class SyncSummary:
    pulled_upserts: int = 0
    pulled_tombstones: int = 0
    pages: int = 0
    kept_for_outbox: list[str] = field(default_factory=list)
    purged: int = 0
    pushed_accepted: int = 0
    pushed_duplicate: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    quarantined: list[Quarantine] = field(default_factory=list)  # set aside by this sync
    quarantined_held: int = 0   # every item set aside (this sync or before) kept on the laptop
    attachments_uploaded: int = 0
    attachment_errors: list[str] = field(default_factory=list)
    clock_offset_s: float | None = None
    clock_skew: bool = False
    institution_changed: bool = False
    seconds: float = 0.0
    resynced: bool = False   # the server's history was behind this laptop's: everything pulled again
    resent: int = 0          # accepted items sent again then (the server kept them: `duplicate`)

    @property
    def pushed_rejected(self) -> int:
        return len(self.rejected)


def _noop(phase: str, done: int, total: int | None) -> None:
    return None


def check_cursor(next_cursor: int, has_more: bool, cursor: int, bad: Callable[[str], Exception]) -> None:
    """The rule every paged pull (cases, the lead's queue) holds the server to: the cursor
    never goes back, and a page that says there is more has moved it."""
    if next_cursor < cursor:
        raise bad(f"next_cursor {next_cursor} is behind the cursor sent ({cursor})")
    if has_more and next_cursor == cursor:
        raise bad("has_more is set but the cursor did not move")


class _GcPause:
    """Validating a page builds ~10^5 containers that all survive until the page is written;
    the cyclic collector would rescan them again and again (it tripled the parse time of a
    1,000-case page and doubled the time to write it). The collector is paused for the whole
    pull: paused per page only, it ran between pages over the next page (already parsed on
    the other thread), a quarter of a first sync's time. Pages hold no cycles; they are freed
    by reference counting. Concurrent users are counted, and the collector is turned back on
    only if it was on before."""

    _lock = threading.Lock()
    _users = 0
    _was_enabled = False

    def __enter__(self) -> None:
        with _GcPause._lock:
            if _GcPause._users == 0:
                _GcPause._was_enabled = gc.isenabled()
                gc.disable()
            _GcPause._users += 1

    def __exit__(self, *exc: object) -> None:
        with _GcPause._lock:
            _GcPause._users -= 1
            if _GcPause._users == 0 and _GcPause._was_enabled:
                gc.enable()


FIRST_PAGE = 100  # cases in a pull's first page at most


def _ramp(page_size: int) -> Iterator[int]:
    """The page sizes of a pull: from FIRST_PAGE, doubling up to `page_size`. The server
    builds a page faster than the laptop parses and writes it, so while the laptop handles
    one page the server has built the next, twice as large: the laptop waits for the first
    small page only, not for a full one."""
    size = min(page_size, FIRST_PAGE)
    while True:
        yield size
        size = min(page_size, size * 2)


class SyncEngine:
    def __init__(self, store: Store, transport: Transport, token: str, *, page_size: int = 1000,
                 push_batch: int = 100, translator: Translator | None = None):
        self.store = store
        self.transport = transport
        self.token = token
        self.page_size = max(1, min(page_size, MAX_PULL_LIMIT))
        self.push_batch = max(1, min(push_batch, MAX_PUSH_ITEMS))
        self.tr = translator or Translator()

    def run(self, progress: Progress | None = None) -> SyncSummary:
        progress = progress or _noop
        summary = SyncSummary()
        started = time.perf_counter()
        try:
            self.push(summary, progress)
            if not self.pull(summary, progress):
                # The server's history is behind ours (restored from a backup): what it
                # had accepted goes again (kept items come back `duplicate`), then all of it.
                self.push(summary, progress)
                self.pull(summary, progress)
        except DeviceRevoked as exc:
            lost = self.store.wipe()
            log.warning("device revoked: store wiped, %d unsent items lost", lost)
            raise DeviceRevoked(self.tr("This device was revoked by the server; its data was wiped "
                                        "({lost} unsent items lost)", lost=lost), lost) from exc
        clock = self.transport.clock  # measured on the pull (the creditor's answer is too small a sample)
        creditor = self._institution()
        with self.store.write() as s:  # settle and stamp in one transaction
            if creditor is not None:
                summary.institution_changed = institution_repo.save(s, creditor.institution, utcnow())
            purged, files = case_repo.purge_settled(s)
            values = {"last_sync_at": utcnow()}
            if clock is not None:
                values.update(clock_offset_ms=round(clock.offset_s * 1000), clock_checked_at=utcnow())
            self.store.update_meta(s, **values)
        self.store.delete_files(files)
        summary.purged += len(purged)
        with self.store.read() as s:
            summary.quarantined_held = outbox_repo.quarantined_count(s)
        if clock is not None:
            summary.clock_offset_s = clock.offset_s
            summary.clock_skew = abs(clock.offset_s) > SKEW_LIMIT_S
        summary.seconds = time.perf_counter() - started
        progress("done", 1, 1)
        return summary

    def _institution(self) -> InstitutionResponse | None:
        """The creditor's details; None from a server that has no such endpoint yet (the
        laptop keeps what it has)."""
        try:
            return self.transport.institution(self.token)
        except RequestRefused as exc:
            if exc.status == 404:
                return None
            raise

    # ------------------------------------------------------------------ push
    def push(self, summary: SyncSummary, progress: Progress) -> None:
        with self.store.read() as s:
            entries = outbox_repo.unsent(s)
            if not entries:
                return
            shas = outbox_repo.attachment_map(s, [e.id for e in entries])
        wire = self._readable(entries, shas, summary)
        entries = [e for e in entries if e.id in wire]
        if not entries:
            return
        with self.store.read() as s:
            missing = outbox_repo.not_uploaded(s, [e.id for e in entries])
        self._upload(missing, shas, summary, progress)
        total = len(entries)
        meta = self.store.meta()
        device_id, cursor = meta.device_id, meta.cursor
        done = 0
        for start in range(0, total, self.push_batch):
            batch = entries[start:start + self.push_batch]
            batch_ids = [e.id for e in batch]
            with self.store.write() as s:
                outbox_repo.mark_sending(s, batch_ids)
            try:
                resp = self.transport.push(self.token, PushRequest(device_id=device_id,
                                                                   items=[wire[i] for i in batch_ids],
                                                                   cursor=cursor))
                returned = {r.id for r in resp.results}
                if returned != set(batch_ids):
                    raise ProtocolError(self.tr(
                        "POST /sync/push: the server answered for {got} of {sent} items",
                        got=len(returned & set(batch_ids)), sent=len(batch_ids)))
            except SyncError as exc:
                with self.store.write() as s:
                    outbox_repo.mark_failed(s, batch_ids, str(exc))
                raise
            refs = {e.id: e.case_reference for e in batch}
            with self.store.write() as s:
                outbox_repo.apply_results(s, resp.results, utcnow())
            for r in resp.results:
                if r.status == "accepted":
                    summary.pushed_accepted += 1
                elif r.status == "duplicate":
                    summary.pushed_duplicate += 1
                else:
                    summary.rejected.append(Rejection(r.id, refs.get(r.id), r.code or "rejected",
                                                      r.reason or ""))
            done += len(batch)
            progress("push", done, total)

    def _readable(self, entries: list, shas: dict[str, list[str]], summary: SyncSummary) -> dict[str, OutboxItem]:
        """The wire form of every item that can be sent. One that cannot (its sealed payload
        fails authentication, or cannot be read) is set aside as quarantined, with its
        reason, so that it never again holds up the items behind it."""
        wire: dict[str, OutboxItem] = {}
        for e in entries:
            try:
                wire[e.id] = outbox_repo.to_wire(self.store.cipher, e, shas[e.id])
            except outbox_repo.Unsendable as exc:
                with self.store.write() as s:
                    outbox_repo.quarantine(s, e.id, exc.code, utcnow())
                log.warning("outbox item %s set aside: %s", e.id, exc.code)
                summary.quarantined.append(Quarantine(e.id, e.case_reference, exc.code,
                                                      self.tr(outbox_repo.QUARANTINE_REASONS[exc.code])))
        return wire

    def _upload(self, missing: list[str], shas: dict[str, list[str]], summary: SyncSummary,
                progress: Progress) -> None:
        """Upload attachments; one that cannot be read or is refused is noted on its items
        (the server then rejects them with a reason the agent sees) instead of stopping
        the sync. Network and server failures do stop it: nothing is pushed half-ready."""
        for i, sha in enumerate(missing, 1):
            try:
                data = self.store.files.read(sha)
                self.transport.put_attachment(self.token, sha, data)
            except (Tampered, RequestRefused) as exc:
                summary.attachment_errors.append(f"{sha[:12]}: {exc}")
                users = [item for item, hashes in shas.items() if sha in hashes]
                with self.store.write() as s:
                    outbox_repo.mark_failed(s, users, str(exc))
                continue
            with self.store.write() as s:
                outbox_repo.mark_uploaded(s, sha, utcnow())
            summary.attachments_uploaded += 1
            progress("attachments", i, len(missing))

    # ------------------------------------------------------------------ pull
    def pull(self, summary: SyncSummary, progress: Progress) -> bool:
        """Pull pages until the server has no more. Pages are fetched, parsed and sealed
        ahead on two threads while the current one is written (`PagePipeline`: SQLite and
        the socket release the GIL), so the server's work, the wire and the local work
        overlap; each page and its cursor still commit together, in order.

        False when the server refused our cursor as one it never handed out (409): its
        history is behind ours (reset, or restored from a backup). The store is then set
        for a full pull (every case withdrawn until sent again, cursor 0) and every item
        the server had accepted is queued to be sent again, all in one transaction."""
        with _GcPause():  # the whole pull: see _GcPause
            return self._pull_pages(summary, progress)

    def _pipeline(self, cursor: int) -> PagePipeline:
        def prepare(answer: Answer) -> tuple[PullResponse, case_repo.PreparedPage]:
            page, documents = self.transport.parse_pull(answer)
            return page, case_repo.prepare_changes(self.store.cipher, page.changes, documents)

        sizes = _ramp(self.page_size)

        def fetch(at: int) -> Answer:
            return self.transport.fetch_pull(self.token, at, next(sizes))

        return PagePipeline(cursor, fetch, prepare, cursor_part)

    def _pull_pages(self, summary: SyncSummary, progress: Progress) -> bool:
        cursor = self.store.meta().cursor
        pipeline = self._pipeline(cursor)
        applied = 0
        try:
            while True:
                try:
                    got = pipeline.next(cursor)
                except RequestRefused as exc:
                    if exc.status != 409 or cursor == 0:
                        raise
                    log.warning("the server's change history is behind cursor %d; sending the accepted "
                                "items again and pulling everything", cursor)
                    with self.store.write() as s:
                        case_repo.mark_all_withdrawn(s, "resync")
                        summary.resent += outbox_repo.resend_accepted(s)
                        self.store.update_meta(s, cursor=0)
                    summary.resynced = True
                    return False
                if got is None:  # the fetcher guessed another way, or could not tell: from here again
                    pipeline.close(wait=True)
                    pipeline = self._pipeline(cursor)
                    continue
                page, prepared = got
                self._check_page(page, cursor)
                if not page.changes and page.next_cursor == cursor:
                    break  # nothing new: no write at all
                with self.store.write() as s:
                    current = self.store.cursor_in(s)
                    if current == cursor:
                        result = case_repo.apply_prepared(s, prepared)
                        self.store.move_cursor(s, page.next_cursor)
                    pipeline.written()  # (the next page is parsed while this one commits)
                if current != cursor:  # another process synced this store meanwhile: follow it
                    log.info("cursor moved from %d to %d by another sync; continuing from there", cursor, current)
                    pipeline.close(wait=True)
                    cursor, pipeline = current, self._pipeline(current)
                    continue
                pipeline.committed(page.next_cursor)
                self.store.delete_files(result.files_to_delete)
                summary.pages += 1
                summary.pulled_upserts += result.upserts
                summary.pulled_tombstones += result.tombstones
                summary.kept_for_outbox += result.kept
                summary.purged += len(result.purged)
                applied += len(page.changes)
                progress("pull", applied, None)
                cursor = page.next_cursor
                if not page.has_more:
                    break
        finally:
            pipeline.close()
        return True

    def _check_page(self, page: PullResponse, cursor: int) -> None:
        def bad(problem: str) -> ProtocolError:
            return ProtocolError(self.tr("GET /sync/pull: {problem}", problem=problem))

        check_cursor(page.next_cursor, page.has_more, cursor, bad)
        for i, change in enumerate(page.changes):
            if change.op == "upsert" and change.case is None:
                raise bad(f"changes.{i}: an upsert without its case")
            if change.case is not None and change.case.id != change.case_id:
                raise bad(f"changes.{i}: case_id {change.case_id} does not match case.id")
