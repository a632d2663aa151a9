"""What the GUI needs from the agent service façade (`fieldapp.sync.service.AgentService`).

Written as Protocols so the screens depend on the shape, not on the sync package: the
app wires in the real service, tests may wire another object of the same shape. Every
method here blocks (store or network), so screens call them only through
`fieldapp.ui.tasks.TaskRunner`, never directly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable, Protocol, Sequence, runtime_checkable

ProgressCallback = Callable[[str, int, "int | None"], None]  # phase, done, total (None: unknown)


class CaseRow(Protocol):
    """A light row of the case list (the service returns `fieldapp.store.rows.CaseRow`).

    Optional extras read when present: `withdrawn`, `open_tasks`, `unsent_items`,
    `has_draft`, `timezone` (the customer's IANA zone, for the appointment time).
    """

    id: str
    reference: str
    customer_name: str
    address: str
    amount: Decimal | str
    currency: str
    days_past_due: int
    tier: str | None
    appointment_start: dt.datetime | None
    appointment_end: dt.datetime | None
    flags: Sequence[str]
    compliance_allowed: bool | None
    compliance_summary: str | None



@runtime_checkable
class AgentServiceLike(Protocol):
    def login(self, server_url: str, username: str, password: str) -> Any: ...

    def resume(self) -> Any: ...

    def logout(self) -> Any: ...

    def sync(self, progress: ProgressCallback | None = None) -> Any: ...

    def list_cases(self) -> Sequence[CaseRow]: ...

    def get_case(self, case_id: str) -> Any: ...

    def outbox(self) -> Sequence[Any]: ...

    def requeue(self, item_id: str) -> bool: ...

    def tasks(self, include_done: bool = False) -> Sequence[Any]: ...

    def record_visit(self, visit: Any, attachments: dict[str, bytes] | None = None) -> str: ...

    def save_draft(self, case_id: str, state: dict[str, Any]) -> None: ...

    def load_draft(self, case_id: str) -> Any: ...

    def clock(self) -> tuple[float | None, bool]: ...

    # Optional: `probe()`, a light request that says whether the server can be reached
    # (the automatic sync uses it while offline; without it, it tries the sync itself).
