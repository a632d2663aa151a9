"""The lead's side of sync: the review queue pulled by cursor, the agreement PDFs it
refers to fetched for offline reading, one visit's evidence and the team figures.

Same guarantees as the agent's pull: each page is applied together with its cursor in
ONE transaction, so a crash anywhere resumes from the last committed page; a server whose
change log is behind the cursor (reset or restored) is pulled again from 0. Decisions
are outbox items and go out with the agent engine's push.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Callable

from fieldapp.core.i18n import Translator
from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.lead import FiguresResponse, LeadPullResponse, LeadVisitResponse, PracticeStatusResponse
from fieldapp.protocol.v1 import MAX_PULL_LIMIT
from fieldapp.store import outbox as outbox_repo
from fieldapp.store import reviews as review_repo
from fieldapp.store.store import Store
from fieldapp.sync.engine import check_cursor
from fieldapp.sync.errors import ProtocolError, RequestRefused
from fieldapp.sync.transport import Transport

log = logging.getLogger(__name__)

Progress = Callable[[str, int, "int | None"], None]


class LeadTransport(Transport):
    """`Transport` with the lead endpoints (same client, retries, clock and error mapping)."""

    def lead_pull(self, token: str, cursor: int, limit: int) -> LeadPullResponse:
        return self._call("GET", "/lead/pull", LeadPullResponse, token=token,
                          params={"cursor": cursor, "limit": limit})

    def lead_visit(self, token: str, visit_id: str) -> LeadVisitResponse:
        return self._call("GET", f"/lead/visits/{visit_id}", LeadVisitResponse, token=token)

    def lead_figures(self, token: str, date_from: dt.date, date_to: dt.date, tz: str) -> FiguresResponse:
        return self._call("GET", "/lead/figures", FiguresResponse, token=token,
                          params={"from": date_from.isoformat(), "to": date_to.isoformat(), "tz": tz})


    def lead_practice(self, token: str) -> PracticeStatusResponse:
        return self._call("GET", "/lead/practice", PracticeStatusResponse, token=token)


@dataclass
class LeadPullSummary:
    pages: int = 0
    items: int = 0
    pdfs: int = 0
    pdf_errors: list[str] = field(default_factory=list)


def _noop(phase: str, done: int, total: int | None) -> None:
    return None


class LeadPuller:
    def __init__(self, store: Store, transport: LeadTransport, token: str, *, page_size: int = 200,
                 translator: Translator | None = None):
        self.store = store
        self.transport = transport
        self.token = token
        self.page_size = max(1, min(page_size, MAX_PULL_LIMIT))
        self.tr = translator or Translator()

    def run(self, progress: Progress | None = None) -> LeadPullSummary:
        progress = progress or _noop
        summary = LeadPullSummary()
        self._pull(summary, progress)
        self._fetch_pdfs(summary, progress)
        return summary

    def _pull(self, summary: LeadPullSummary, progress: Progress) -> None:
        with self.store.read() as s:
            cursor = review_repo.cursor(s)
        restarted = False
        while True:
            try:
                page = self.transport.lead_pull(self.token, cursor, self.page_size)
            except RequestRefused as exc:
                if exc.status != 409 or cursor == 0 or restarted:
                    raise
                log.warning("server change log is behind lead cursor %d; pulling the queue again and "
                            "sending the accepted decisions again at the next sync", cursor)
                with self.store.write() as s:
                    review_repo.wipe(s)
                    outbox_repo.resend_accepted(s)  # a restored server may have lost them
                cursor, restarted = 0, True
                continue
            self._check(page, cursor)
            if not page.changes and page.next_cursor == cursor:
                return
            with self.store.write() as s:
                if review_repo.cursor(s) != cursor:  # another sync of this store moved on: follow it
                    cursor = review_repo.cursor(s)
                    continue
                summary.items += review_repo.apply_changes(s, self.store.cipher, page.changes)
                review_repo.set_cursor(s, page.next_cursor, utcnow())
            summary.pages += 1
            progress("lead", summary.items, None)
            cursor = page.next_cursor
            if not page.has_more:
                return

    def _check(self, page: LeadPullResponse, cursor: int) -> None:
        def bad(problem: str) -> ProtocolError:
            return ProtocolError(self.tr("GET /lead/pull: {problem}", problem=problem))

        check_cursor(page.next_cursor, page.has_more, cursor, bad)
        for i, change in enumerate(page.changes):
            for j, item in enumerate(change.items):
                if item.case.id != change.case_id or item.visit.visit_id != item.visit_id:
                    raise bad(f"changes.{i}.items.{j}: ids do not match")

    def _fetch_pdfs(self, summary: LeadPullSummary, progress: Progress) -> None:
        """Agreement PDFs for offline reading; one that cannot be had is noted, not fatal."""
        with self.store.read() as s:
            missing = review_repo.missing_pdfs(s)
        for i, sha in enumerate(missing, 1):
            try:
                data = self.transport.get_attachment(self.token, sha)
            except RequestRefused as exc:
                summary.pdf_errors.append(f"{sha[:12]}: {exc}")
                continue
            if hashlib.sha256(data).hexdigest() != sha:
                summary.pdf_errors.append(f"{sha[:12]}: " + self.tr("the downloaded file does not match its hash"))
                continue
            self.store.files.write(sha, data)
            with self.store.write() as s:
                review_repo.add_pdf(s, sha, len(data), utcnow())
            summary.pdfs += 1
            progress("pdf", i, len(missing))
