"""Pull: the recipient's change log after a cursor, one page at a time.

A page is written straight as JSON bytes: change rows joined to the cases' stored
documents (see records.py), spliced into the `PullResponse` envelope, or laid out as lines
(`PULL_LINES`, protocol/v1.py) for a client that asks. Nothing is parsed or re-validated
on the way; a document that is missing or was built under another format or policy
version is rebuilt here (and stored with the case's next change).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import AwareDatetime, TypeAdapter
from sqlalchemy import String, bindparam, case, cast, exists, func, select
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import PullResponse
from fieldapp.server.compliance import Assessor
from fieldapp.server.models import Case, ChangeRow, Token, User
from fieldapp.server.services import handover, history
from fieldapp.server.services.records import case_record, document_stamp, load_cases

_TIME = TypeAdapter(AwareDatetime)
_quote = json.encoder.encode_basestring_ascii  # a str as JSON, as json.dumps writes it


def pull_page(session: Session, user: User, cursor: int, limit: int) -> bytes:
    """The page after `cursor` as the JSON of a `PullResponse` (nothing noted of a device)."""
    if cursor > 0:  # (cursor 0 is every history's start)
        history.check_cursor(session, cursor)
    return _page(session, user.id, cursor, limit)[0]


# Built once (every pull runs it): a recipient's changes after a cursor, with their cases
# and whether a change serves the end of an assignment period (services/handover.py).
_PAGE = (select(ChangeRow.seq, ChangeRow.op, ChangeRow.case_id, ChangeRow.reason, Case.status,
                Case.assigned_agent_id, Case.policy_id, Case.document_stamp, Case.document,
                handover.SERVES_AN_END)
         .outerjoin(Case, Case.id == ChangeRow.case_id)
         .where(ChangeRow.recipient_id == bindparam("recipient"), ChangeRow.seq > bindparam("cursor"))
         .order_by(ChangeRow.seq).limit(bindparam("limit")))


# The same page as one row, on SQLite: each change's columns joined by a unit separator (the
# document last), the changes joined by a record separator. A page of rows costs the sqlite3
# module a release of the GIL per row, and with several requests in flight each release hands
# it to another thread (a hundred thread switches a 100-case page); one row is one release.
# (psycopg reads a result without releasing it per row; there, joining costs the database
# more than it saves.) JSON text has no raw control character, the other columns are ids,
# states and stamps, so the separators cannot occur in them; should they, the page is read
# as rows (`_page_rows`).
_UNIT, _RECORD = "\x1f", "\x1e"


def _text(column: Any) -> Any:
    return func.coalesce(column, "")


_JOINED = (select((cast(ChangeRow.seq, String) + _UNIT + ChangeRow.op + _UNIT + ChangeRow.case_id + _UNIT
                   + _text(ChangeRow.reason) + _UNIT + _text(Case.status) + _UNIT + _text(Case.assigned_agent_id)
                   + _UNIT + _text(Case.policy_id) + _UNIT + _text(Case.document_stamp) + _UNIT
                   + case((handover.SERVES_AN_END, "1"), else_="0") + _UNIT + _text(Case.document)).label("part"))
           .outerjoin(Case, Case.id == ChangeRow.case_id)
           .where(ChangeRow.recipient_id == bindparam("recipient"), ChangeRow.seq > bindparam("cursor"))
           .order_by(ChangeRow.seq).limit(bindparam("limit")).subquery())
_PAGE_JOINED = select(func.aggregate_strings(_JOINED.c.part, _RECORD), func.count())


# Whether the caller has any change after the cursor (correlated with the sign-in's token):
# a laptop polling while nothing changes is then answered without asking for the page.
_ANY_AFTER = (exists().where(ChangeRow.recipient_id == Token.user_id, ChangeRow.seq > bindparam("a_cursor"))
              .correlate(Token))
# Read with the pull's sign-in, in its round trip (`auth.authenticate_caller`): the cursor's
# check (history.py), the device's first period end to confirm (handover.py), and whether
# there is anything after the cursor.
PULL_CHECKS = (*history.CURSOR_CHECK, handover.FIRST_PENDING, _ANY_AFTER)


def pull_check_values(cursor: int) -> dict[str, Any]:
    return {**history.cursor_check_values(cursor), **handover.first_pending_values(cursor), "a_cursor": cursor}


def pull_for_device(session: Session, user_id: str, device_pk: str, previous: int, cursor: int, limit: int,
                    checks: Sequence[Any], lines: bool = False) -> tuple[bytes, handover.PullNote]:
    """The page after `cursor` for `user_id` on `device_pk` (whose previous pull was from
    `previous`) as the JSON of a `PullResponse` (with `lines`: as `PULL_LINES`), and what the
    request tells about the device (`handover.note_pull` writes it). `checks`: the values of
    `PULL_CHECKS`, read with the sign-in. Reads only."""
    last, gap_start, first_pending, anything = checks
    pending = False
    if cursor > 0:  # (cursor 0 is every history's start)
        history.refuse_cursor(cursor, last, gap_start)
        pending = handover.pending_by_pull(first_pending, previous, cursor)
    page, next_cursor, ends = _page(session, user_id, cursor, limit, bool(anything), lines)
    return page, handover.read_pull(session, user_id, device_pk, previous, cursor, next_cursor, pending, ends)


def _page(session: Session, user_id: str, cursor: int, limit: int, anything: bool = True,
          lines: bool = False) -> tuple[bytes, int, bool]:
    """The page after `cursor` as the JSON of a `PullResponse` (with `lines`: as `PULL_LINES`),
    its next_cursor, and whether it serves the end of some assignment period; `anything`:
    False when it is known that there is no change after `cursor` (the page is then empty,
    and not asked for)."""
    rows = _page_rows(session, {"recipient": user_id, "cursor": cursor, "limit": limit + 1}) if anything else []
    has_more = len(rows) > limit
    rows = rows[:limit]
    documents = _documents(session, user_id, rows)
    changes: list[tuple[str, str, str]] = []  # (change without its case and reason, case, reason) as JSON
    for seq, op, case_id, reason, status, _agent, _policy, _stamp, _doc, _ends in rows:
        document = documents.get(case_id) if op == "upsert" else None
        if document is not None:
            op, reason = "upsert", None
        elif op != "tombstone":  # an upsert this user may no longer receive
            op, reason = "tombstone", "closed" if status is not None and status != "open" else "unassigned"
        head = f'{{"seq":{int(seq)},"op":"{op}","case_id":{_quote(case_id)}'
        changes.append((head, document or "null", "null" if reason is None else _quote(reason)))
    next_cursor = rows[-1][0] if rows else cursor
    server_time = _TIME.dump_json(utcnow()).decode("ascii")
    tail = (f'"next_cursor":{int(next_cursor)},"has_more":{"true" if has_more else "false"},'
            f'"server_time":{server_time}}}')
    if lines:
        listed = ",".join(f'{head},"reason":{reason}}}' for head, _case, reason in changes)
        # (a line break in JSON text is only ever whitespace between its tokens)
        cases = (case if "\n" not in case else case.replace("\n", " ") for _head, case, _reason in changes)
        text = "\n".join([f"{{{tail}", f"[{listed}]", *cases])
    else:
        listed = ",".join(f'{head},"case":{case},"reason":{reason}}}' for head, case, reason in changes)
        text = f'{{"changes":[{listed}],{tail}'
    return text.encode("utf-8"), int(next_cursor), any(row[-1] for row in rows)


def _page_rows(session: Session, values: dict[str, Any]) -> Sequence[Any]:
    """The page's rows in `_PAGE`'s columns, ordered by seq: on SQLite read as one row
    (`_PAGE_JOINED`) unless that one does not split into its changes, else as rows."""
    # On the connection: plain rows, without the ORM's per-row processing (a page is 1,000 rows).
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return conn.execute(_PAGE, values).all()
    joined, count = conn.execute(_PAGE_JOINED, values).one()
    if not count:
        return []
    parts = joined.split(_RECORD)
    rows = [part.split(_UNIT, 9) for part in parts]
    if len(parts) != count or any(len(row) != 10 for row in rows):
        return conn.execute(_PAGE, values).all()
    page = [(int(seq), op, case_id, reason or None, status or None, agent or None, policy or None, stamp or None,
             document or None, ends == "1") for seq, op, case_id, reason, status, agent, policy, stamp, ends, document
            in rows]
    page.sort(key=lambda row: row[0])  # (an aggregate's order is the database's to choose)
    return page


def _documents(session: Session, user_id: str, rows: Sequence[Any]) -> dict[str, str]:
    """case id -> document, for the upserts this user may still receive."""
    if not rows:
        return {}
    assessor = Assessor()
    stamps: dict[str, str] = {}
    documents: dict[str, str] = {}
    stale: list[str] = []
    for _seq, op, case_id, _reason, status, agent, policy_id, stamp, document, _ends in rows:
        if op != "upsert" or status != "open" or agent != user_id:
            continue
        current = stamps.get(policy_id)
        if current is None:
            current = stamps[policy_id] = document_stamp(policy_id, assessor)
        if document is not None and stamp == current:
            documents[case_id] = document
        else:
            stale.append(case_id)
    for i in range(0, len(stale), 500):
        for case in load_cases(session, stale[i:i + 500]).values():
            documents[case.id] = case_record(case, assessor).model_dump_json()
    return documents


def pull(session: Session, user: User, cursor: int, limit: int) -> PullResponse:
    """The same page, validated into its protocol type (for callers in-process)."""
    return PullResponse.model_validate_json(pull_page(session, user, cursor, limit))
