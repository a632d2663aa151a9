"""Visit drafts (an interrupted visit resumes later) and tasks (visits a lead returned)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from fieldapp.core.errors import NotFound
from fieldapp.store.crypto import Cipher
from fieldapp.store.models import Case, Task, VisitDraft
from fieldapp.store.rows import DraftRow, TaskRow


def _label(case_id: str) -> str:
    return f"draft:{case_id}"


def save_draft(session: Session, cipher: Cipher, case_id: str, state: dict[str, Any], now: dt.datetime) -> None:
    if session.get(Case, case_id) is None:
        raise NotFound(f"case {case_id} is not on this device")
    blob = cipher.seal_json(state, _label(case_id))
    draft = session.get(VisitDraft, case_id)
    if draft is None:
        session.add(VisitDraft(case_id=case_id, state=blob, updated_at=now))
    else:
        draft.state, draft.updated_at = blob, now


def load_draft(session: Session, cipher: Cipher, case_id: str) -> DraftRow | None:
    draft = session.get(VisitDraft, case_id)
    if draft is None:
        return None
    return DraftRow(case_id, cipher.open_json(draft.state, _label(case_id)), draft.updated_at)


def delete_draft(session: Session, case_id: str) -> bool:
    return bool(session.execute(delete(VisitDraft).where(VisitDraft.case_id == case_id)).rowcount)


def draft_case_ids(session: Session) -> list[str]:
    return list(session.scalars(select(VisitDraft.case_id).order_by(VisitDraft.updated_at.desc())))


def task_rows(session: Session, cipher: Cipher, *, include_done: bool = False) -> list[TaskRow]:
    stmt = select(Task).order_by(Task.created_at)
    if not include_done:
        stmt = stmt.where(Task.done_at.is_(None))
    out = []
    for t in session.scalars(stmt):
        d = json.loads(cipher.open(t.data, f"task:{t.id}"))
        out.append(TaskRow(t.id, t.case_id, t.kind, t.visit_id, d.get("comment", ""), t.created_at,
                           d.get("created_by_name") or d.get("created_by", ""), t.done_at,
                           _time(d.get("requested_start")), _time(d.get("requested_end"))))
    return out


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def mark_task_done(session: Session, task_id: str, now: dt.datetime) -> bool:
    return bool(session.execute(update(Task).where(Task.id == task_id, Task.done_at.is_(None))
                                .values(done_at=now)).rowcount)
