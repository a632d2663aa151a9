"""The signed documents of the visits recorded on this laptop (the customer's copy).

Each visit's agreement and visit report are kept as signed here, and, after a sync, as the
server sealed them (fetched by `fieldapp.sync.service`). The viewer shows the sealed copy
when there is one and the laptop's otherwise. Both are attachment files (encrypted,
content-addressed); a sealed copy gets its own attachments row so start-up keeps its file,
and the case's purge removes both. `sealed_at` without `sealed_sha256` means the server
has no sealed copy (the document arrived unsigned): it is not asked for again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fieldapp.store.files import AttachmentFiles, sha256_hex
from fieldapp.store.models import Attachment, Document, OutboxAttachment, OutboxEntry

KINDS = ("agreement", "visit_report")


@dataclass(frozen=True)
class DocumentRow:
    visit_id: str
    kind: str                     # agreement | visit_report
    case_id: str
    signed_sha256: str            # as signed on this laptop
    sealed_sha256: str | None     # as the server sealed it (None: not fetched, or none)
    created_at: dt.datetime
    sealed_at: dt.datetime | None

    @property
    def sha256(self) -> str:
        """The copy to show: the sealed one when there is one."""
        return self.sealed_sha256 or self.signed_sha256


def _row(d: Document) -> DocumentRow:
    return DocumentRow(d.visit_id, d.kind, d.case_id, d.signed_sha256, d.sealed_sha256, d.created_at, d.sealed_at)


def register(session: Session, *, visit_id: str, case_id: str, documents: dict[str, str], now: dt.datetime) -> None:
    """Note a recorded visit's documents ({kind: sha256 of the signed PDF}); again is a no-op."""
    for kind, sha in documents.items():
        if kind not in KINDS:
            raise ValueError(f"unknown document kind {kind!r}")
        if session.get(Document, (visit_id, kind)) is None:
            session.add(Document(visit_id=visit_id, kind=kind, case_id=case_id, signed_sha256=sha, created_at=now))
    session.flush()


def for_case(session: Session, case_id: str) -> list[DocumentRow]:
    """The case's documents, newest visit first, the agreement before the report."""
    rows = session.scalars(select(Document).where(Document.case_id == case_id)).all()
    return sorted((_row(d) for d in rows), key=lambda r: (-r.created_at.timestamp(), KINDS.index(r.kind)))


def get(session: Session, visit_id: str, kind: str) -> DocumentRow | None:
    d = session.get(Document, (visit_id, kind))
    return None if d is None else _row(d)


def awaiting_seal(session: Session) -> list[DocumentRow]:
    """Documents whose visit the server accepted and whose sealed copy was not asked for yet."""
    accepted = select(OutboxEntry.id).where(OutboxEntry.state == "accepted")
    rows = session.scalars(select(Document).where(Document.sealed_at.is_(None), Document.visit_id.in_(accepted))
                           .order_by(Document.created_at)).all()
    return [_row(d) for d in rows]


def keep_sealed(session: Session, files: AttachmentFiles, visit_id: str, kind: str, data: bytes | None,
                now: dt.datetime) -> str | None:
    """Keep the server's sealed copy (None: the server has none); returns its SHA-256."""
    doc = session.get(Document, (visit_id, kind))
    if doc is None:
        return None
    sha = None
    if data is not None:
        sha = sha256_hex(data)
        files.write(sha, data)
        if session.get(Attachment, sha) is None:
            session.add(Attachment(sha256=sha, size=len(data), created_at=now))
    doc.sealed_sha256, doc.sealed_at = sha, now
    session.flush()
    return sha


def purge_case(session: Session, case_id: str) -> list[str]:
    """Forget a purged case's documents; returns the sealed copies' hashes whose files go too."""
    sealed = [sha for sha in session.scalars(select(Document.sealed_sha256).where(Document.case_id == case_id))
              if sha]
    session.execute(delete(Document).where(Document.case_id == case_id))
    if not sealed:
        return []
    still = set(session.scalars(select(OutboxAttachment.sha256).where(OutboxAttachment.sha256.in_(sealed))))
    still |= set(session.scalars(select(Document.sealed_sha256).where(Document.sealed_sha256.in_(sealed))))
    gone = [sha for sha in set(sealed) if sha not in still]
    session.execute(delete(Attachment).where(Attachment.sha256.in_(gone)))
    return gone
