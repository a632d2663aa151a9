"""Content-addressed attachments (signature PNGs, agreement PDFs), kept in the database.

PUT is idempotent: the same bytes under the same SHA-256 are stored once. GET is allowed to
the uploader, to administrators and to whoever may see a visit that references it.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.server import audit
from fieldapp.server.errors import ApiError
from fieldapp.server.models import Attachment, User, Visit, VisitAttachment
from fieldapp.server.services.access import can_see_visit


def put(session: Session, user: User, sha256: str, data: bytes) -> tuple[int, bool]:
    """Store `data` under `sha256`; returns (size, created)."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ApiError("hash_mismatch", f"the body's SHA-256 is {actual}, not {sha256}")
    if session.scalar(select(Attachment.sha256).where(Attachment.sha256 == sha256)) is not None:
        return len(data), False
    try:
        with session.begin_nested():
            session.add(Attachment(sha256=sha256, size=len(data), content=data, uploaded_by=user.id,
                                   created_at=utcnow()))
    except IntegrityError:  # uploaded by a concurrent request a moment ago
        return len(data), False
    audit.record(session, "attachment.stored", "attachment", sha256, user.id, size=len(data))
    return len(data), True


def get(session: Session, user: User, sha256: str) -> bytes:
    row = session.scalar(select(Attachment.sha256).where(Attachment.sha256 == sha256))
    if row is None:
        raise ApiError("not_found", "no attachment with this SHA-256")
    uploader = session.scalar(select(Attachment.uploaded_by).where(Attachment.sha256 == sha256))
    allowed = uploader == user.id or user.role == "admin"
    if not allowed:
        visits = session.scalars(select(Visit).join(VisitAttachment, VisitAttachment.visit_id == Visit.id)
                                 .where(VisitAttachment.sha256 == sha256)).all()
        allowed = any(can_see_visit(session, user, v) for v in visits)
    if not allowed:
        raise ApiError("forbidden", "this attachment belongs to a visit you may not see")
    return session.scalar(select(Attachment.content).where(Attachment.sha256 == sha256)) or b""
