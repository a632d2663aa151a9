"""Light, decrypted rows the UI and the CLI show (plain dataclasses, no ORM objects)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class CaseRow:
    id: str
    reference: str
    status: str
    customer_name: str
    address: str
    amount: Decimal
    currency: str
    days_past_due: int
    tier: str | None
    appointment_start: dt.datetime | None
    appointment_end: dt.datetime | None
    flags: tuple[str, ...]
    compliance_allowed: bool | None
    compliance_summary: str | None
    timezone: str | None = None      # the customer's IANA zone (appointments are shown in it)
    withdrawn: str | None = None     # the server took the case back; kept for unsent work
    open_tasks: int = 0              # visits the lead returned, not yet corrected
    unsent_items: int = 0
    has_draft: bool = False


@dataclass(frozen=True)
class OutboxRow:
    id: str
    kind: str
    case_id: str
    case_reference: str | None
    created_at: dt.datetime
    state: str                        # waiting | sending | accepted | rejected
    server_status: str | None         # accepted | duplicate | rejected
    code: str | None
    reason: str | None
    attempts: int
    last_error: str | None
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskRow:
    id: str
    case_id: str
    kind: str
    visit_id: str
    comment: str
    created_at: dt.datetime
    created_by: str
    done_at: dt.datetime | None
    requested_start: dt.datetime | None = None  # reschedule_requested: the customer's time
    requested_end: dt.datetime | None = None


@dataclass(frozen=True)
class DraftRow:
    case_id: str
    state: dict[str, Any]
    updated_at: dt.datetime


@dataclass
class ApplyResult:
    """What one pulled page did to the store."""

    upserts: int = 0
    tombstones: int = 0
    kept: list[str] = field(default_factory=list)     # tombstoned but kept for unsent work
    purged: list[str] = field(default_factory=list)
    files_to_delete: list[str] = field(default_factory=list)
