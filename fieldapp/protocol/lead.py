"""Wire types of the team lead's endpoints (API version 1), shared by client and server.

Same conventions as `fieldapp.protocol.v1`: unknown fields refused, timestamps with an
offset, money as decimal strings with their currency. Decisions themselves travel as
outbox items of kind `review_decision` through `POST /api/v1/sync/push`.

Endpoints (team leads; administrators may read every team; agents get 403 `forbidden`)
- GET /api/v1/lead/pull?cursor=N&limit=K              -> LeadPullResponse
- GET /api/v1/lead/visits/{visit_id}                    -> LeadVisitResponse
- GET /api/v1/lead/figures?from=D&to=D[&tz=Z][&team=T][&format=csv] -> FiguresResponse (or CSV)
- GET /api/v1/lead/practice                                -> PracticeStatusResponse

Pull: every change to a case of the team carries a sequence number; a page gives, per
case, the full current set of the team's visits on it as review items, so applying a
change replaces what the laptop held for that case. The client applies a page and its
cursor in one transaction, exactly as for the agent's cases.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any, Callable, Literal

from pydantic import AwareDatetime, Field

from fieldapp.core.enums import ReviewState
from fieldapp.core.outcomes import Outcome
from fieldapp.protocol.v1 import MoneyStr, VisitRecord, Wire

ExceptionKind = Literal["location_missing", "outside_geofence", "warnings", "abusive_phrases",
                        "after_handover"]
EXCEPTION_KINDS: tuple[ExceptionKind, ...] = ("location_missing", "outside_geofence", "warnings",
                                              "abusive_phrases", "after_handover")
MAX_FIGURES_DAYS = 400
GEOFENCE_FAR = "geofence.distance.far"


def exceptions_of(record: dict[str, Any], *, late: bool = False) -> list[ExceptionKind]:
    """The compliance exceptions a lead filters on, read from a visit record (JSON form).

    location_missing: no check-in location; outside_geofence: the check-in decision found
    the agent beyond the limit; warnings: any warning-level rule failed (planning or
    check-in); abusive_phrases: the agent kept notes the phrase check flagged;
    after_handover (`late`, known to the server only): the visit arrived after its case was
    reassigned or closed, accepted because it was recorded while the case was the agent's.
    """
    found: list[ExceptionKind] = []
    if record.get("location") is None:
        found.append("location_missing")
    results = [r for key in ("planning_decision", "checkin_decision")
               for r in ((record.get(key) or {}).get("results") or []) if isinstance(r, dict)]
    if any(r.get("code") == GEOFENCE_FAR and not r.get("passed") for r in results):
        found.append("outside_geofence")
    if any(not r.get("passed") and r.get("severity") == "warn" for r in results):
        found.append("warnings")
    if record.get("note_warnings"):
        found.append("abusive_phrases")
    if late:
        found.append("after_handover")
    return found


class PersonRef(Wire):
    username: str
    display_name: str


class ReviewInfo(Wire):
    state: ReviewState
    comment: str = ""
    decided_by: PersonRef | None = None
    decided_at: AwareDatetime | None = None


class ReviewEvent(Wire):
    """One line of the visit's audit trail: received, then each decision and answer (who,
    by display name, and when)."""

    action: Literal["received", "approved", "returned", "escalated", "pending", "replied"]
    by: str | None = None
    at: AwareDatetime


class ReviewReply(Wire):
    """The agent's answer to the visit's return: its comment and any corrected notes."""

    by: PersonRef
    at: AwareDatetime
    comment: str
    notes: str | None = None


class ReviewCase(Wire):
    id: str
    reference: str
    customer_name: str
    address: str
    timezone: str
    amount_due: MoneyStr
    currency: str = Field(min_length=3, max_length=3)
    policy_id: str


class ReviewItem(Wire):
    """One visit as the lead reviews it: the agent's record (the evidence) and its review."""

    visit_id: str
    case: ReviewCase
    agent: PersonRef
    visit: VisitRecord
    review: ReviewInfo
    exceptions: list[ExceptionKind] = []
    superseded_by: str | None = None  # a later visit that corrects this one
    received_at: AwareDatetime
    history: list[ReviewEvent] = []
    replies: list[ReviewReply] = []  # the agent's answers to returns, oldest first


class LeadChange(Wire):
    seq: int
    case_id: str
    items: list[ReviewItem]  # every team visit of the case, as it is now


class LeadPullResponse(Wire):
    changes: list[LeadChange]
    next_cursor: int
    has_more: bool
    server_time: AwareDatetime


class LeadVisitResponse(Wire):
    item: ReviewItem
    server_time: AwareDatetime


class AgentFigures(Wire):
    """One agent's figures over the period (the team's total uses agent=None).

    Rates are not sent: they are counts divided, done where they are shown.
    """

    agent: PersonRef | None = None
    visits: int = 0
    contacts: int = 0
    promises: int = 0
    promises_due: int = 0      # promises whose due date has passed (only those can be kept)
    promises_kept: int = 0
    promised_amounts: dict[str, MoneyStr] = {}   # currency -> sum
    agreements: int = 0
    agreement_amounts: dict[str, MoneyStr] = {}  # currency -> sum
    visits_with_exceptions: int = 0
    exceptions: dict[ExceptionKind, int] = {}
    outcomes: dict[Outcome, int] = {}
    # Appointments fieldapp arranged that start in the period, and what customers said.
    appointments: int = 0          # not cancelled
    confirmed: int = 0             # confirmed by the customer (at any point)
    reschedule_requests: int = 0   # the customer asked for another time
    declined: int = 0              # the customer asked for a phone call instead
    visited: int = 0               # a visit was recorded for it
    no_shows: int = 0              # visited, but nobody was met (contact not made)
    missed: int = 0                # no visit was recorded
    ratings: int = 0
    rating_total: int = 0          # sum of the 1-5 ratings: satisfaction = rating_total / ratings
    complaints: int = 0


class FiguresResponse(Wire):
    team: str | None
    date_from: dt.date
    date_to: dt.date
    timezone: str
    agents: list[AgentFigures]
    total: AgentFigures
    server_time: AwareDatetime


class ScriptVersion(Wire):
    """A conversation script as the server ships it now: the version agents must practise."""

    id: str
    version: int
    title: dict[str, str] = {}


class PracticeDone(Wire):
    script_id: str
    version: int
    completed_at: AwareDatetime
    times: int = 1  # how many practices of this version


class AgentPractice(Wire):
    agent: PersonRef
    done: list[PracticeDone] = []  # the latest practice of each script version

    def latest(self, script_id: str, version: int | None = None) -> PracticeDone | None:
        runs = [d for d in self.done if d.script_id == script_id and (version is None or d.version == version)]
        return max(runs, key=lambda d: d.completed_at) if runs else None


class PracticeStatusResponse(Wire):
    """Who in the team has practised which script version (the current ones listed)."""

    team: str | None
    scripts: list[ScriptVersion]
    agents: list[AgentPractice]
    server_time: AwareDatetime


def ratio_text(part: int, whole: int) -> str:
    """'62.5%' (one decimal, exact Decimal arithmetic); '—' when there is nothing to divide."""
    if whole <= 0:
        return "—"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.1'))}%"


def average_text(total: int, count: int) -> str:
    """'4.3' (one decimal); '—' without anything to average."""
    if count <= 0:
        return "—"
    return str((Decimal(total) / Decimal(count)).quantize(Decimal("0.1")))


def customer_cells(row: "AgentFigures") -> list[object]:
    """The appointment and customer columns of a figures row (CUSTOMER_COLUMNS)."""
    return [row.appointments, row.confirmed, row.reschedule_requests,
            ratio_text(row.reschedule_requests, row.appointments), row.declined, row.visited, row.no_shows,
            ratio_text(row.no_shows, row.visited), row.missed, ratio_text(row.missed, row.visited + row.missed),
            row.ratings, average_text(row.rating_total, row.ratings), row.complaints,
            ratio_text(row.complaints, row.visited)]


def amounts_text(amounts: dict[str, str]) -> str:
    return "; ".join(f"{value} {currency}" for currency, value in sorted(amounts.items())) or "0"


CSV_COLUMNS = ("Agent", "Name", "Visits", "Contacts", "Contact rate", "Promises to pay",
               "Promises due", "Promises kept", "Kept rate", "Promised amount", "Agreements signed",
               "Agreement amount", "Visits with exceptions", "Location missing", "Outside geofence",
               "Warnings", "Abusive-phrase warnings", "Received after handover")
CUSTOMER_COLUMNS = ("Appointments", "Confirmed", "Reschedule requests", "Reschedule rate", "Calls instead",
                    "Visited", "No-shows", "No-show rate", "Missed", "Missed rate", "Ratings",
                    "Satisfaction (1-5)", "Complaints", "Complaints per visit")
CSV_COLUMNS = CSV_COLUMNS + CUSTOMER_COLUMNS
TOTAL_LABEL = "Team total"


def _cell(text: str) -> str:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def figures_csv(figures: FiguresResponse, tr: Callable[[str], str] = lambda s: s) -> str:
    """The figures as CSV text: a header, one row per agent, the team's total last."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([tr(c) for c in CSV_COLUMNS])
    for row in [*figures.agents, figures.total]:
        who = row.agent
        writer.writerow([
            _cell(who.username) if who else tr(TOTAL_LABEL), _cell(who.display_name) if who else "",
            row.visits, row.contacts, ratio_text(row.contacts, row.visits), row.promises,
            row.promises_due, row.promises_kept, ratio_text(row.promises_kept, row.promises_due),
            amounts_text(row.promised_amounts), row.agreements, amounts_text(row.agreement_amounts),
            row.visits_with_exceptions, *(row.exceptions.get(k, 0) for k in EXCEPTION_KINDS),
            *customer_cells(row)])
    return out.getvalue()


__all__ = [name for name in dir() if not name.startswith("_")]
