"""Calls and messages to the customer, logged from the laptop: each attempt (time, channel,
result the agent chose) is an outbox item of kind `contact_attempt` and a row the laptop
keeps (fieldapp.store.field), in one transaction. The case the policy checks is the
server's record plus the attempts this laptop holds that the server has not sent back yet,
so a frequency limit on contact attempts counts a call the moment it is logged, offline.

Mixed into `AgentService`.
"""

from __future__ import annotations

import uuid

from fieldapp.core.errors import BadInput, NotFound
from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import CONTACT_RESULTS, CaseRecord, ContactAttemptHistoryRecord, ContactAttemptRecord
from fieldapp.store import field as field_repo
from fieldapp.store import outbox as outbox_repo
from fieldapp.store.models import Case


class ContactLog:
    """Needs `store`, `server_now` and `tr` (AgentService)."""

    def log_contact(self, case_id: str, channel: str, result: str, note: str = "") -> str:
        """Log one call (`call`) or message (`sms`) with its result; returns the attempt id
        (also its outbox item id)."""
        tr = self.tr  # type: ignore[attr-defined]
        if channel not in CONTACT_RESULTS:
            raise BadInput(tr("unknown channel {channel}", channel=channel), field="channel")
        if result not in CONTACT_RESULTS[channel]:
            raise BadInput(tr("unknown result {result}", result=result), field="result")
        attempt_id = str(uuid.uuid4())
        at = self.server_now()  # type: ignore[attr-defined]
        record = ContactAttemptRecord(attempt_id=attempt_id, case_id=case_id, channel=channel,  # type: ignore[arg-type]
                                      result=result, at=at, note=note.strip())  # type: ignore[arg-type]
        store = self.store  # type: ignore[attr-defined]
        with store.write() as s:
            case = s.get(Case, case_id)
            if case is None:
                raise NotFound(tr("Case {id} is not on this device", id=case_id))
            if case.withdrawn:
                raise BadInput(tr("Case {ref} is no longer assigned to you", ref=case.reference), field="case_id")
            entry = outbox_repo.record(s, store.cipher, store.files, kind="contact_attempt", case_id=case_id,
                                       payload=record.model_dump(mode="json"), attachments={}, now=utcnow(),
                                       item_id=attempt_id, case_reference=case.reference)
            field_repo.add_attempt(s, attempt_id, case_id, channel, result, at)
        store.checkpoint()
        return entry.id

    def contact_attempts(self, case_id: str) -> list[ContactAttemptHistoryRecord]:
        """The case's calls and messages: the server's and this laptop's, oldest first."""
        return self.get_case(case_id).contact_attempts  # type: ignore[attr-defined,no-any-return]

    def _with_local_attempts(self, record: CaseRecord) -> CaseRecord:
        with self.store.read() as s:  # type: ignore[attr-defined]
            local = field_repo.attempts(s, record.id)
        known = {a.id for a in record.contact_attempts}
        extra = [ContactAttemptHistoryRecord(id=a.id, at=a.at, channel=a.channel, result=a.result)  # type: ignore[arg-type]
                 for a in local if a.id not in known]
        if not extra:
            return record
        merged = sorted([*record.contact_attempts, *extra], key=lambda a: a.at)
        return record.model_copy(update={"contact_attempts": merged})
