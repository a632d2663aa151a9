"""How the agent's screens name an appointment's state and the customer's answers that became
tasks (another time asked for, a phone call instead). Qt-free: English sources marked with
N_, translated where they are shown (ui.po)."""

from __future__ import annotations

from typing import Any, Callable

from fieldapp.ui.formatting import window_text
from fieldapp.ui.i18n import N_

STATE_WORDS = {
    "proposed": N_("Proposed: the notice is not sent yet"),
    "notice_sent": N_("Notice sent"),
    "delivered": N_("Notice delivered"),
    "confirmed": N_("Confirmed by the customer"),
    "reschedule_requested": N_("The customer asks for another time"),
    "declined": N_("The customer asks for a phone call instead"),
    "visited": N_("Visited"),
    "missed": N_("Missed"),
    "cancelled": N_("Cancelled"),
}
RESCHEDULE_TASK = N_("{customer} ({reference}) asks to move the visit to {window}: propose that time, "
                     "or call the customer.")
CALL_TASK = N_("{customer} ({reference}) asks for a phone call instead of the visit.")
CUSTOMER_TASKS = ("reschedule_requested", "call_requested")


def state_text(appointment: Any, tr: Callable[..., str]) -> str:
    """The lifecycle state in words; empty for an appointment imported as already agreed."""
    state = getattr(appointment, "state", None) or "arranged"
    return tr(STATE_WORDS[state]) if state in STATE_WORDS else ""


def customer_task_text(task: Any, customer: str, reference: str, timezone: str | None,
                       tr: Callable[..., str]) -> str:
    if task.kind == "reschedule_requested":
        return tr(RESCHEDULE_TASK, customer=customer, reference=reference,
                  window=window_text(task.requested_start, task.requested_end, timezone))
    return tr(CALL_TASK, customer=customer, reference=reference)
