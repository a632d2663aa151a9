"""Contact attempts: the agents' calls and messages to customers, received from laptops
(outbox items of kind `contact_attempt`) and sent back with the case, where the policy's
frequency limit on contact attempts counts them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import ContactAttemptHistoryRecord, ContactAttemptRecord
from fieldapp.server import audit
from fieldapp.server.models import Case, User
from fieldapp.server.models_field import ContactAttempt


class AlreadyRecorded(Exception):
    pass


def record(session: Session, user: User, case: Case, rec: ContactAttemptRecord, item_id: str) -> ContactAttempt:
    """Keep one attempt; AlreadyRecorded when another item carried the same attempt id."""
    if session.get(ContactAttempt, rec.attempt_id) is not None:
        raise AlreadyRecorded(rec.attempt_id)
    row = ContactAttempt(id=rec.attempt_id, case_id=case.id, agent_id=user.id, outbox_item_id=item_id,
                         channel=rec.channel, result=rec.result, at=rec.at, note=rec.note,
                         received_at=utcnow())
    session.add(row)
    session.flush()
    session.expire(case, ["contact_attempts"])
    audit.record(session, "contact.received", "case", case.id, user.id, item_id=item_id,
                 channel=rec.channel, result=rec.result)
    return row


def history(case: Case) -> list[ContactAttemptHistoryRecord]:
    return [ContactAttemptHistoryRecord(id=a.id, at=a.at, channel=a.channel, result=a.result,  # type: ignore[arg-type]
                                        agent=a.agent.username if a.agent else None)
            for a in sorted(case.contact_attempts, key=lambda a: a.at)]
