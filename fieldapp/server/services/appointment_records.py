"""What a case document says about its appointment: the lifecycle state, the notices that
belong to it, and the customer's answers that became the agent's tasks.

Kept apart from the appointment service so `records.py` (which every writer reaches through
the change log) imports nothing that imports it back.
"""

from __future__ import annotations

from collections.abc import Sequence

from fieldapp.protocol.v1 import AppointmentRecord, NotificationRecord, TaskRecord
from fieldapp.server.models import Appointment, Notification

# Coarse status (protocol v1's first field) of each lifecycle state.
STATUS_OF = {"arranged": "scheduled", "proposed": "scheduled", "notice_sent": "scheduled",
             "delivered": "scheduled", "confirmed": "scheduled", "reschedule_requested": "scheduled",
             "declined": "cancelled", "cancelled": "cancelled", "visited": "done", "missed": "done"}
ACTIVE = frozenset(s for s, status in STATUS_OF.items() if status == "scheduled")
MANAGED_ACTIVE = ACTIVE - {"arranged"}  # active appointments fieldapp arranged itself


def appointment_record(appt: Appointment) -> AppointmentRecord:
    return AppointmentRecord(id=appt.id, start=appt.start, end=appt.end, status=appt.status,
                             state=appt.state or "arranged", state_at=appt.state_at,
                             requested_start=appt.requested_start, requested_end=appt.requested_end)


def notices_key(appt: Appointment | AppointmentRecord | None) -> str | None:
    """Which notices announce `appt`: those fieldapp sent for it (its id), or, for an
    appointment imported as agreed (or none), those imported with the case (None)."""
    return None if appt is None or (appt.state or "arranged") == "arranged" else appt.id


def notifications_for(notifications: Sequence[Notification], appt: Appointment | None) -> list[NotificationRecord]:
    """The notices that announce `appt` (see `notices_key`). A notice of another appointment
    never counts for this one."""
    key = notices_key(appt)
    return [NotificationRecord(id=n.id, channel=n.channel, sent_at=n.sent_at, delivered_at=n.delivered_at)
            for n in notifications if n.appointment_id == key]


def appointment_tasks(appt: Appointment | None) -> list[TaskRecord]:
    """The customer asked for another time, or for a phone call instead: work for the agent,
    until a new appointment replaces this one."""
    if appt is None or appt.state_at is None:
        return []
    if appt.state == "reschedule_requested":
        return [TaskRecord(id=f"rs-{appt.id}", kind="reschedule_requested", appointment_id=appt.id,
                           requested_start=appt.requested_start, requested_end=appt.requested_end,
                           comment="", created_at=appt.state_at, created_by="customer")]
    if appt.state == "declined":
        return [TaskRecord(id=f"call-{appt.id}", kind="call_requested", appointment_id=appt.id,
                           comment="", created_at=appt.state_at, created_by="customer")]
    return []
