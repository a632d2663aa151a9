"""`LeadService`: the façade the lead's screens use — the review queue with its filters, a
visit's evidence (with the agreement PDF and its verification), decisions through the
outbox, team figures, sync.

It wraps the agent's `AgentService` on the same store: sign-in, the stored session and
the outbox push are the same; the lead adds the review queue (pulled by its own cursor)
and the figures. Plain blocking methods, called from the GUI's worker threads.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from fieldapp.conduct import mask_personal_data
from fieldapp.core.errors import BadInput, NotFound
from fieldapp.core.i18n import Translator
from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.lead import FiguresResponse, PracticeStatusResponse, ReviewItem, figures_csv
from fieldapp.protocol.v1 import ReviewDecisionRecord
from fieldapp.store import outbox as outbox_repo
from fieldapp.store import reviews as review_repo
from fieldapp.store.crypto import KeyringUnavailable, keyring_get
from fieldapp.store.models import Attachment, OutboxAttachment
from fieldapp.store.reviews import QueueFilter, ReviewRow
from fieldapp.sync.engine import Progress, SyncSummary
from fieldapp.sync.errors import DeviceRevoked, NotLoggedIn
from fieldapp.sync.lead import LeadPuller, LeadPullSummary, LeadTransport
from fieldapp.sync.lead_customers import CustomerVoice
from fieldapp.sync.service import SESSION_SERVICE, AgentService
from fieldapp.sync.transport import RetryPolicy

DECISIONS = ("approve", "return", "escalate")
UNSENT = ("waiting", "sending")


@dataclass
class LeadSyncSummary:
    """The outbox push and (empty for a lead) case pull, then the review queue."""

    sync: SyncSummary
    queue: LeadPullSummary

    @property
    def rejected(self) -> list[Any]:
        return self.sync.rejected

    @property
    def clock_offset_s(self) -> float | None:
        return self.sync.clock_offset_s


@dataclass
class Evidence:
    """Everything the evidence screen shows about one visit."""

    item: ReviewItem
    pdf: bytes | None = None
    pdf_problems: list[str] = field(default_factory=list)   # empty and pdf set: verified intact
    pdf_error: str | None = None                            # why there is no PDF to show
    report: bytes | None = None                             # the signed visit report, the same way
    report_problems: list[str] = field(default_factory=list)
    report_error: str | None = None
    pending_decision: str | None = None
    pending_state: str | None = None
    pending_reason: str | None = None

    @property
    def pdf_intact(self) -> bool:
        return self.pdf is not None and not self.pdf_problems and self.pdf_error is None


class LeadService(CustomerVoice):
    def __init__(self, agent: AgentService | None = None, *, store_path: Path | str | None = None,
                 passphrase: str | None = None, translator: Translator | None = None,
                 page_size: int = 200, retry: RetryPolicy | None = None, timeout_s: float = 30.0):
        self.agent = agent or AgentService(store_path=store_path, passphrase=passphrase,
                                           translator=translator, retry=retry, timeout_s=timeout_s)
        if translator is not None:
            self.agent.tr = translator
        self.store = self.agent.store
        self.page_size = page_size
        self._retry, self._timeout = retry, timeout_s
        self._transport: LeadTransport | None = None
        self._lock = threading.Lock()  # guards the transport field (several network threads)

    @property
    def tr(self) -> Translator:
        return self.agent.tr

    @tr.setter
    def tr(self, value: Translator) -> None:  # the GUI sets the language here
        self.agent.tr = value

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self.agent.close()

    # ------------------------------------------------------------------ session
    def login(self, server_url: str, username: str, password: str) -> dict[str, Any]:
        before = self.agent.account()
        user = self.agent.login(server_url, username, password)
        if before != self.agent.account():
            self.wipe_queue()  # another account's team must not show
        return user

    def resume(self) -> dict[str, Any] | None:
        return self.agent.resume()

    def logout(self) -> None:
        self.agent.logout()

    def account(self) -> tuple[str | None, str | None]:
        return self.agent.account()

    def clock(self) -> tuple[float | None, bool]:
        return self.agent.clock()

    def server_now(self) -> dt.datetime:
        return self.agent.server_now()

    # ------------------------------------------------------------------ sync
    def sync(self, progress: Progress | None = None) -> LeadSyncSummary:
        """Send the outbox (decisions), then pull the review queue and its PDFs."""
        try:
            summary = self.agent.sync(progress)
            queue = LeadPuller(self.store, self._lead_transport(), self._token(), page_size=self.page_size,
                               translator=self.tr).run(progress)
        except DeviceRevoked:
            self.wipe_queue()
            raise
        return LeadSyncSummary(summary, queue)

    def wipe_queue(self) -> None:
        """Forget the review queue, its PDFs and figures (signed out by the server, or
        another account on this laptop)."""
        with self.store.write() as s:
            shas = review_repo.wipe(s)
            used = set(s.scalars(select(OutboxAttachment.sha256)
                                 .where(OutboxAttachment.sha256.in_(shas)))) if shas else set()
            gone = sorted(set(shas) - used)
            if gone:
                s.execute(delete(Attachment).where(Attachment.sha256.in_(gone)))
        self.store.delete_files(gone)

    # ------------------------------------------------------------------ queue and evidence
    def queue(self, flt: QueueFilter | None = None, **criteria: Any) -> list[ReviewRow]:
        """The queue, newest visit first; filter by a `QueueFilter` or its fields by name."""
        if criteria:
            flt = QueueFilter(**criteria)
        with self.store.read() as s:
            return review_repo.rows(s, self.store.cipher, flt)

    def agents(self) -> list[str]:
        with self.store.read() as s:
            return review_repo.agents(s)

    def counts(self) -> dict[str, int]:
        with self.store.read() as s:
            return review_repo.counts(s)

    def visit(self, visit_id: str) -> ReviewItem:
        with self.store.read() as s:
            item = review_repo.get_item(s, self.store.cipher, visit_id)
        if item is None:
            raise NotFound(self.tr("Visit {id} is not on this device", id=visit_id))
        return item

    def evidence(self, visit_id: str) -> Evidence:
        """The visit, its agreement PDF (from this laptop) checked against its terms, and
        the lead's own decision while the server has not settled it."""
        item = self.visit(visit_id)
        rows = [r for r in self.queue(QueueFilter(include_superseded=True)) if r.visit_id == visit_id]
        ev = Evidence(item)
        if rows:
            ev.pending_decision, ev.pending_state = rows[0].pending_decision, rows[0].pending_state
            ev.pending_reason = rows[0].pending_reason
        report = item.visit.report_sha256
        if report is not None:
            ev.report, ev.report_error = self._read_pdf(report, self.tr(
                "The visit report is not on this laptop yet; sync to fetch it."))
            if ev.report is not None:
                ev.report_problems = self._verify_report(ev.report)
        agreement = item.visit.agreement
        if agreement is None:
            return ev
        ev.pdf, ev.pdf_error = self._read_pdf(agreement.pdf_sha256, self.tr(
            "The agreement PDF is not on this laptop yet; sync to fetch it."))
        if ev.pdf is not None:
            ev.pdf_problems = self._verify(ev.pdf, agreement.agreement_id, agreement.terms_sha256)
        return ev

    def _read_pdf(self, sha256: str, missing: str) -> tuple[bytes | None, str | None]:
        try:
            return self.store.files.read(sha256), None
        except (FileNotFoundError, OSError, KeyError, ValueError):
            return None, missing
        except Exception as exc:  # noqa: BLE001 - Tampered and friends: the file cannot be trusted
            return None, self.tr("The PDF on this laptop cannot be read ({reason}).", reason=type(exc).__name__)

    def _verify_report(self, pdf: bytes) -> list[str]:
        from fieldapp.documents.verify import verify_pdf

        trust, crls = self._trust()
        try:
            return list(verify_pdf(pdf, where="visit report PDF", trust=trust, crls=crls, kind="visit_report").problems)
        except BadInput as exc:
            return [str(exc)]

    def _verify(self, pdf: bytes, agreement_id: str, terms_sha256: str) -> list[str]:
        from fieldapp.documents.verify import verify_pdf  # pypdf loads only when a PDF is shown

        trust, crls = self._trust()
        try:
            result = verify_pdf(pdf, where="agreement PDF", trust=trust, crls=crls)
        except BadInput as exc:
            return [str(exc)]
        problems = list(result.problems)
        if result.agreement_id is not None and result.agreement_id != agreement_id:
            problems.append(self.tr("The PDF is agreement {found}, but the visit names {expected}.",
                                    found=result.agreement_id, expected=agreement_id))
        if result.sha256 is not None and result.sha256 != terms_sha256:
            problems.append(self.tr("The PDF's terms hash to {found}, but the visit recorded {expected}.",
                                    found=result.sha256[:16], expected=terms_sha256[:16]))
        return problems

    def _trust(self) -> tuple[list, list[bytes]]:
        """The institution's root and the latest CRL this laptop holds (from enrolment)."""
        from fieldapp.documents.pki import load_certs

        try:
            setup = self.agent.signing_setup()
        except (BadInput, ValueError):
            setup = None
        if setup is None or not setup.trust_pem:
            return [], []
        return load_certs(setup.trust_pem), list(setup.signer.crls)

    # ------------------------------------------------------------------ decisions
    def decide(self, visit_id: str, decision: str, comment: str = "") -> str:
        """Approve, return (with a comment for the agent) or escalate: an outbox item that
        carries the review state the lead saw, so a decision taken meanwhile by another lead
        makes the server refuse this one instead of overwriting it."""
        if decision not in DECISIONS:
            raise BadInput(self.tr("unknown decision {decision!r}; use approve, return or escalate",
                                   decision=decision), field="decision")
        comment = mask_personal_data(comment.strip()).text  # personal numbers never leave the laptop
        if decision == "return" and not comment:
            raise BadInput(self.tr("A returned visit needs a comment for the agent."), field="comment")
        if decision == "escalate" and not comment:
            raise BadInput(self.tr("An escalated visit needs a comment saying why."), field="comment")
        now = utcnow()
        with self.store.write() as s:
            item = review_repo.get_item(s, self.store.cipher, visit_id)
            if item is None:
                raise NotFound(self.tr("Visit {id} is not on this device", id=visit_id))
            pending, state = review_repo.pending_item_of(s, visit_id)
            if pending is not None and state in UNSENT:
                raise BadInput(self.tr("This visit already has a decision waiting to be sent."),
                               field="decision")
            record = ReviewDecisionRecord(visit_id=visit_id, decision=decision, comment=comment,  # type: ignore[arg-type]
                                          decided_at=self.agent.server_now(),
                                          expected_state=item.review.state)
            entry = outbox_repo.record(s, self.store.cipher, self.store.files, kind="review_decision",
                                       case_id=item.case.id, payload=record.model_dump(mode="json"),
                                       attachments={}, now=now, item_id=str(uuid.uuid4()),
                                       case_reference=item.case.reference)
            review_repo.set_pending(s, visit_id, entry.id)
        self.store.checkpoint()  # the decision is in the database file, not only in its log
        return entry.id

    def outbox(self) -> list[Any]:
        return self.agent.outbox()

    # ------------------------------------------------------------------ figures
    def figures(self, date_from: dt.date, date_to: dt.date, tz: str = "UTC") -> FiguresResponse:
        """The team's figures from the server (network); kept on the laptop for offline."""
        result = self._lead_transport().lead_figures(self._token(), date_from, date_to, tz)
        with self.store.write() as s:
            review_repo.save_figures(s, self.store.cipher, result)
        return result

    def cached_figures(self) -> FiguresResponse | None:
        with self.store.read() as s:
            return review_repo.load_figures(s, self.store.cipher)

    def export_figures_csv(self, figures: FiguresResponse, path: Path | str) -> Path:
        """Write the figures as CSV (UTF-8 with a byte-order mark, for spreadsheets)."""
        target = Path(path)
        try:
            target.write_text("\ufeff" + figures_csv(figures, self.tr), encoding="utf-8", newline="")
        except OSError as exc:
            raise BadInput(self.tr("cannot write the file: {reason}", reason=exc.strerror or type(exc).__name__),
                           where=str(target)) from None
        return target

    # ------------------------------------------------------------------ practice
    def practice(self) -> PracticeStatusResponse:
        """Who in the team has practised which current script version (network)."""
        return self._lead_transport().lead_practice(self._token())

    def visit_photos(self, visit_id: str) -> list[tuple[Any, bytes | None, str | None]]:
        """The visit's photos for the lead to look at: (PhotoRef, JPEG bytes or None, why
        none). Fetched from the server when asked (network), checked against their hash,
        and kept in memory only: the photos of a team's customers are not left on the
        lead's disk."""
        import hashlib

        from fieldapp.sync.errors import SyncError

        refs = list(self.visit(visit_id).visit.photos)
        out: list[tuple[Any, bytes | None, str | None]] = []
        for ref in refs:
            try:
                data = self._lead_transport().get_attachment(self._token(), ref.sha256)
            except SyncError as exc:
                out.append((ref, None, str(exc)))
                continue
            if hashlib.sha256(data).hexdigest() != ref.sha256:
                out.append((ref, None, self.tr("the downloaded file does not match its hash")))
                continue
            out.append((ref, data, None))
        return out

    # ------------------------------------------------------------------ internals
    def _token(self) -> str:
        url, username = self.agent.account()
        token = None
        if url and username:
            try:
                token = keyring_get(SESSION_SERVICE, f"{url} {username}")
            except KeyringUnavailable:
                token = None
            token = token or self.store.sealed_token()
        if not token:
            raise NotLoggedIn(self.tr("Not logged in: log in to the server first"))
        return token

    def _lead_transport(self) -> LeadTransport:
        url, _ = self.agent.account()
        if not url:
            raise NotLoggedIn(self.tr("Not logged in: log in to the server first"))
        with self._lock:
            if self._transport is None or self._transport.server_url != url:
                if self._transport is not None:
                    self._transport.close()
                self._transport = LeadTransport(url, retry=self._retry, timeout_s=self._timeout,
                                                translator=self.tr)
            self._transport.tr = self.tr
            return self._transport


__all__ = ["Evidence", "LeadService", "LeadSyncSummary"]
