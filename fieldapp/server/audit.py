"""The append-only audit log: who did what to which object, when. Ids only: no names,
addresses, phone numbers or amounts ever go in here."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.server.models import AuditEntry


def record(session: Session, action: str, object_type: str, object_id: str | None,
           actor_id: str | None = None, **detail: Any) -> None:
    session.add(AuditEntry(at=utcnow(), actor_id=actor_id, action=action, object_type=object_type,
                           object_id=object_id, detail=detail))
