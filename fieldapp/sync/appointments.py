"""Proposing an appointment from the laptop, offline: the same slot finder as the server
(`fieldapp.policy.slots`) on the cases this laptop holds, then an outbox item of kind
`appointment_proposal` that the next sync sends. The server judges the slot again when the
item arrives and rejects it, with the rules' explanation, if it is no longer allowed.

Offline the laptop cannot know every fact the server will use (whether the customer has an
email address, the agent's appointments on cases not on this laptop), so its answer is a
strong hint, and the server's the final word. Mixed into `AgentService`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fieldapp.core.errors import BadInput, FieldappError, NotFound
from fieldapp.protocol.v1 import AppointmentProposal

ACTIVE = frozenset({"arranged", "proposed", "notice_sent", "delivered", "confirmed", "reschedule_requested"})
HORIZON = dt.timedelta(days=16)


class ProposalRefused(FieldappError):
    """The slot is not allowed; `reasons` are the rules' sentences."""

    def __init__(self, reasons: list[str]):
        super().__init__(" ".join(reasons))
        self.reasons = reasons


class AppointmentPlanner:
    """Needs `get_case`, `list_cases`, `record`, `server_now` and `tr` (AgentService)."""

    def _planning(self, case_id: str) -> tuple[Any, Any, Any, list[str], list[Any]]:
        from fieldapp.policy import load_policy
        from fieldapp.policy.slots import Busy, context_of_record

        record = self.get_case(case_id)  # type: ignore[attr-defined]
        if str(record.status) != "open":
            raise BadInput(self.tr("The case is closed."), field="case_id")  # type: ignore[attr-defined]
        policy = load_policy(record.policy_id)
        notice = policy.notice
        channels = [c for c in ("sms", "email") if not notice.required or c in notice.channels][:1]
        now = self.server_now()  # type: ignore[attr-defined]
        busy = []
        for row in self.list_cases():  # type: ignore[attr-defined]
            start = row.appointment_start
            if row.id == case_id or start is None or getattr(row, "withdrawn", None):
                continue
            if not (now - dt.timedelta(days=1) <= start <= now + HORIZON):
                continue
            other = self.get_case(row.id)  # type: ignore[attr-defined]
            appt = other.appointment
            if appt is None or appt.status != "scheduled" or appt.state not in ACTIVE:
                continue
            loc = other.customer.location
            busy.append(Busy(appt.id, appt.start, appt.end, (loc.lat, loc.lon) if loc else None, other.reference))
        return record, policy, context_of_record(record), channels, busy

    def appointment_slots(self, case_id: str, count: int = 5, lang: str | None = None) -> Any:
        """The next allowed slots for the case, as this laptop sees them (a SlotSearch)."""
        from fieldapp.policy.slots import find_slots

        _record, policy, base, channels, busy = self._planning(case_id)
        return find_slots(base, policy, now=self.server_now(), channels=channels, busy=busy,  # type: ignore[attr-defined]
                          count=count, lang=lang or self.tr.language)  # type: ignore[attr-defined]

    def propose_appointment(self, case_id: str, start: dt.datetime, end: dt.datetime, *,
                            replaces_id: str | None = None, lang: str | None = None) -> str:
        """Check the slot here, then put the proposal in the outbox (no network). Returns the
        outbox item id (also the appointment id). Raises ProposalRefused with the reasons."""
        from fieldapp.policy.slots import check_slot

        if start.tzinfo is None or end.tzinfo is None:
            raise BadInput(self.tr("times need a UTC offset"), field="start")  # type: ignore[attr-defined]
        try:
            _record, policy, base, channels, busy = self._planning(case_id)
        except NotFound:
            raise
        now = self.server_now()  # type: ignore[attr-defined]
        judged = check_slot(base, policy, start, end, now=now, channels=channels, busy=busy,
                            lang=lang or self.tr.language)  # type: ignore[attr-defined]
        if not judged.allowed:
            raise ProposalRefused(judged.reasons(lang or self.tr.language))  # type: ignore[attr-defined]
        appointment_id = str(uuid.uuid4())
        payload = AppointmentProposal(appointment_id=appointment_id, case_id=case_id, start=start, end=end,
                                      proposed_at=now, replaces_id=replaces_id).model_dump(mode="json")
        return self.record("appointment_proposal", case_id, payload, item_id=appointment_id)  # type: ignore[attr-defined]
