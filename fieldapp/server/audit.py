"""The append-only audit log: who did what to which object, when. Ids only: no names,
addresses, phone numbers or amounts ever go in here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.server.models import AuditEntry


def record(session: Session, action: str, object_type: str, object_id: str | None,
           actor_id: str | None = None, **detail: Any) -> None:
    session.add(AuditEntry(at=utcnow(), actor_id=actor_id, action=action, object_type=object_type,
                           object_id=object_id, detail=detail))


def record_many(session: Session, entries: Iterable[dict[str, Any]]) -> None:
    """Several entries (each the arguments of `record`, by name) in one statement."""
    now = utcnow()
    rows = [dict(at=now, actor_id=e.pop("actor_id", None), action=e.pop("action"), object_type=e.pop("object_type"),
                 object_id=e.pop("object_id"), detail=e) for e in (dict(e) for e in entries)]
    if rows:
        session.execute(insert(AuditEntry.__table__), rows)
