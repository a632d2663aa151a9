"""Work done while the case was yours: the rule for visits that reach the server after
their case was reassigned or closed (laptops work offline for days).

A visit on a case its agent no longer holds is accepted when
1. the agent held the case when the visit began: its `agent_started_at` falls inside one of
   the agent's assignment periods of that case (`case_assignments`), and
2. the laptop that sends it had not learned that the period ended when it recorded the
   visit: if the device had applied the tombstone, which the server served it at time L,
   the item's `created_at` (when it entered the outbox) must be before L.

Such a visit is marked `late`, shown to the case's new agent with the case, and put in the
lead's review queue as the exception `after_handover`. Anything else is refused
`not_yours`, saying which of the two conditions failed.

How the server knows what a laptop has applied. A laptop applies a pull page together with
its cursor, in one transaction. The server notes which tombstones of ended periods it
served to which device, and when (`withdrawal_acks.served_at`); it counts one as applied
once the device shows a cursor past it: the `cursor` a push carries (the laptop's committed
cursor), or a later pull request (the app fetches page k+1 while it writes page k, so a
pull request only proves the pages before the previous request were applied).

Clocks. `agent_started_at` and `created_at` come from the laptop's clock, which its user can
set; the server's own facts are when a period ended and when it served the tombstone. So:
- both comparisons allow `CLOCK_TOLERANCE` (the app flags a clock further off than that);
- a laptop that has synced since the change cannot get new work in: the app refuses to
  record on a withdrawn case, and the server refuses items whose outbox time is after L
  (plus the tolerance);
- a laptop that stays offline could backdate new work into the old period; nothing on the
  server can tell that from honest offline work. Such visits are therefore accepted only
  as exceptions the lead reviews, with both times (begun, received) on record;
- a visit begun after the period ended (by more than the tolerance) never falls inside it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.server.models import AssignmentPeriod, ChangeRow, Device, Token, WithdrawalAck

CLOCK_TOLERANCE = dt.timedelta(minutes=5)  # the app's own clock-skew warning (sync SKEW_LIMIT_S)


@dataclass(frozen=True)
class Verdict:
    """`period` the work falls in (None: none does); `learned_at` when the device had been
    served that period's end, if it had applied it before recording the work (refused)."""

    period: AssignmentPeriod | None
    learned_at: dt.datetime | None = None
    last: AssignmentPeriod | None = None  # the agent's latest period on the case, for the reason

    @property
    def accepted(self) -> bool:
        return self.period is not None and self.learned_at is None


def judge(session: Session, agent_id: str, device_pk: str, case_id: str, started_at: dt.datetime,
          recorded_at: dt.datetime) -> Verdict:
    """May `agent_id`'s device `device_pk` still deliver work begun at `started_at` and put in
    its outbox at `recorded_at` on `case_id`, which the agent no longer holds?"""
    periods = list(session.scalars(select(AssignmentPeriod).where(
        AssignmentPeriod.case_id == case_id, AssignmentPeriod.agent_id == agent_id)
        .order_by(AssignmentPeriod.started_at)))
    inside = [p for p in periods
              if p.started_at - CLOCK_TOLERANCE <= started_at < p.ended_at + CLOCK_TOLERANCE]
    if not inside:
        return Verdict(None, last=periods[-1] if periods else None)
    period = inside[-1]
    ack = session.execute(select(WithdrawalAck.served_at, WithdrawalAck.confirmed_at).where(
        WithdrawalAck.assignment_id == period.id, WithdrawalAck.device_pk == device_pk)).first()
    if ack is not None and ack.confirmed_at is not None and recorded_at >= ack.served_at + CLOCK_TOLERANCE:
        return Verdict(period, ack.served_at, period)
    return Verdict(period, None, period)


def applied_by_pull(previous: int, cursor: int) -> int:
    """What a pull request from `cursor` shows its device has applied, `previous` being the
    cursor of the device's previous request: the pages before that one (the app fetches
    page k+1 while it writes page k)."""
    return min(cursor, previous)


# Whether a change row serves the end of one of its recipient's periods of its case (a
# correlated EXISTS, read with a page's rows: most pages serve none, and `read_pull` then
# asks nothing more).
SERVES_AN_END = (select(AssignmentPeriod.id)
                 .where(AssignmentPeriod.agent_id == ChangeRow.recipient_id,
                        AssignmentPeriod.case_id == ChangeRow.case_id, AssignmentPeriod.end_seq <= ChangeRow.seq)
                 .exists().label("serves_an_end"))
# Built once (asked by a pull whose page serves some): the ended periods of the device's
# agent whose end a page of changes after a cursor served.
_SERVED = (select(AssignmentPeriod.id, ChangeRow.seq)
           .join(ChangeRow, (ChangeRow.recipient_id == AssignmentPeriod.agent_id)
                 & (ChangeRow.case_id == AssignmentPeriod.case_id))
           .where(AssignmentPeriod.agent_id == bindparam("s_agent"), ChangeRow.seq > bindparam("s_after"),
                  ChangeRow.seq <= bindparam("s_upto"), AssignmentPeriod.end_seq <= ChangeRow.seq))


@dataclass(frozen=True)
class PullNote:
    """What a pull request tells about its device, read with the page: the cursor it asked
    from, whether it has period ends to confirm (`pending_by_pull`), and the period ends the
    page served, as (period id, change number)."""

    device_pk: str
    previous: int  # the cursor of the device's previous pull request
    cursor: int
    pending: bool
    served: list[tuple[str, int]]

    @property
    def writes(self) -> bool:
        """Whether `note_pull` has anything to write: not for a laptop asking again from the
        cursor it asked from before with nothing new to it (one polling while nothing changes)."""
        return self.pending or self.previous != self.cursor or bool(self.served)


def read_pull(session: Session, user_id: str, device_pk: str, previous: int, cursor: int, next_cursor: int,
              pending: bool, ends: bool) -> PullNote:
    """The note of a pull page after `cursor` up to `next_cursor` served to `user_id` on
    `device_pk`, whose previous pull was from `previous` (reads only); `ends`: whether the
    page's `SERVES_AN_END` said it serves any."""
    served: list[tuple[str, int]] = []
    if ends and next_cursor > cursor:
        served = [(p, int(seq)) for p, seq in session.execute(
            _SERVED, {"s_agent": user_id, "s_after": cursor, "s_upto": next_cursor})]
    return PullNote(device_pk, previous, cursor, pending, served)


def note_pull(session: Session, note: PullNote) -> None:
    """Write what the pull showed: the pages up to the device's previous request are applied;
    the period ends the page served were served now."""
    device_pk, cursor = note.device_pk, note.cursor
    confirm(session, device_pk, applied_by_pull(note.previous, cursor), pending=note.pending)
    if cursor != note.previous:
        session.execute(update(Device).where(Device.id == device_pk).values(pull_cursor=cursor))
    if not note.served:
        return
    now = utcnow()
    acks = {a.assignment_id: a for a in session.scalars(select(WithdrawalAck).where(
        WithdrawalAck.device_pk == device_pk, WithdrawalAck.assignment_id.in_([p for p, _ in note.served])))}
    for period_id, seq in note.served:
        ack = acks.get(period_id)
        if ack is None:
            try:
                with session.begin_nested():
                    session.add(WithdrawalAck(assignment_id=period_id, device_pk=device_pk, seq=seq,
                                              served_at=now))
            except IntegrityError:  # the same device pulling twice at once
                pass
        elif ack.confirmed_at is None:  # served again (the first copy was never applied)
            ack.seq, ack.served_at = seq, now


# Built once (every pull and push asks): the acks of a device not yet confirmed, up to a number.
_PENDING = and_(WithdrawalAck.device_pk == bindparam("b_device"), WithdrawalAck.confirmed_at.is_(None),
                WithdrawalAck.seq <= bindparam("b_applied"))
_ANY_PENDING = select(WithdrawalAck.seq).where(_PENDING).limit(1)
# Read by a pull with its sign-in, correlated with the token's device: the first change
# number, up to the pull's cursor (`first_pending_values`), of the device's period ends not
# yet confirmed. `pending_by_pull` judges it.
FIRST_PENDING = (select(func.min(WithdrawalAck.seq))
                 .where(WithdrawalAck.device_pk == Token.device_pk, WithdrawalAck.confirmed_at.is_(None),
                        WithdrawalAck.seq <= bindparam("p_cursor"))
                 .correlate(Token).scalar_subquery())


def first_pending_values(cursor: int) -> dict[str, object]:
    return {"p_cursor": cursor}


def pending_by_pull(first_pending: int | None, previous: int, cursor: int) -> bool:
    """Whether a pull from `cursor` (the device's previous one from `previous`) has period
    ends to confirm, `first_pending` being what `FIRST_PENDING` read: those of
    `confirm(device, applied_by_pull(previous, cursor))`."""
    return first_pending is not None and first_pending <= applied_by_pull(previous, cursor)


def _pending_values(device_pk: str, applied: int) -> dict[str, object]:
    return {"b_device": device_pk, "b_applied": applied}


def confirm(session: Session, device_pk: str, applied: int, *, pending: bool | None = None) -> None:
    """The device has applied every change up to `applied`: the period ends served to it at
    or below that are known to it from now on. `pending`: whether there are any, when the
    caller read it (`pending_by_pull`; None: read it here)."""
    if applied <= 0 or pending is False:
        return
    # Nearly always there is nothing to confirm: a read then spares every pull and push a
    # write (on SQLite, the database's write lock).
    values = _pending_values(device_pk, applied)
    if pending is None and session.scalar(_ANY_PENDING, values) is None:
        return
    session.execute(update(WithdrawalAck).where(_PENDING).values(confirmed_at=utcnow()), values)
