"""The notice worker: claims due notices, sends them, records what happened.

Runs inside `fieldapp server run` (a thread per server process; several processes or
machines share the queue safely) and as `fieldapp server send-notices [--once]`. One round:

1. recover claims older than the lease (a worker died while sending): requeued on a channel
   that drops duplicates by message id, otherwise left to a person (services/notices.py);
2. mark appointments that ended long ago without a visit as missed;
3. claim due notices (a committed transaction), then for each: render it (making the
   customer's link, committed), send it outside any transaction, record sent or failed.

A crash at any point leaves every notice in a state the next round handles.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.server.db import make_engine, session_factory
from fieldapp.server.models import Appointment, Case, User
from fieldapp.server.models_appointments import Notice
from fieldapp.server.notify.channels import Channel, Outgoing, PermanentFailure, TemporaryFailure, configured_channels
from fieldapp.server.notify.templates import NoticeTemplate, load_template
from fieldapp.server.notify.words import date_text, institution_phone, masked_name, staff_number, window_text
from fieldapp.server.services import appointments, customer_links, customer_page, institution, notices
from fieldapp.server.services.appointment_records import MANAGED_ACTIVE
from fieldapp.server.settings import ServerSettings

log = logging.getLogger(__name__)


@dataclass
class Round:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    requeued: int = 0
    to_a_person: int = 0
    missed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: "Round") -> None:
        for name in ("claimed", "sent", "retrying", "failed", "cancelled", "requeued", "to_a_person", "missed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors

    def summary(self) -> str:
        return (f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed, {self.cancelled} cancelled; "
                f"recovered {self.requeued} to resend and {self.to_a_person} for a person to decide")


@dataclass(frozen=True)
class Rendered:
    message: Outgoing | None
    problem: str | None = None   # why it cannot be sent at all
    cancelled: bool = False      # the appointment is no longer active


class NoticeWorker:
    def __init__(self, settings: ServerSettings, engine: Engine | None = None, *,
                 channels: dict[str, Channel] | None = None, template: NoticeTemplate | None = None,
                 worker_id: str | None = None, batch: int = 20):
        self.settings = settings
        self._own_engine = engine is None
        self.engine = engine or make_engine(settings.database_url)
        self.sessions = session_factory(self.engine)
        self.channels = configured_channels(settings) if channels is None else channels
        self.template = template or load_template("appointment")
        self.worker_id = worker_id or f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.batch = batch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ rounds
    def run_once(self) -> Round:
        """Recover, sweep, then send every notice that is due now (batch after batch)."""
        total = Round()
        lease = dt.timedelta(seconds=self.settings.notice_lease_seconds)
        with self.sessions() as s, s.begin():
            total.requeued, total.to_a_person = notices.recover(s, lease, dedup=self._dedup())
            total.missed = appointments.sweep_missed(s)
            customer_page.forget_old_hits(s)
        while not self._stop.is_set():
            with self.sessions() as s, s.begin():
                ids = notices.claim(s, self.worker_id, limit=self.batch)
            if not ids:
                break
            total.claimed += len(ids)
            claimed_at = utcnow()
            ready = self._render_all(ids, total)
            for index, (notice_id, channel, rendered) in enumerate(ready):
                if utcnow() - claimed_at > lease / 3:  # slow sends: renew the claim on the rest
                    claimed_at = utcnow()
                    kept = self._renew([r[0] for r in ready[index:]])
                    if notice_id not in kept:
                        continue  # recovered by another worker meanwhile: it is theirs now
                total.add(self._send(notice_id, channel, rendered))
        return total

    def _renew(self, ids: list[str]) -> set[str]:
        with self.sessions() as s, s.begin():
            return notices.renew(s, self.worker_id, ids)

    def _dedup(self) -> frozenset[str]:
        return frozenset(name for name, ch in self.channels.items() if ch.dedups)

    def _render_all(self, ids: list[str], done: Round) -> list[tuple[str, str, Rendered]]:
        """Render the claimed notices and make their links, in ONE committed transaction (the
        links must exist before any message carrying them leaves); settle the ones that
        cannot be sent."""
        ready = []
        with self.sessions() as s, s.begin():
            for notice_id in ids:
                notice = s.get(Notice, notice_id)
                if notice is None or notice.state != "sending" or notice.claimed_by != self.worker_id[:100]:
                    continue
                rendered = self._render(s, notice)
                if rendered.cancelled:
                    notice.state, notice.updated_at = "cancelled", utcnow()
                    done.cancelled += 1
                elif rendered.problem is not None:
                    notices.mark_failed(s, notice, rendered.problem, permanent=True,
                                        max_attempts=self.settings.notice_max_attempts)
                    done.failed += 1
                else:
                    ready.append((notice_id, notice.channel, rendered))
        return ready

    def _send(self, notice_id: str, channel_name: str, rendered: Rendered) -> Round:
        """Send one message outside any transaction, then record the result in its own."""
        done = Round()
        channel = self.channels.get(channel_name)
        assert rendered.message is not None
        try:
            if channel is None:
                raise TemporaryFailure(f"no {channel_name} channel is configured on this server")
            provider_id = channel.send(rendered.message)
        except (TemporaryFailure, PermanentFailure) as exc:
            permanent = isinstance(exc, PermanentFailure)
            log.warning("notice %s (%s) not sent: %s", notice_id, channel_name, exc)
            with self.sessions() as s, s.begin():
                fresh = s.get(Notice, notice_id)
                if fresh is not None and fresh.state == "sending":
                    notices.mark_failed(s, fresh, str(exc), permanent=permanent,
                                        max_attempts=self.settings.notice_max_attempts)
                    if fresh.state == "failed":
                        done.failed += 1
                    else:
                        done.retrying += 1
            done.errors.append(f"{channel_name}: {exc}")
            return done
        with self.sessions() as s, s.begin():
            fresh = s.get(Notice, notice_id)
            if fresh is not None and fresh.state == "sending":
                notices.mark_sent(s, fresh, provider_id)
                done.sent += 1
        return done

    def _render(self, session: Session, notice: Notice) -> Rendered:
        appt = session.get(Appointment, notice.appointment_id)
        case = session.get(Case, notice.case_id)
        if appt is None or case is None or appt.state not in MANAGED_ACTIVE or case.status != "open":
            return Rendered(None, cancelled=True)
        customer = case.customer
        to = customer.email if notice.channel == "email" else customer.phone
        if not to:
            return Rendered(None, problem=f"the customer has no {notice.channel} address any more")
        agent = session.get(User, appt.agent_id) if appt.agent_id else case.agent
        lang = notice.language if notice.language in self.template.texts else "en"
        token = customer_links.mint(session, appt, self.settings, notice_id=notice.id)
        s = self.settings
        creditor = institution.name_in(session, lang, s.institution_name)
        values = {
            "institution": creditor, "institution_phone": institution_phone(s.institution_phone, creditor, lang),
            "agent_name": agent.display_name if agent else "", "staff_number": staff_number(agent),
            "window": window_text(appt.start, appt.end, customer.timezone, lang),
            "date": date_text(appt.start.astimezone(_zone(customer.timezone)).date(), lang),
            "link": customer_links.url(s, token), "customer": masked_name(customer.name)}
        texts = self.template.render(lang, values)
        text = texts["email_body"] if notice.channel == "email" else texts["sms"]
        return Rendered(Outgoing(message_id=notice.id, to=to, subject=texts["email_subject"], text=text,
                                 language=lang, sender_name=creditor))

    # ------------------------------------------------------------------ running
    def serve(self) -> None:
        """Rounds until stopped; a failing round is logged and the next one comes anyway."""
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
                log.exception("notice round failed; trying again")
            self._stop.wait(self.settings.notice_poll_seconds)

    def start(self) -> "NoticeWorker":
        self._thread = threading.Thread(target=self.serve, name="fieldapp-notices", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        for channel in self.channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                close()
        if self._own_engine:
            self.engine.dispose()


def _zone(name: str):  # type: ignore[no-untyped-def]
    from fieldapp.core.timeutil import zone

    return zone(name)


def should_run(settings: ServerSettings) -> bool:
    """`server run` starts a worker when it is wanted and a channel is configured."""
    return settings.notice_worker and bool(settings.smtp_url or settings.sms_gateway_url)
