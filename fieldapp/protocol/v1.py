"""Wire types of the sync API, version 1 (JSON over HTTP(S)), shared by client and server.

Conventions
- Every id is a string: server-made ids are UUIDs, outbox ids are client-made UUIDs.
- Money travels as a decimal *string* ("1234.50") with its ISO 4217 currency; never a float.
- Timestamps are ISO 8601 with an offset; the server writes UTC ("...Z").
- Every response body carries `server_time`, so the client can keep its clock offset.
- Errors: HTTP 4xx/5xx with `ErrorBody` {error, detail, server_time, retry_after}; `error` is
  a stable code; `retry_after` (seconds) comes with 429 `rate_limited`.
- Limits: a body nested deeper than MAX_JSON_DEPTH, or holding a NUL character, is 422; each
  visit field has its limit below (an item over one is rejected `invalid`, naming it).
- The client sends `X-Fieldapp-Api: 1`; the server answers 426 `incompatible_version` when it
  cannot serve that version. `GET /api/v1/meta` tells the versions the server speaks.

Endpoints
- POST /api/v1/auth/login           LoginRequest   -> LoginResponse
- POST /api/v1/auth/logout          (bearer)       -> OkResponse          (revokes this token)
- GET  /api/v1/meta                                -> MetaResponse
- GET  /api/v1/sync/pull?cursor=N&limit=K          -> PullResponse        (or, asked for, PULL_LINES)
- POST /api/v1/sync/push            PushRequest    -> PushResponse        (with the pull cursor applied)
- PUT  /api/v1/attachments/{sha256} raw bytes      -> AttachmentResponse  (idempotent, hash checked)
- GET  /api/v1/attachments/{sha256}                -> raw bytes           (uploaders, and who may see a
                                                                           visit that legitimately links it)
- GET  /api/v1/institution                         -> InstitutionResponse (the creditor, any signed-in user)
- PUT  /api/v1/admin/institution    InstitutionInfo -> InstitutionResponse (administrators)
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from fieldapp.core.canonical import content_hash
from fieldapp.core.enums import CaseStatus, Channel, CustomerFlag, ReviewState, Role
from fieldapp.core.outcomes import Outcome

API_VERSION = 1
API_HEADER = "X-Fieldapp-Api"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
MAX_PUSH_ITEMS = 200
MAX_PULL_LIMIT = 1000
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024

MoneyStr = Annotated[str, Field(pattern=r"^-?\d{1,15}(\.\d{1,4})?$")]

# Sizes, so client and server agree on what a visit may hold: the app refuses to record a
# visit past them, the server refuses the item naming the field. The server also refuses any
# request body nested deeper than MAX_JSON_DEPTH (422 naming where).
MAX_JSON_DEPTH = 32
MAX_ID_CHARS = 64
MAX_NOTES_CHARS = 20_000
MAX_COMMENT_CHARS = 5_000
MAX_SHORT_TEXT_CHARS = 1_000                 # location_exception, a note warning
MAX_TRANSCRIPT_ENTRIES = 2_000
MAX_TRANSCRIPT_BYTES = 1024 * 1024           # the transcript as JSON (UTF-8)
MAX_DECISION_BYTES = 256 * 1024              # a policy decision as JSON
MAX_TERMS_BYTES = 64 * 1024                  # an agreement's terms as JSON
MAX_ITEM_ATTACHMENTS = 50
MAX_SIGNATURES = 10
MAX_NOTE_WARNINGS = 100


def json_depth(value: Any) -> int:
    """How deeply a JSON value nests (a scalar is 0, [] or {} is 1); without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            depth += 1
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("a NUL character (U+0000) is not allowed")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]  # free text: stored as is, so never a NUL


def _bounded_json(max_bytes: int, max_depth: int = 16):  # type: ignore[no-untyped-def]
    """A validator for free-form JSON fields: at most `max_bytes` as UTF-8 JSON, nested at
    most `max_depth` deep."""

    def check(value: Any) -> Any:
        if json_depth(value) > max_depth:
            raise ValueError(f"nested deeper than {max_depth} levels")
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        if "\x00" in text:
            raise ValueError("a NUL character (U+0000) is not allowed")
        size = len(text.encode("utf-8"))
        if size > max_bytes:
            raise ValueError(f"{size} bytes of JSON; at most {max_bytes} are allowed")
        return value

    return AfterValidator(check)


Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS)]
Decision = Annotated[dict[str, Any], _bounded_json(MAX_DECISION_BYTES)]


class Wire(BaseModel):
    """Base: unknown fields are refused, so a typo is a 422 with the field's name.

    Every timestamp is `AwareDatetime`: a timestamp without a UTC offset is refused.
    """

    model_config = ConfigDict(extra="forbid", frozen=False)


# ---------------------------------------------------------------------------- errors
class ErrorBody(Wire):
    error: str  # stable code, e.g. bad_credentials, device_revoked, token_expired, not_found
    detail: str
    server_time: AwareDatetime | None = None
    retry_after: int | None = None  # rate_limited: seconds to wait (also the Retry-After header)


ERROR_CODES = {
    "bad_credentials": 401,
    "token_missing": 401,
    "token_invalid": 401,
    "token_expired": 401,
    "device_revoked": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "hash_mismatch": 422,
    "invalid": 422,
    "incompatible_version": 426,
    "too_large": 413,
    "rate_limited": 429,
    "busy": 503,  # more requests than the server takes at once, or its database connection broke
    #               under the request (nothing applied): retry after `retry_after` s
    "not_allowed": 422,  # e.g. an appointment slot the policy forbids (the reasons in `detail`)
}


# ---------------------------------------------------------------------------- auth / meta
class LoginRequest(Wire):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=500)
    device_id: str = Field(min_length=8, max_length=100)
    device_name: str | None = Field(default=None, max_length=200)


class UserInfo(Wire):
    id: str
    username: str
    display_name: str
    role: Role
    team: str | None = None


class LoginResponse(Wire):
    token: str
    expires_at: AwareDatetime
    user: UserInfo
    api_version: int = API_VERSION
    server_time: AwareDatetime


class OkResponse(Wire):
    ok: bool = True
    server_time: AwareDatetime


class MetaResponse(Wire):
    api_versions: list[int]
    server_version: str
    server_time: AwareDatetime


# ---------------------------------------------------------------------------- cases (pull)
class Location(Wire):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0)


class CustomerRecord(Wire):
    id: str
    name: str
    phone: str | None = None
    id_tail: str | None = None  # last 4 characters of the identity document, never the whole
    address: str
    location: Location | None = None
    timezone: str
    region: str  # holiday calendar: ISO country, optional subdivision (CN, US-MA)
    language: str | None = None
    flags: list[CustomerFlag] = []


AppointmentState = Literal["arranged", "proposed", "notice_sent", "delivered", "confirmed",
                           "reschedule_requested", "declined", "visited", "missed", "cancelled"]
APPOINTMENT_STATES: tuple[str, ...] = AppointmentState.__args__  # type: ignore[attr-defined]


class AppointmentRecord(Wire):
    """`status` is the coarse state; `state` the lifecycle of an appointment fieldapp arranged
    (proposed, its notice sent and delivered, the customer's answer, the visit), or
    "arranged" for one the institution imported as already agreed."""

    id: str
    start: AwareDatetime
    end: AwareDatetime
    status: Literal["scheduled", "cancelled", "done"] = "scheduled"
    state: AppointmentState = "arranged"
    state_at: AwareDatetime | None = None
    requested_start: AwareDatetime | None = None  # the time the customer asked for instead
    requested_end: AwareDatetime | None = None


class NotificationRecord(Wire):
    id: str
    channel: Channel
    sent_at: AwareDatetime
    delivered_at: AwareDatetime | None = None


class VisitHistoryRecord(Wire):
    id: str
    at: AwareDatetime
    contact_made: bool
    outcome: Outcome | None = None
    agent: str | None = None          # user name
    agent_name: str | None = None     # display name
    review: ReviewState | None = None  # the lead's decision, so the agent sees approvals too
    reviewed_by: str | None = None    # the deciding lead's display name
    reviewed_at: AwareDatetime | None = None
    late: bool = False  # recorded by a former agent while the case was theirs, received after it left


ContactChannel = Literal["call", "sms"]
ContactResult = Literal["answered", "no_answer", "busy", "voicemail", "wrong_number", "sent", "not_sent"]
CONTACT_RESULTS: dict[str, tuple[str, ...]] = {
    "call": ("answered", "no_answer", "busy", "voicemail", "wrong_number"),
    "sms": ("sent", "not_sent"),
}


class ContactAttemptHistoryRecord(Wire):
    """An earlier call or message to the customer, as the case's agent sees it; the policy's
    frequency limit on contact attempts counts these."""

    id: str
    at: AwareDatetime
    channel: ContactChannel
    result: ContactResult
    agent: str | None = None  # user name


class TaskRecord(Wire):
    """Work the server hands to the agent: a visit returned by the lead (visit_id), or the
    customer's answer to an appointment (appointment_id): another time asked for
    (`reschedule_requested`, with the time), or a phone call instead (`call_requested`)."""

    id: str
    kind: Literal["visit_returned", "reschedule_requested", "call_requested"]
    visit_id: str = ""
    comment: str
    created_at: AwareDatetime
    created_by: str                        # the lead's user name
    created_by_name: str | None = None     # and display name, as the agent reads it
    appointment_id: str | None = None
    requested_start: AwareDatetime | None = None
    requested_end: AwareDatetime | None = None


class ComplianceRecord(Wire):
    """The server's planning check of the appointment (same engine as the app)."""

    allowed: bool
    policy_id: str
    policy_version: str
    summary: str
    decision: dict[str, Any]


class CaseRecord(Wire):
    id: str
    external_id: str
    reference: str
    status: CaseStatus
    customer: CustomerRecord
    amount_due: MoneyStr
    currency: str = Field(min_length=3, max_length=3)
    days_past_due: int = Field(ge=0)
    tier: str | None = None
    product: str | None = None
    policy_id: str
    appointment: AppointmentRecord | None = None
    notifications: list[NotificationRecord] = []
    visits: list[VisitHistoryRecord] = []
    tasks: list[TaskRecord] = []
    compliance: ComplianceRecord | None = None
    # after the planning check: a pushed visit extends the stored document's visits and
    # rebuilds what follows them (fieldapp.server.services.records.append_visits)
    contact_attempts: list[ContactAttemptHistoryRecord] = []
    updated_at: AwareDatetime

    def amount(self) -> Decimal:
        return Decimal(self.amount_due)


class Change(Wire):
    seq: int
    op: Literal["upsert", "tombstone"]
    case_id: str
    case: CaseRecord | None = None  # present for upsert
    reason: Literal["unassigned", "closed", "deleted"] | None = None  # for tombstone


class PullResponse(Wire):
    changes: list[Change]
    next_cursor: int
    has_more: bool
    server_time: AwareDatetime


# A pull page as lines, sent to a client whose Accept header names this type (else the page
# is a PullResponse): the client keeps each case's document as the bytes the server sent,
# instead of parsing the page and writing every case again.
#   line 1: `PageHead` (the PullResponse without its changes)
#   line 2: the changes, a JSON array of `Change` without their `case`
#   then one line per change, in the same order: its `CaseRecord` (an upsert), or null.
# Compact JSON has no raw line break, so a line is one JSON value.
PULL_LINES = "application/x-ndjson"


class PageHead(Wire):
    next_cursor: int
    has_more: bool
    server_time: AwareDatetime


# ---------------------------------------------------------------------------- outbox (push)
ItemKind = Literal["visit", "review_decision", "review_reply", "practice", "appointment_proposal",
                   "contact_attempt"]
PRACTICE_CASE_ID = ""  # a practice belongs to no case: its outbox item's case_id


class SignatureRef(Wire):
    role: Literal["customer", "agent"]
    sha256: str = Field(pattern=SHA256_PATTERN)  # attachment holding the PNG
    captured_at: AwareDatetime


class AgreementRecord(Wire):
    agreement_id: Id
    terms: Annotated[dict[str, Any], _bounded_json(MAX_TERMS_BYTES)]  # canonical terms (fieldapp.documents)
    terms_sha256: str = Field(pattern=SHA256_PATTERN)
    pdf_sha256: str = Field(pattern=SHA256_PATTERN)  # attachment holding the PDF
    total: MoneyStr
    currency: str = Field(min_length=3, max_length=3)
    signatures: list[SignatureRef] = Field(default=[], max_length=MAX_SIGNATURES)
    # How the customer took in the whole unsigned agreement before signing, as the agent confirmed.
    read_before_signing: Literal["customer_read", "read_aloud"] | None = None


MAX_PHOTOS = 20
PhotoKind = Literal["house_number", "door_notice", "other"]


class PhotoRef(Wire):
    """A photo the agent took as evidence of the visit: an attachment (JPEG, metadata
    stripped on the laptop except what the policy keeps)."""

    sha256: str = Field(pattern=SHA256_PATTERN)
    kind: PhotoKind = "other"
    captured_at: AwareDatetime              # when the agent added it
    taken_at: AwareDatetime | None = None   # from the photo's own metadata, when kept
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class PromiseToPay(Wire):
    amount: MoneyStr
    currency: str = Field(min_length=3, max_length=3)
    due_date: dt.date


class VisitRecord(Wire):
    """Everything the agent recorded about one visit; the evidence the lead reviews."""

    visit_id: Id
    case_id: Id
    agent_started_at: AwareDatetime
    checked_in_at: AwareDatetime | None = None
    ended_at: AwareDatetime
    location: Location | None = None
    location_exception: Text | None = Field(default=None, max_length=MAX_SHORT_TEXT_CHARS)  # why no location
    distance_m: float | None = None
    planning_decision: Decision | None = None  # policy Decision JSON before the visit
    checkin_decision: Decision | None = None   # policy Decision JSON at check-in
    script_id: str | None = Field(default=None, max_length=100)
    transcript: Annotated[list[dict[str, Any]], Field(max_length=MAX_TRANSCRIPT_ENTRIES),
                          _bounded_json(MAX_TRANSCRIPT_BYTES)] = []
    outcome: Outcome
    contact_made: bool
    notes: Text = Field(default="", max_length=MAX_NOTES_CHARS)
    # abusive-phrase hits the agent saw and overrode
    note_warnings: list[Annotated[Text, Field(max_length=MAX_SHORT_TEXT_CHARS)]] = Field(
        default=[], max_length=MAX_NOTE_WARNINGS)
    promise: PromiseToPay | None = None
    agreement: AgreementRecord | None = None
    corrects_visit_id: Id | None = None  # a resubmission after a lead returned the visit
    report_sha256: str | None = Field(default=None, pattern=SHA256_PATTERN)  # attachment: the signed visit report PDF
    photos: list[PhotoRef] = Field(default=[], max_length=MAX_PHOTOS)


class ReviewDecisionRecord(Wire):
    visit_id: Id
    decision: Literal["approve", "return", "escalate"]
    comment: Text = Field(default="", max_length=MAX_COMMENT_CHARS)
    decided_at: AwareDatetime
    expected_state: ReviewState | None = None  # optimistic concurrency: the state the lead saw


class PracticeRecord(Wire):
    """A finished practice of a conversation script against a simulated customer (practice
    mode). It says who practised what, never anything about a customer: no notes, no
    answers. The server keeps it; a policy may require one for the current script version."""

    practice_id: str = Field(min_length=8, max_length=64)
    script_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_]+$")
    script_version: int = Field(ge=0, le=1_000_000)
    script_sha256: str = Field(pattern=SHA256_PATTERN)
    lang: str = Field(min_length=2, max_length=10)
    started_at: AwareDatetime
    completed_at: AwareDatetime
    outcome: Outcome | None = None
    steps: int = Field(ge=0, le=100_000)
    stopped: str | None = Field(default=None, max_length=40)


class AppointmentProposal(Wire):
    """An appointment the agent proposes from the laptop, offline or not. The server checks
    the slot again when the item arrives (policy and the agent's other appointments) and
    rejects it with the rule's explanation when it is no longer allowed; accepted, the
    customer's notices are queued."""

    appointment_id: str = Field(min_length=8, max_length=36)  # client-made UUID
    case_id: str
    start: AwareDatetime
    end: AwareDatetime
    proposed_at: AwareDatetime
    replaces_id: str | None = Field(default=None, max_length=36)  # the appointment it moves


class ContactAttemptRecord(Wire):
    """One call or message to the customer through the laptop's phone handler, with the
    result the agent chose. An outbox item of kind `contact_attempt` (its id is attempt_id)."""

    attempt_id: str = Field(min_length=8, max_length=MAX_ID_CHARS)
    case_id: Id
    channel: ContactChannel
    result: ContactResult
    at: AwareDatetime
    note: Text = Field(default="", max_length=MAX_SHORT_TEXT_CHARS)

    @model_validator(mode="after")
    def _result_fits_channel(self) -> "ContactAttemptRecord":
        if self.result not in CONTACT_RESULTS[self.channel]:
            raise ValueError(f"result {self.result!r} is not one of a {self.channel}'s "
                             f"({', '.join(CONTACT_RESULTS[self.channel])})")
        return self


class ReviewReplyRecord(Wire):
    """The agent's answer to a returned visit: a comment for the lead (required) and, when
    the notes needed correcting, the corrected notes. The lead then reviews the visit again."""

    visit_id: Id
    comment: str = Field(min_length=1, max_length=5000)
    notes: str | None = Field(default=None, max_length=20000)
    replied_at: AwareDatetime


class OutboxItem(Wire):
    id: str = Field(min_length=8, max_length=MAX_ID_CHARS)  # client-made UUID
    kind: ItemKind
    case_id: str = Field(max_length=MAX_ID_CHARS)  # empty only for a practice (PRACTICE_CASE_ID)
    created_at: AwareDatetime
    payload: dict[str, Any]  # a VisitRecord, ReviewDecisionRecord ..., checked per item by the server
    attachments: list[Annotated[str, Field(pattern=SHA256_PATTERN)]] = Field(default=[],
                                                                             max_length=MAX_ITEM_ATTACHMENTS)
    content_hash: str = Field(pattern=SHA256_PATTERN)


def item_content_hash(kind: str, case_id: str, payload: dict[str, Any], attachments: list[str]) -> str:
    """The content hash of an outbox item: what makes a re-send a duplicate, not a conflict."""
    return content_hash({"kind": kind, "case_id": case_id, "payload": payload,
                         "attachments": sorted(attachments)})


class PushRequest(Wire):
    device_id: str = Field(min_length=1, max_length=100)
    items: list[OutboxItem] = Field(max_length=MAX_PUSH_ITEMS)
    # The pull cursor this laptop has applied (committed) when it pushes: tells the server
    # which reassignments and closures the laptop knew of when it recorded these items.
    cursor: int | None = Field(default=None, ge=0, le=2**62)


class PushResult(Wire):
    id: str
    status: Literal["accepted", "duplicate", "rejected"]
    code: str | None = None    # for rejected: conflict | invalid | not_yours | missing_attachment | ...
    reason: str | None = None  # a sentence for the agent


class PushResponse(Wire):
    results: list[PushResult]
    server_time: AwareDatetime


# ---------------------------------------------------------------------------- institution
INSTITUTION_LANGUAGES = ("en", "zh_CN")
InstitutionText = Annotated[str, Field(min_length=1, max_length=200)]


_TILE_TEMPLATE = re.compile(r"^https?://[^\s/]+(/[^\s]*)?/\{z\}/\{x\}/\{y\}\.png$")


def _tile_template(value: str) -> str:
    """The form the map's OSM plugin reads: an http(s) URL ending in {z}/{x}/{y}.png."""
    if not _TILE_TEMPLATE.match(value):
        raise ValueError("give an http(s) URL ending in /{z}/{x}/{y}.png, e.g. "
                         "https://tiles.example.org/{z}/{x}/{y}.png")
    return value


class InstitutionInfo(Wire):
    """The creditor the agents work for: named on every repayment agreement and read aloud
    by the conversation scripts, per language. Set once on the server by an administrator
    (`fieldapp server institution`, or PUT /api/v1/admin/institution); every laptop gets it
    at sync."""

    names: dict[Literal["en", "zh_CN"], Annotated[str, Field(min_length=1, max_length=120)]] = Field(
        min_length=1)
    addresses: dict[Literal["en", "zh_CN"], InstitutionText] = {}
    registration: str | None = Field(default=None, max_length=80)  # e.g. the unified social credit code
    # The map's tile server run or bought by the institution: an http(s) URL template with
    # {z}, {x} and {y} (e.g. https://tiles.example.org/{z}/{x}/{y}.png). None: no map.
    tile_url: Annotated[str, AfterValidator(_tile_template)] | None = Field(default=None, max_length=500)
    updated_at: AwareDatetime | None = None

    def name(self, lang: str) -> str:
        """The name in `lang`, else in English, else in any language it has."""
        names: dict[str, str] = dict(self.names)
        return names.get(lang) or names.get("en") or next(iter(names.values()))

    def address(self, lang: str) -> str | None:
        addresses: dict[str, str] = dict(self.addresses)
        return addresses.get(lang) or addresses.get("en") or next(iter(addresses.values()), None)


class InstitutionResponse(Wire):
    institution: InstitutionInfo | None  # None until an administrator has set it
    server_time: AwareDatetime


class AttachmentResponse(Wire):
    sha256: str
    size: int
    created: bool
    server_time: AwareDatetime


__all__ = [name for name in dir() if not name.startswith("_")]
