"""The outbox: everything the agent records, until the server has said yes or no.

States: waiting -> sending -> accepted | rejected. `sending` only means "a push may have
reached the server"; it is sent again on the next push, where the server answers
`duplicate` (counted as accepted) because the item's id and content hash are the same.
A rejected item keeps its payload, code and reason; nothing here deletes an item.

waiting | sending -> quarantined: an item this laptop cannot send, because its sealed
payload fails authentication (a damaged file) or cannot be read, is set aside with a code
and a reason (`QUARANTINE_REASONS`) so that it no longer blocks the items behind it. It is
kept, shown in the Outbox, and never sent.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from fieldapp.core.errors import BadInput, Conflict
from fieldapp.protocol.v1 import OutboxItem, PushResult, item_content_hash
from fieldapp.store.crypto import Cipher, Tampered
from fieldapp.store.files import AttachmentFiles, sha256_hex
from fieldapp.store.models import UNSENT_STATES, Attachment, OutboxAttachment, OutboxEntry
from fieldapp.store.rows import OutboxRow


# Why an item was set aside (code -> English sentence; translated in store.po). The
# sentence is kept in the `reason` column, the code in `code`.
QUARANTINE_REASONS = {
    "seal_failed": "Its data on this laptop is damaged (it failed its integrity seal), so it cannot be "
                   "sent. Record the visit again.",
    "unreadable": "Its data on this laptop cannot be read, so it cannot be sent. Record the visit again.",
    "rescue_unreadable": "Its data could not be read back from the damaged store, so it cannot be sent. "
                         "Record the visit again.",
    "rescue_attachment": "An attachment it needs could not be read back from the damaged store, so it "
                         "cannot be sent. Record the visit again.",
}


class Unsendable(Exception):
    """This item can never be sent from this laptop; `code` is a key of QUARANTINE_REASONS."""

    def __init__(self, code: str):
        super().__init__(QUARANTINE_REASONS[code])
        self.code = code


def payload_label(item_id: str) -> str:
    return f"outbox:{item_id}"


def record(session: Session, cipher: Cipher, files: AttachmentFiles, *, kind: str, case_id: str,
           payload: dict[str, Any], attachments: dict[str, bytes], now: dt.datetime,
           item_id: str | None = None, case_reference: str | None = None) -> OutboxEntry:
    """Store the attachments (encrypted files) and the item, in the caller's transaction."""
    item_id = item_id or str(uuid.uuid4())
    for sha, data in attachments.items():
        if sha256_hex(data) != sha:
            raise BadInput(f"attachment bytes do not hash to {sha}", field="attachments")
    shas = sorted(attachments)
    content = item_content_hash(kind, case_id, payload, shas)
    existing = session.get(OutboxEntry, item_id)
    if existing is not None:
        if existing.content_hash == content:
            return existing  # recording the same thing twice is a no-op
        raise Conflict(f"outbox item {item_id} already exists with other content")
    # Validate against the wire type now, not at push time: a bad item is refused here.
    try:
        OutboxItem(id=item_id, kind=kind, case_id=case_id, created_at=now, payload=payload,  # type: ignore[arg-type]
                   attachments=shas, content_hash=content)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise BadInput(first["msg"], field=".".join(map(str, first["loc"]))) from None
    known = set(session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(shas))))
    for sha in shas:
        files.write(sha, attachments[sha])
        if sha not in known:
            session.add(Attachment(sha256=sha, size=len(attachments[sha]), created_at=now))
    entry = OutboxEntry(id=item_id, kind=kind, case_id=case_id, case_reference=case_reference,
                        created_at=now, payload=cipher.seal_json(payload, payload_label(item_id)),
                        content_hash=content, state="waiting", attempts=0)
    session.add(entry)
    session.flush()
    session.add_all(OutboxAttachment(outbox_id=item_id, sha256=sha) for sha in shas)
    session.flush()
    return entry


def unsent(session: Session) -> list[OutboxEntry]:
    return list(session.scalars(select(OutboxEntry).where(OutboxEntry.state.in_(UNSENT_STATES))
                                .order_by(OutboxEntry.created_at, OutboxEntry.id)))


def attachment_map(session: Session, item_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {i: [] for i in item_ids}
    for oid, sha in session.execute(select(OutboxAttachment.outbox_id, OutboxAttachment.sha256)
                                    .where(OutboxAttachment.outbox_id.in_(item_ids))):
        out[oid].append(sha)
    return out


def not_uploaded(session: Session, item_ids: list[str]) -> list[str]:
    return sorted(set(session.scalars(
        select(Attachment.sha256).join(OutboxAttachment, OutboxAttachment.sha256 == Attachment.sha256)
        .where(OutboxAttachment.outbox_id.in_(item_ids), Attachment.uploaded_at.is_(None)))))


def to_wire(cipher: Cipher, entry: OutboxEntry, shas: list[str]) -> OutboxItem:
    """The item as pushed; `Unsendable` when it cannot ever be (see QUARANTINE_REASONS)."""
    if entry.payload is None:
        raise Unsendable("unreadable")
    try:
        payload = cipher.open_json(entry.payload, payload_label(entry.id))
    except Tampered:
        raise Unsendable("seal_failed") from None
    except ValueError:  # authentic bytes that are not JSON: written by something else
        raise Unsendable("unreadable") from None
    try:
        return OutboxItem(id=entry.id, kind=entry.kind, case_id=entry.case_id,  # type: ignore[arg-type]
                          created_at=entry.created_at, payload=payload, attachments=sorted(shas),
                          content_hash=entry.content_hash)
    except ValidationError:
        raise Unsendable("unreadable") from None


def quarantine(session: Session, item_id: str, code: str, now: dt.datetime) -> bool:
    """Set an unsent item aside (it stays, with its reason, and is never sent)."""
    res = session.execute(update(OutboxEntry).where(OutboxEntry.id == item_id,
                                                    OutboxEntry.state.in_(UNSENT_STATES))
                          .values(state="quarantined", code=code, reason=QUARANTINE_REASONS[code],
                                  resolved_at=now, last_error=None))
    return bool(res.rowcount)


def quarantined_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxEntry)
                          .where(OutboxEntry.state == "quarantined")) or 0


def mark_sending(session: Session, ids: list[str]) -> None:
    session.execute(update(OutboxEntry).where(OutboxEntry.id.in_(ids))
                    .values(state="sending", attempts=OutboxEntry.attempts + 1))


def mark_failed(session: Session, ids: list[str], error: str) -> None:
    """A push that did not get an answer: back to waiting, with the error to show."""
    session.execute(update(OutboxEntry).where(OutboxEntry.id.in_(ids),
                                              OutboxEntry.state.in_(UNSENT_STATES))
                    .values(state="waiting", last_error=error[:500]))


def apply_results(session: Session, results: list[PushResult], now: dt.datetime) -> None:
    for r in results:
        if r.status == "rejected":
            values = {"state": "rejected", "server_status": "rejected", "code": r.code or "rejected",
                      "reason": r.reason or "", "resolved_at": now, "last_error": None}
        else:
            values = {"state": "accepted", "server_status": r.status, "code": None, "reason": None,
                      "resolved_at": now, "last_error": None}
        session.execute(update(OutboxEntry).where(OutboxEntry.id == r.id,
                                                  OutboxEntry.state.in_(UNSENT_STATES)).values(**values))


def requeue(session: Session, item_id: str) -> bool:
    """Send a rejected item again (e.g. after the server lost an attachment). Its
    attachments are uploaded again too: the PUT is idempotent, a missing file is not."""
    res = session.execute(update(OutboxEntry).where(OutboxEntry.id == item_id,
                                                    OutboxEntry.state == "rejected",
                                                    OutboxEntry.payload.is_not(None))
                          .values(state="waiting", server_status=None, code=None, reason=None,
                                  resolved_at=None))
    if not res.rowcount:
        return False
    linked = select(OutboxAttachment.sha256).where(OutboxAttachment.outbox_id == item_id)
    session.execute(update(Attachment).where(Attachment.sha256.in_(linked)).values(uploaded_at=None))
    return True


def resend_accepted(session: Session) -> int:
    """Queue every accepted item to be sent again, attachments too: the server lost its
    history (it was restored from a backup) and may lack some of them. It answers
    `duplicate` for what it still has, so nothing is recorded twice. Returns how many."""
    accepted = select(OutboxEntry.id).where(OutboxEntry.state == "accepted", OutboxEntry.payload.is_not(None))
    linked = select(OutboxAttachment.sha256).where(OutboxAttachment.outbox_id.in_(accepted))
    session.execute(update(Attachment).where(Attachment.sha256.in_(linked)).values(uploaded_at=None))
    res = session.execute(update(OutboxEntry).where(OutboxEntry.state == "accepted",
                                                    OutboxEntry.payload.is_not(None))
                          .values(state="waiting", server_status=None, resolved_at=None, last_error=None))
    return int(res.rowcount or 0)


def mark_uploaded(session: Session, sha256: str, now: dt.datetime) -> None:
    session.execute(update(Attachment).where(Attachment.sha256 == sha256).values(uploaded_at=now))


def rows(session: Session) -> list[OutboxRow]:
    entries = list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.created_at, OutboxEntry.id)))
    shas = attachment_map(session, [e.id for e in entries]) if entries else {}
    return [OutboxRow(id=e.id, kind=e.kind, case_id=e.case_id, case_reference=e.case_reference,
                      created_at=e.created_at, state=e.state, server_status=e.server_status,
                      code=e.code, reason=e.reason, attempts=e.attempts, last_error=e.last_error,
                      attachments=tuple(sorted(shas.get(e.id, ()))))
            for e in entries]


def payload(session: Session, cipher: Cipher, item_id: str) -> dict[str, Any] | None:
    blob = session.scalar(select(OutboxEntry.payload).where(OutboxEntry.id == item_id))
    return None if blob is None else cipher.open_json(blob, payload_label(item_id))
