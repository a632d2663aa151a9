"""Content-addressed attachments (signature PNGs, agreement PDFs), kept in the database.

PUT is idempotent: the same bytes under the same SHA-256 are stored once, and every user
who uploads them is recorded (`attachment_uploads`): sending the bytes proves having them.

Who may link and read an attachment:
- a push may link an attachment its own user uploaded, or one already linked (legitimately)
  to a visit of the same case (a correction, a new agent after a reassignment);
- a link is *legitimate* when the visit's agent uploaded the attachment, or when the
  attachment is legitimately linked to another visit of that case. Links made before this
  rule existed that are not legitimate grant nothing;
- GET is for the uploaders, administrators, and whoever may see a visit that legitimately
  links it (agent: own cases; lead: the team's). Anyone else gets 404, as if the hash
  were unknown: an attachment's existence is not revealed.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.server import audit
from fieldapp.server.errors import ApiError
from fieldapp.server.models import Attachment, AttachmentUpload, User, Visit, VisitAttachment
from fieldapp.server.services.access import can_see_visit


def put(session: Session, user: User, sha256: str, data: bytes, device_pk: str | None = None) -> tuple[int, bool]:
    """Store `data` under `sha256` and record `user` as one of its uploaders; (size, created)."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ApiError("hash_mismatch", f"the body's SHA-256 is {actual}, not {sha256}")
    created = False
    if session.scalar(select(Attachment.sha256).where(Attachment.sha256 == sha256)) is None:
        try:
            with session.begin_nested():
                session.add(Attachment(sha256=sha256, size=len(data), content=data, uploaded_by=user.id,
                                       created_at=utcnow()))
            created = True
        except IntegrityError:  # uploaded by a concurrent request a moment ago
            pass
    _record_uploader(session, user, sha256, device_pk)
    if created:
        audit.record(session, "attachment.stored", "attachment", sha256, user.id, size=len(data))
    return len(data), created


def _record_uploader(session: Session, user: User, sha256: str, device_pk: str | None) -> None:
    known = session.scalar(select(AttachmentUpload.user_id).where(AttachmentUpload.sha256 == sha256,
                                                                  AttachmentUpload.user_id == user.id))
    if known is not None:
        return
    try:
        with session.begin_nested():
            session.add(AttachmentUpload(sha256=sha256, user_id=user.id, device_pk=device_pk, at=utcnow()))
    except IntegrityError:  # the same user's concurrent upload recorded it
        pass


def uploaders(session: Session, shas: Iterable[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    shas = list(shas)
    if shas:
        for sha, user_id in session.execute(select(AttachmentUpload.sha256, AttachmentUpload.user_id)
                                            .where(AttachmentUpload.sha256.in_(shas))):
            out[sha].add(user_id)
    return out


def legitimate_cases(session: Session, shas: Iterable[str]) -> dict[str, set[str]]:
    """sha -> the cases it is legitimately linked to (a visit there whose agent uploaded it)."""
    shas = list(shas)
    if not shas:
        return {}
    who = uploaders(session, shas)
    out: dict[str, set[str]] = defaultdict(set)
    for sha, case_id, agent_id in session.execute(
            select(VisitAttachment.sha256, Visit.case_id, Visit.agent_id)
            .join(Visit, Visit.id == VisitAttachment.visit_id).where(VisitAttachment.sha256.in_(shas))):
        if agent_id in who.get(sha, ()):
            out[sha].add(case_id)
    return out


def foreign_for_push(session: Session, user: User, case_id: str, shas: Iterable[str]) -> list[str]:
    """The attachments among `shas` that `user` may NOT link to a visit of `case_id`:
    neither uploaded by the user nor legitimately linked to that case already. The
    authorization check of a push (services/push.py)."""
    shas = sorted(set(shas))
    if not shas:
        return []
    who = uploaders(session, shas)
    unproven = [sha for sha in shas if user.id not in who.get(sha, ())]
    if not unproven:
        return []
    on_case = legitimate_cases(session, unproven)
    return [sha for sha in unproven if case_id not in on_case.get(sha, ())]


def may_read(session: Session, user: User, sha256: str) -> bool:
    if user.role == "admin" or user.id in uploaders(session, [sha256]).get(sha256, ()):
        return True
    cases = legitimate_cases(session, [sha256]).get(sha256, set())
    if not cases:
        return False
    visits = session.scalars(select(Visit).join(VisitAttachment, VisitAttachment.visit_id == Visit.id)
                             .where(VisitAttachment.sha256 == sha256, Visit.case_id.in_(cases))).all()
    return any(can_see_visit(session, user, v) for v in visits)


def get(session: Session, user: User, sha256: str) -> bytes:
    exists = session.scalar(select(Attachment.sha256).where(Attachment.sha256 == sha256)) is not None
    if not exists or not may_read(session, user, sha256):
        raise ApiError("not_found", "no attachment with this SHA-256 that you may read")
    return session.scalar(select(Attachment.content).where(Attachment.sha256 == sha256)) or b""
