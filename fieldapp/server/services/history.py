"""Change numbers that stay unambiguous when the database is restored from a backup.

A laptop remembers the change number (its cursor) up to which it has applied the server's
changes. Restoring the database from a dump takes the change log back to the dump: a laptop
that synced after the dump holds a cursor for changes this database never made, and new
changes would be numbered again from the dump's last number, some of them below that cursor,
so the laptop would skip them (and keep cases the restored server still gives it as closed).

So each `server init` (which `server run` performs before serving) starts a new stretch of
numbers: the counter jumps to at least the current time in microseconds since 1970, and at
least 2**32 past its last number, and the gap (last number, new start) is written down as a
`counters` row. No change is ever numbered inside a gap. A laptop that synced after the dump
holds a cursor inside the gap opened when the restored database was initialised, so a pull
from it is refused with 409 `conflict`; the laptop then pulls everything again and re-sends
what it had sent (the server answers `duplicate` for what the dump kept, `accepted` for what
it lost). A laptop that had not synced since the dump is a step behind the same history and
carries on normally.

This holds as long as the server makes fewer than a million changes per second on average
and its clock does not go back across the restore; the 2**32 minimum covers a clock that is
behind. A gap row is 32 bytes; there is one per `server init`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.server.errors import ApiError
from fieldapp.server.models import Counter
from fieldapp.server.services.changes import SEQ

GAP_PREFIX = "history_gap:"   # + the last number before the gap, 20 digits; value: the new start
MIN_JUMP = 2**32


def _gap_key(number: int) -> str:
    return f"{GAP_PREFIX}{number:020d}"  # zero-padded, so names sort as the numbers do


def open_stretch(session: Session) -> tuple[int, int]:
    """Move the change counter to a new stretch; (last number before, new start)."""
    last = int(session.execute(update(Counter).where(Counter.name == SEQ).values(value=Counter.value)
                               .returning(Counter.value)).scalar_one())  # takes the counter's lock
    start = max(last + MIN_JUMP, int(utcnow().timestamp() * 1_000_000))
    session.execute(update(Counter).where(Counter.name == SEQ).values(value=start))
    session.merge(Counter(name=_gap_key(last), value=start))
    session.flush()
    return last, start


def start_new_stretch(url: str) -> tuple[int, int]:
    """`open_stretch` in a transaction of its own: every `fieldapp server` command runs it
    right after bringing the schema up, before it writes anything."""
    from fieldapp.server.db import make_engine

    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            return open_stretch(session)
    finally:
        engine.dispose()


# Built once (every pull asks): the change log's last number, and the start of the latest
# gap opened below a number's gap key, in one round trip.
_GAP_START = (select(Counter.value)
              .where(Counter.name.startswith(GAP_PREFIX, autoescape=True), Counter.name < bindparam("key"))
              .order_by(Counter.name.desc()).limit(1).scalar_subquery())
_LAST = select(Counter.value).where(Counter.name == SEQ).scalar_subquery()
_LAST_AND_GAP = select(_LAST, _GAP_START)
# The same two values as columns of a statement of the caller's (the pull reads them with
# its sign-in): `CURSOR_CHECK`, bound with `cursor_check_values`, judged by `refuse_cursor`.
CURSOR_CHECK = (_LAST, _GAP_START)


def cursor_check_values(cursor: int) -> dict[str, Any]:
    return {"key": _gap_key(max(cursor, 0))}


def _last_and_gap_start(session: Session, cursor: int) -> tuple[int, int | None]:
    return _numbers(*session.connection().execute(_LAST_AND_GAP, cursor_check_values(cursor)).one())


def _numbers(last: int | None, gap_start: int | None) -> tuple[int, int | None]:
    return int(last or 0), None if gap_start is None else int(gap_start)


def cursor_from_other_history(session: Session, cursor: int) -> bool:
    """True when `cursor` lies inside a gap: no change of this database has that number."""
    if cursor <= 0:
        return False
    gap_start = _last_and_gap_start(session, cursor)[1]
    return gap_start is not None and gap_start > cursor


def check_cursor(session: Session, cursor: int) -> int:
    """Refuse a pull from a cursor this database never handed out (409): one inside a gap
    (restored from a backup) or one ahead of the change log (the server was reset). The
    client then pulls everything again. Returns the change log's last number."""
    last, gap_start = _last_and_gap_start(session, cursor)
    _refuse(cursor, last, gap_start)
    return last


def refuse_cursor(cursor: int, last: int | None, gap_start: int | None) -> None:
    """`check_cursor` on the values of `CURSOR_CHECK` read by the caller."""
    _refuse(cursor, *_numbers(last, gap_start))


def _refuse(cursor: int, last: int, gap_start: int | None) -> None:
    if cursor > last:
        raise ApiError("conflict", f"cursor {cursor} is ahead of this server's change log ({last}); "
                                   "the server was reset: pull again from 0")
    if gap_start is not None and gap_start > cursor > 0:
        raise ApiError("conflict", f"cursor {cursor} comes from a change history this server does not "
                                   "have (restored from a backup?); pull again from 0")
