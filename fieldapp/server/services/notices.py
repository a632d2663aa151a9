"""The notice queue: a table with states, claimed before sending, marked after.

    queued -> sending -> sent -> delivered
       ^         |  \\-> failed (attempts used up, or refused for good: a person decides)
       |         \\----> needs_decision (cut off by a crash, on a channel that cannot drop
       |                 duplicates: a person decides whether it went out)
       \\-- back-off after a temporary failure; a crash on a channel that drops duplicates
           by message id (SMS gateways) puts it back here, to be sent again under the same id

A worker claims due notices in one short committed transaction (`SELECT ... FOR UPDATE SKIP
LOCKED` on PostgreSQL, so workers on several machines never take the same notice; SQLite's
`BEGIN IMMEDIATE` serialises writers, which makes the same claim safe there), sends them
outside any transaction, then records the result. A notice is never lost: every state is a
row, and a claim older than the lease is recovered. Each notice's id is its message id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from fieldapp.core.errors import BadInput, Conflict, NotFound
from fieldapp.core.timeutil import utcnow
from fieldapp.server import audit
from fieldapp.server.models import Appointment, Case, Notification, User
from fieldapp.server.models_appointments import Notice
from fieldapp.server.services import appointments

DEDUP_CHANNELS = frozenset({"sms"})  # receivers that drop a resend with the same message id
PENDING = ("queued", "failed", "needs_decision")
ATTENTION = ("failed", "needs_decision")
DECISIONS = ("resend", "mark_sent", "drop")
BACKOFF_FIRST = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=1)


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try after `attempts` failed ones: 30 s, 1 min, 2 min ... 1 h."""
    return min(BACKOFF_FIRST * (2 ** max(0, attempts - 1)), BACKOFF_MAX)


def enqueue(session: Session, appt: Appointment, case: Case, channels: Iterable[str], language: str,
            now: dt.datetime | None = None, kind: str = "appointment") -> list[Notice]:
    now = now or utcnow()
    made = []
    for channel in channels:
        notice = Notice(appointment_id=appt.id, case_id=case.id, channel=channel, kind=kind, language=language,
                        state="queued", attempts=0, next_attempt_at=now, created_at=now, updated_at=now)
        session.add(notice)
        made.append(notice)
    session.flush()
    for notice in made:
        audit.record(session, "notice.queued", "notice", notice.id, None, appointment_id=appt.id,
                     channel=notice.channel)
    return made


def cancel_pending(session: Session, appointment_id: str, now: dt.datetime | None = None) -> int:
    """The appointment is gone: notices not yet sent are not sent at all."""
    now = now or utcnow()
    ids = list(session.scalars(select(Notice.id).where(Notice.appointment_id == appointment_id,
                                                       Notice.state.in_(PENDING))))
    if ids:
        session.execute(update(Notice).where(Notice.id.in_(ids)).values(state="cancelled", updated_at=now))
        for nid in ids:
            audit.record(session, "notice.cancelled", "notice", nid, None, appointment_id=appointment_id)
    return len(ids)


def claim(session: Session, worker_id: str, now: dt.datetime | None = None, limit: int = 10) -> list[str]:
    """Take up to `limit` due notices for this worker (state `sending`). Commit right after:
    the claim must be durable before anything is sent."""
    now = now or utcnow()
    ids = list(session.scalars(
        select(Notice.id).where(Notice.state == "queued", Notice.next_attempt_at <= now)
        .order_by(Notice.next_attempt_at, Notice.id).limit(limit).with_for_update(skip_locked=True)))
    if ids:
        session.execute(update(Notice).where(Notice.id.in_(ids), Notice.state == "queued")
                        .values(state="sending", claimed_at=now, claimed_by=worker_id[:100],
                                attempts=Notice.attempts + 1, updated_at=now))
    return ids


def renew(session: Session, worker_id: str, ids: list[str], now: dt.datetime | None = None) -> set[str]:
    """Renew this worker's claims (a long batch must not look cut off); returns the ids it
    still holds."""
    now = now or utcnow()
    rows = session.execute(update(Notice).where(Notice.id.in_(ids), Notice.state == "sending",
                                                Notice.claimed_by == worker_id[:100])
                           .values(claimed_at=now).returning(Notice.id)).all()
    return {r[0] for r in rows}


def recover(session: Session, lease: dt.timedelta, now: dt.datetime | None = None,
            dedup: frozenset[str] = DEDUP_CHANNELS) -> tuple[int, int]:
    """Claims older than `lease` were cut off (the worker died while sending). On a channel
    that drops duplicates by message id the notice is queued again (same id); otherwise
    nobody can tell whether it went out, and a person decides. (requeued, to a person)."""
    now = now or utcnow()
    stale = list(session.scalars(select(Notice).where(Notice.state == "sending", Notice.claimed_at < now - lease)
                                 .order_by(Notice.id).with_for_update(skip_locked=True)))
    requeued = decide = 0
    for notice in stale:
        cut = f"cut off while sending (claimed by {notice.claimed_by} at {notice.claimed_at:%Y-%m-%d %H:%M:%S} UTC)"
        if notice.channel in dedup:
            notice.state, notice.next_attempt_at = "queued", now
            requeued += 1
            action = "notice.requeued"
        else:
            notice.state = "needs_decision"
            decide += 1
            action = "notice.needs_decision"
        notice.last_error, notice.updated_at = cut[:500], now
        audit.record(session, action, "notice", notice.id, None, channel=notice.channel,
                     appointment_id=notice.appointment_id)
    session.flush()
    return requeued, decide


def mark_sent(session: Session, notice: Notice, provider_id: str | None, now: dt.datetime | None = None,
              actor_id: str | None = None, sent_at: dt.datetime | None = None) -> None:
    """The channel took the message: record the notification the policy check counts. Its
    time is when the channel answered (never earlier: the lead time is not overstated)."""
    now = now or utcnow()
    sent_at = sent_at or now
    notice.state = "delivered" if notice.delivered_at is not None else "sent"
    notice.sent_at, notice.provider_message_id = sent_at, (provider_id or None)
    notice.last_error, notice.updated_at = None, now
    exists = session.scalar(select(Notification).where(Notification.notice_id == notice.id))
    if exists is None:
        session.add(Notification(case_id=notice.case_id, channel=notice.channel, sent_at=sent_at,
                                 delivered_at=notice.delivered_at, appointment_id=notice.appointment_id,
                                 notice_id=notice.id))
    session.flush()
    audit.record(session, "notice.sent", "notice", notice.id, actor_id, channel=notice.channel,
                 appointment_id=notice.appointment_id)
    appt = session.get(Appointment, notice.appointment_id)
    if appt is not None:
        appointments.advance(session, appt, "notice_sent", now=now, notice_id=notice.id)
        if notice.delivered_at is not None:
            appointments.advance(session, appt, "delivered", now=now, notice_id=notice.id)


def mark_failed(session: Session, notice: Notice, error: str, *, permanent: bool, max_attempts: int,
                now: dt.datetime | None = None) -> None:
    """Try again after a back-off, or, refused for good or out of attempts, leave it to a person."""
    now = now or utcnow()
    notice.last_error, notice.updated_at = error[:500], now
    if permanent or notice.attempts >= max_attempts:
        notice.state = "failed"
        audit.record(session, "notice.failed", "notice", notice.id, None, channel=notice.channel,
                     attempts=notice.attempts, permanent=permanent)
    else:
        notice.state = "queued"
        notice.next_attempt_at = now + backoff(notice.attempts)
        audit.record(session, "notice.retry", "notice", notice.id, None, channel=notice.channel,
                     attempts=notice.attempts)
    session.flush()


def delivered(session: Session, notice: Notice, at: dt.datetime, *, via: str,
              now: dt.datetime | None = None) -> None:
    """Proof the notice reached the customer (a delivery receipt, or the customer opening
    the link it carried). The first proof counts; the policy check cites its time."""
    now = now or utcnow()
    if notice.delivered_at is not None:
        return
    if notice.sent_at is not None and at < notice.sent_at:
        at = notice.sent_at  # a gateway clock behind ours: never delivered before it was sent
    notice.delivered_at, notice.updated_at = at, now
    if notice.state == "sent":
        notice.state = "delivered"
    row = session.scalar(select(Notification).where(Notification.notice_id == notice.id))
    if row is not None:
        row.delivered_at = at
    session.flush()
    audit.record(session, "notice.delivered", "notice", notice.id, None, via=via, channel=notice.channel)
    appt = session.get(Appointment, notice.appointment_id)
    if appt is not None and row is not None:
        if not appointments.advance(session, appt, "delivered", now=now, notice_id=notice.id):
            appointments._changed(session, appt)  # the notification's time changed all the same


def receipt(session: Session, client_message_id: str, status: str, at: dt.datetime,
            error: str | None = None, now: dt.datetime | None = None) -> Notice:
    """A delivery receipt from the SMS gateway. Unknown message ids raise NotFound."""
    notice = session.scalar(select(Notice).where(Notice.id == client_message_id).with_for_update())
    if notice is None:
        raise NotFound(f"no notice with client_message_id {client_message_id!r}")
    if status == "delivered":
        delivered(session, notice, at, via="receipt", now=now)
    elif status == "failed":
        if notice.delivered_at is None and notice.state in ("sent", "sending"):
            notice.state, notice.last_error = "failed", f"the gateway reports it undelivered: {error or ''}"[:500]
            notice.updated_at = now or utcnow()
            audit.record(session, "notice.undelivered", "notice", notice.id, None)
    else:
        raise BadInput(f"unknown receipt status {status!r}; use delivered or failed", field="status")
    return notice


def decide(session: Session, notice_id: str, decision: str, user: User,
           now: dt.datetime | None = None) -> Notice:
    """A lead's or the back office's decision on a notice that needs one."""
    if decision not in DECISIONS:
        raise BadInput(f"unknown decision {decision!r}; use {', '.join(DECISIONS)}", field="decision")
    notice = session.scalar(select(Notice).where(Notice.id == notice_id).with_for_update())
    if notice is None:
        raise NotFound(f"no notice {notice_id!r}")
    if notice.state not in ATTENTION and not (decision == "drop" and notice.state == "queued"):
        raise Conflict(f"the notice is {notice.state}; nothing to decide")
    now = now or utcnow()
    notice.decision, notice.decided_by, notice.decided_at = decision, user.id, now
    if decision == "resend":
        notice.state, notice.next_attempt_at, notice.updated_at = "queued", now, now
    elif decision == "drop":
        notice.state, notice.updated_at = "cancelled", now
    else:
        mark_sent(session, notice, notice.provider_message_id, now, actor_id=user.id,
                  sent_at=notice.claimed_at)  # it went out, if at all, while it was being sent
    audit.record(session, f"notice.decided.{decision}", "notice", notice.id, user.id)
    return notice


def needing_attention(session: Session, case_filter=None) -> list[Notice]:  # type: ignore[no-untyped-def]
    """Notices a person should look at: failed, cut off, or retrying after an error."""
    stmt = (select(Notice).join(Case, Case.id == Notice.case_id)
            .where(or_(Notice.state.in_(ATTENTION),
                       (Notice.state == "queued") & Notice.last_error.is_not(None)))
            .order_by(Notice.created_at))
    if case_filter is not None:
        stmt = stmt.where(case_filter)
    return list(session.scalars(stmt.limit(500)))
