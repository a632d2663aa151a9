"""`AgentService`: the one façade the UI and the CLI use for the agent's data and sync.

Plain blocking methods (the UI calls them from its worker threads). Each method opens its
own store session, so the database worker and the network worker can use one instance at
once; syncs are serialised by a lock. The session token lives in the OS keyring, per
server and user (sealed in the store only where no keyring exists).
"""

from __future__ import annotations

import datetime as dt
import logging
import platform
import threading
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from fieldapp.core.errors import BadInput, NotFound
from fieldapp.core.i18n import Translator
from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import (PRACTICE_CASE_ID, CaseRecord, InstitutionInfo, LoginRequest, PracticeRecord,
                                  ReviewReplyRecord, VisitRecord)
from fieldapp.store import cases as case_repo
from fieldapp.store import drafts as draft_repo
from fieldapp.store import documents as documents_repo
from fieldapp.store import institution as institution_repo
from fieldapp.store import outbox as outbox_repo
from fieldapp.store import practice as practice_repo
from fieldapp.store.practice import PracticeRow
from fieldapp.store.crypto import KeyringUnavailable, keyring_delete, keyring_get, keyring_set
from fieldapp.store.models import Attachment, Case, OutboxEntry, Task
from fieldapp.store.rows import CaseRow, DraftRow, OutboxRow, TaskRow
from fieldapp.store.store import Store
from fieldapp.sync.appointments import AppointmentPlanner
from fieldapp.sync.contacts import ContactLog
from fieldapp.sync.photos import PhotoEvidence
from fieldapp.sync.tiles import MapTiles
from fieldapp.sync.engine import SKEW_LIMIT_S, Progress, SyncEngine, SyncSummary
from fieldapp.sync.errors import DeviceRevoked, NotLoggedIn, SyncError, TokenExpired
from fieldapp.sync.transport import RetryPolicy, Transport, normalise_url

SESSION_SERVICE = "fieldapp-session"
log = logging.getLogger(__name__)


class AgentService(AppointmentPlanner, ContactLog, PhotoEvidence, MapTiles):
    def __init__(self, store: Store | None = None, *, store_path: Path | str | None = None,
                 passphrase: str | None = None, translator: Translator | None = None,
                 page_size: int = 1000, push_batch: int = 100, retry: RetryPolicy | None = None,
                 timeout_s: float = 30.0):
        self.store = store or Store(store_path, passphrase=passphrase)
        self.tr = translator or Translator()
        self.page_size, self.push_batch = page_size, push_batch
        self._retry, self._timeout = retry, timeout_s
        self._transport: Transport | None = None
        self._token: str | None = None
        self._lock = threading.RLock()       # guards the transport/token fields
        self._sync_lock = threading.Lock()   # one sync at a time

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self.store.close()

    # ------------------------------------------------------------------ session
    def login(self, server_url: str, username: str, password: str) -> dict[str, Any]:
        """Log in (network); binds this store to the account. Returns the user info.

        Another account may take over the store only when it holds no unsent items; the
        previous account's data is wiped once the new login has succeeded."""
        url = normalise_url(server_url)
        if not username or not password:
            raise BadInput(self.tr("user name and password are required"),
                           field="username" if not username else "password")
        meta = self.store.meta()
        switching = bool(meta.username) and (meta.server_url, meta.username) != (url, username)
        if switching:
            counts = self.store.counts()
            unsent = counts.get("outbox_waiting", 0) + counts.get("outbox_sending", 0)
            if unsent:
                raise BadInput(self.tr("This laptop holds {n} unsent items of {user} at {server}; "
                                       "sync them before another account logs in",
                                       n=unsent, user=meta.username, server=meta.server_url), field="username")
        transport = self._transport_for(url)
        transport.meta()
        try:
            resp = transport.login(LoginRequest(username=username, password=password, device_id=meta.device_id,
                                                device_name=platform.node()[:200] or None))
        except DeviceRevoked as exc:
            lost = self.store.wipe()
            raise DeviceRevoked(str(exc), lost) from exc
        if switching:
            self._forget_token(meta.server_url or "", meta.username or "")
            self.store.wipe(new_device=False)  # the token just issued belongs to this device id
        user = resp.user.model_dump(mode="json")
        with self.store.write() as s:
            self.store.update_meta(s, server_url=url, username=username, user=user)
        self._save_token(url, username, resp.token)
        with self._lock:
            self._token = resp.token
        self._enrol(transport, resp.token)
        return user

    def resume(self) -> dict[str, Any] | None:
        """Offline start with the stored session: the user info, or None if not logged in."""
        meta = self.store.meta()
        if not (meta.server_url and meta.username):
            return None
        token = self._load_token(meta.server_url, meta.username)
        if token is None:
            return None
        with self._lock:
            self._token = token
        return meta.user

    def logout(self) -> None:
        """Forget the session (and tell the server when it can be reached); data stays."""
        meta = self.store.meta()
        if not (meta.server_url and meta.username):
            return
        token = self._load_token(meta.server_url, meta.username)
        if token:
            try:
                self._transport_for(meta.server_url).logout(token)
            except SyncError:
                pass  # offline or already invalid: forgetting it locally is what matters
        self._forget_token(meta.server_url, meta.username)
        with self._lock:
            self._token = None

    def probe(self) -> bool:
        """A light, unauthenticated request (GET /meta): can the server be reached, and does
        it speak our protocol? Raises the transport's errors (Offline, IncompatibleServer...)."""
        meta = self.store.meta()
        if not meta.server_url:
            raise NotLoggedIn(self.tr("Not logged in: log in to the server first"))
        self._transport_for(meta.server_url).meta()
        return True

    def account(self) -> tuple[str | None, str | None]:
        meta = self.store.meta()
        return meta.server_url, meta.username

    # ------------------------------------------------------------------ sync
    def sync(self, progress: Progress | None = None, *, tiles: bool = True) -> SyncSummary:
        """Pull, push, and (`tiles`) fetch the map tiles of the cases' area. The app fetches
        the tiles in a separate step after the sync, so the case list does not wait."""
        meta = self.store.meta()
        with self._lock:
            token = self._token
        if token is None and meta.server_url and meta.username:
            self.resume()  # a stored session works without an explicit resume()
            with self._lock:
                token = self._token
        if not (meta.server_url and meta.username and token):
            raise NotLoggedIn(self.tr("Not logged in: log in to the server first"))
        with self._sync_lock:
            transport = self._transport_for(meta.server_url)
            engine = SyncEngine(self.store, transport, token, page_size=self.page_size,
                                push_batch=self.push_batch, translator=self.tr)
            try:
                summary = engine.run(progress)
                self._enrol(transport, token)
                self._fetch_sealed(transport, token)
                if tiles:
                    self._cache_tiles()
                return summary
            except DeviceRevoked:
                self._forget_token(meta.server_url, meta.username)
                with self._lock:
                    self._token = None
                raise
            except TokenExpired:
                with self._lock:
                    self._token = None
                raise

    def clock(self) -> tuple[float | None, bool]:
        """(server minus local clock in seconds, or None before any sync; skew > 5 min?)"""
        offset = self.store.meta().clock_offset_ms
        if offset is None:
            return None, False
        return offset / 1000, abs(offset) / 1000 > SKEW_LIMIT_S

    def server_now(self) -> dt.datetime:
        """Local time corrected by the last measured clock offset."""
        offset = self.store.meta().clock_offset_ms or 0
        return utcnow() + dt.timedelta(milliseconds=offset)

    # ------------------------------------------------------------------ cases & tasks
    def list_cases(self) -> list[CaseRow]:
        with self.store.read() as s:
            return case_repo.list_rows(s, self.store.cipher)

    def get_case(self, case_id: str) -> CaseRecord:
        with self.store.read() as s:
            record = case_repo.get_record(s, self.store.cipher, case_id)
        if record is None:
            raise NotFound(self.tr("Case {id} is not on this device", id=case_id))
        return self._with_local_attempts(record)

    def tasks(self, include_done: bool = False) -> list[TaskRow]:
        with self.store.read() as s:
            return draft_repo.task_rows(s, self.store.cipher, include_done=include_done)

    def institution(self) -> InstitutionInfo | None:
        """The creditor's details as the server last sent them (None before any)."""
        with self.store.read() as s:
            return institution_repo.load(s)

    # ------------------------------------------------------------------ outbox
    def outbox(self) -> list[OutboxRow]:
        with self.store.read() as s:
            return outbox_repo.rows(s)

    def outbox_payload(self, item_id: str) -> dict[str, Any] | None:
        with self.store.read() as s:
            return outbox_repo.payload(s, self.store.cipher, item_id)

    def requeue(self, item_id: str) -> bool:
        with self.store.write() as s:
            return outbox_repo.requeue(s, item_id)

    def record(self, kind: str, case_id: str, payload: dict[str, Any],
               attachments: dict[str, bytes] | None = None, *, item_id: str | None = None) -> str:
        """Put one item in the outbox (with its attachments) in one transaction."""
        now = utcnow()
        with self.store.write() as s:
            case = s.get(Case, case_id)
            reference = case.reference if case is not None else None
            entry = outbox_repo.record(s, self.store.cipher, self.store.files, kind=kind,
                                       case_id=case_id, payload=payload, attachments=attachments or {},
                                       now=now, item_id=item_id, case_reference=reference)
        self.store.checkpoint()  # the agent's work is in the database file, not only in its log
        return entry.id

    def record_visit(self, visit: VisitRecord, attachments: dict[str, bytes] | None = None) -> str:
        """Record a finished visit: outbox item (id = visit id), attachments, draft removed,
        and the returned-visit task it answers marked done, all in one transaction."""
        attachments = dict(attachments or {})
        now = utcnow()
        with self.store.write() as s:
            case = s.get(Case, visit.case_id)
            if case is None:
                raise NotFound(self.tr("Case {id} is not on this device", id=visit.case_id))
            if case.withdrawn:
                raise BadInput(self.tr("Case {ref} is no longer assigned to you", ref=case.reference),
                               field="case_id")
            self._check_refs(s, visit, attachments)
            existing = s.get(OutboxEntry, visit.visit_id)
            if existing is None:
                visit = self._take_photos(s, visit, attachments)  # the photos taken for this visit
            payload = visit.model_dump(mode="json")
            entry = outbox_repo.record(s, self.store.cipher, self.store.files, kind="visit",
                                       case_id=visit.case_id, payload=payload, attachments=attachments,
                                       now=now, item_id=visit.visit_id, case_reference=case.reference)
            if existing is None:
                draft_repo.delete_draft(s, visit.case_id)
                documents_repo.register(s, visit_id=visit.visit_id, case_id=visit.case_id, now=now,
                                        documents=visit_documents(visit))
                if visit.corrects_visit_id:
                    s.execute(update(Task).where(Task.visit_id == visit.corrects_visit_id,
                                                 Task.done_at.is_(None)).values(done_at=now))
        self.store.checkpoint()  # the agent's work is in the database file, not only in its log
        return entry.id

    def record_practice(self, record: PracticeRecord) -> str:
        """A finished practice: the outbox item (to the server) and the laptop's own record
        (read by the policy check before a visit), in one transaction. Returns the item id."""
        payload = record.model_dump(mode="json")
        with self.store.write() as s:
            entry = outbox_repo.record(s, self.store.cipher, self.store.files, kind="practice",
                                       case_id=PRACTICE_CASE_ID, payload=payload, attachments={},
                                       now=utcnow(), item_id=record.practice_id)
            practice_repo.add(s, record.practice_id, record.script_id, record.script_version,
                              record.script_sha256, record.completed_at)
            return entry.id

    def practised(self) -> list[PracticeRow]:
        """The agent's finished practices on this laptop, oldest first."""
        with self.store.read() as s:
            return practice_repo.rows(s)

    def reply(self, visit_id: str, comment: str, notes: str | None = None) -> str:
        """Answer a returned visit: an outbox item for the lead (the comment, and corrected
        notes when given), and its task marked done, in one transaction."""
        comment = comment.strip()
        if not comment:
            raise BadInput(self.tr("Say something to the lead: the answer cannot be empty."), field="comment")
        now = utcnow()
        with self.store.write() as s:
            task = s.scalar(select(Task).where(Task.visit_id == visit_id, Task.done_at.is_(None)))
            if task is None:
                raise NotFound(self.tr("No returned visit {id} waits for an answer on this device", id=visit_id))
            record = ReviewReplyRecord(visit_id=visit_id, comment=comment, notes=(notes or "").strip() or None,
                                       replied_at=self.server_now())
            case = s.get(Case, task.case_id)
            entry = outbox_repo.record(s, self.store.cipher, self.store.files, kind="review_reply",
                                       case_id=task.case_id, payload=record.model_dump(mode="json"),
                                       attachments={}, now=now, item_id=str(uuid.uuid4()),
                                       case_reference=case.reference if case is not None else None)
            task.done_at = now
            return entry.id

    def _check_refs(self, s, visit: VisitRecord, attachments: dict[str, bytes]) -> None:
        refs: list[tuple[str, str]] = []
        if visit.report_sha256 is not None:
            refs.append(("report_sha256", visit.report_sha256))
        if visit.agreement is not None:
            refs.append(("agreement.pdf_sha256", visit.agreement.pdf_sha256))
            refs += [(f"agreement.signatures.{i}.sha256", sig.sha256)
                     for i, sig in enumerate(visit.agreement.signatures)]
        refs += [(f"photos.{i}.sha256", photo.sha256) for i, photo in enumerate(visit.photos)]
        for field, sha in refs:
            if sha not in attachments:
                if s.get(Attachment, sha) is None:
                    raise BadInput(self.tr("the attachment {sha} it refers to was not given", sha=sha[:12]),
                                   field=field)
                attachments[sha] = self.store.files.read(sha)

    def attachment(self, sha256: str) -> bytes:
        """Decrypted bytes of a stored attachment (e.g. an agreement PDF to show)."""
        return self.store.files.read(sha256)

    # ------------------------------------------------------------------ drafts
    def save_draft(self, case_id: str, state: dict[str, Any]) -> None:
        with self.store.write() as s:
            draft_repo.save_draft(s, self.store.cipher, case_id, state, utcnow())
        self.store.checkpoint()

    def load_draft(self, case_id: str) -> DraftRow | None:
        with self.store.read() as s:
            return draft_repo.load_draft(s, self.store.cipher, case_id)

    def delete_draft(self, case_id: str) -> bool:
        with self.store.write() as s:
            return draft_repo.delete_draft(s, case_id)

    def drafts(self) -> list[str]:
        with self.store.read() as s:
            return draft_repo.draft_case_ids(s)

    # ------------------------------------------------------------------ signing
    def signing_setup(self) -> Any:
        """The device key and certificate to sign documents with, offline; None before the
        laptop is enrolled (its documents are then unsigned drafts)."""
        from fieldapp.sync.enrol import signing_setup

        return signing_setup(self.store)

    def case_documents(self, case_id: str) -> list[Any]:
        """The signed agreements of a case on this laptop (fieldapp.sync.enrol.SignedDocumentRow),
        newest first; open one with `attachment(row.pdf_sha256)`, check it with `check_document`."""
        from fieldapp.sync.enrol import case_documents

        return case_documents(self.store, case_id)

    def check_document(self, pdf: bytes) -> Any:
        """The verdict on a PDF against the institution's root and the CRL this laptop holds."""
        from fieldapp.sync.enrol import check_document

        return check_document(self.store, pdf)

    def documents(self, case_id: str) -> list[Any]:
        """The agreements and visit reports of a case recorded on this laptop
        (fieldapp.store.documents.DocumentRow), newest visit first. Visits recorded before the
        laptop kept a list of documents are added from their outbox items on the way."""
        with self.store.read() as s:
            known = {r.visit_id for r in documents_repo.for_case(s, case_id)}
            entries = s.scalars(select(OutboxEntry).where(OutboxEntry.case_id == case_id, OutboxEntry.kind == "visit",
                                                          OutboxEntry.id.not_in(known))).all()
            older = []
            for entry in entries:
                payload = outbox_repo.payload(s, self.store.cipher, entry.id)
                try:
                    older.append((entry, VisitRecord.model_validate(payload or {})))
                except ValueError:  # a purged or unreadable payload: nothing to list
                    continue
        if older:
            with self.store.write() as s:
                for entry, visit in older:
                    found = {k: sha for k, sha in visit_documents(visit).items() if s.get(Attachment, sha)}
                    documents_repo.register(s, visit_id=visit.visit_id, case_id=case_id, documents=found,
                                            now=entry.created_at)
        with self.store.read() as s:
            return documents_repo.for_case(s, case_id)

    def document(self, visit_id: str, kind: str) -> tuple[Any, bytes, Any]:
        """(row, the PDF to show: the server's sealed copy when fetched, else the laptop's
        signed one, the verdict on it against the institution's root)."""
        with self.store.read() as s:
            row = documents_repo.get(s, visit_id, kind)
        if row is None:
            raise NotFound(self.tr("This document of visit {id} is not on this device", id=visit_id))
        data = self.store.files.read(row.sha256)
        from fieldapp.sync.enrol import check_document

        return row, data, check_document(self.store, data, kind=kind)

    def _fetch_sealed(self, transport: Transport, token: str) -> int:
        """After a sync: fetch the server-sealed copies of accepted visits' documents. A failure
        waits for the next sync."""
        with self.store.read() as s:
            waiting = documents_repo.awaiting_seal(s)
        fetched = 0
        for row in waiting:
            try:
                data = transport.get_sealed_document(token, row.visit_id, row.kind)
            except (DeviceRevoked, TokenExpired):
                raise
            except SyncError as exc:
                log.info("sealed copy not fetched: %s", type(exc).__name__)
                return fetched
            with self.store.write() as s:
                documents_repo.keep_sealed(s, self.store.files, row.visit_id, row.kind, data, utcnow())
            fetched += data is not None
        return fetched
    def _cache_tiles(self) -> None:
        """The map's tiles of the cases' area, for offline use; never fails the sync."""
        try:
            self.cache_map_tiles()
        except Exception:  # noqa: BLE001 - the map is a help, the sync is the job
            log.warning("map tiles could not be cached", exc_info=True)

    def _enrol(self, transport: Transport, token: str) -> None:
        """Enrol at first login, refresh the CRL at each sync; a failure waits for the next sync."""
        from fieldapp.sync.enrol import ensure_enrolled

        try:
            ensure_enrolled(self.store, transport, token)
        except (DeviceRevoked, TokenExpired):
            raise
        except (SyncError, BadInput, ValueError) as exc:
            log.info("device enrolment postponed: %s", type(exc).__name__)

    # ------------------------------------------------------------------ internals
    def _transport_for(self, url: str) -> Transport:
        with self._lock:
            if self._transport is None or self._transport.server_url != url:
                if self._transport is not None:
                    self._transport.close()
                self._transport = Transport(url, retry=self._retry, timeout_s=self._timeout, translator=self.tr)
            return self._transport

    def _save_token(self, url: str, username: str, token: str) -> None:
        try:
            keyring_set(SESSION_SERVICE, f"{url} {username}", token)
            sealed = None
        except KeyringUnavailable:
            sealed = token
        with self.store.write() as s:
            self.store.update_meta(s, token=sealed)

    def _load_token(self, url: str, username: str) -> str | None:
        try:
            token = keyring_get(SESSION_SERVICE, f"{url} {username}")
        except KeyringUnavailable:
            token = None
        return token or self.store.sealed_token()

    def _forget_token(self, url: str, username: str) -> None:
        keyring_delete(SESSION_SERVICE, f"{url} {username}")
        with self.store.write() as s:
            self.store.update_meta(s, token=None)


def visit_documents(visit: VisitRecord) -> dict[str, str]:
    """{kind: sha256} of the documents a visit record names."""
    out = {}
    if visit.agreement is not None:
        out["agreement"] = visit.agreement.pdf_sha256
    if visit.report_sha256 is not None:
        out["visit_report"] = visit.report_sha256
    return out


__all__ = ["AgentService", "SyncSummary"]
