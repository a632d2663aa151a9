"""Push: outbox items from a laptop, each judged on its own.

Every item runs in its own savepoint, so a rejected item never takes the others with it.
An accepted item leaves a receipt (`pushed_items`): sending it again is a *duplicate* when
its content hash is the same and a *conflict* when it is not. Rejected items leave no
receipt, so a corrected or later re-send (e.g. once its attachment is uploaded) is judged
afresh.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from fieldapp.core.canonical import content_hash
from fieldapp.core.errors import BadInput, Conflict
from fieldapp.core.i18n import Translator
from fieldapp.core.timeutil import iso, utcnow
from fieldapp.protocol.v1 import (
    AppointmentProposal,
    ContactAttemptRecord,
    PRACTICE_CASE_ID,
    OutboxItem,
    PracticeRecord,
    PushResponse,
    PushResult,
    ReviewDecisionRecord,
    ReviewReplyRecord,
    VisitRecord,
    item_content_hash,
)
from fieldapp.server import audit
from fieldapp.server.errors import describe_validation
from fieldapp.server.observability import metrics
from fieldapp.server.settings import ServerSettings
from fieldapp.server.models import (
    Agreement,
    Attachment,
    Case,
    PracticeRun,
    PushedItem,
    Review,
    ReviewReply,
    User,
    Visit,
    VisitAttachment,
)
from fieldapp.server.services import appointments
from fieldapp.server.services import attachments as attachment_service
from fieldapp.server.services import contacts as contact_service
from fieldapp.server.services import handover
from fieldapp.server.services import practice as practice_service
from fieldapp.server.services.access import leads_team_of
from fieldapp.server.services.changes import case_changed, emit
from fieldapp.server.services.review import conflict_values
from fieldapp.server.services.text import clean_text, clean_visit_record

if TYPE_CHECKING:
    from fieldapp.server.services.receipts import Sealer

log = logging.getLogger(__name__)

DECISION_STATES = {"approve": "approved", "return": "returned", "escalate": "escalated"}


class _Rejected(Exception):
    """A refusal: `message` is an English source string with {named} values, translated for
    the agent when the result is written."""

    def __init__(self, code: str, message: str, **values: object):
        super().__init__(message)
        self.code, self.message, self.values = code, message, values

    def result(self, item_id: str, tr: Translator) -> PushResult:
        return PushResult(id=item_id, status="rejected", code=self.code, reason=tr(self.message, **self.values))


@dataclass
class _Batch:
    """What one push touches: the device it comes from, the cases to announce, and the
    former agents to tell about late work on a case they no longer hold."""

    device_pk: str | None
    documents: "_Receipt"  # signed documents go to the sealer
    settings: ServerSettings
    touched: dict[str, Case] = field(default_factory=dict)
    visits: dict[str, list[Visit]] = field(default_factory=dict)  # new visits per case
    rebuild: set[str] = field(default_factory=set)  # cases changed in more than their visits
    former: set[tuple[str, str]] = field(default_factory=set)  # (former agent, case id)
    # Audit entries of accepted items, written with the push's own in one INSERT; those of
    # the item being judged move there once it is accepted.
    audit: list[dict[str, Any]] = field(default_factory=list)
    item_audit: list[dict[str, Any]] = field(default_factory=list)


def push(session: Session, user: User, device_id: str, items: list[OutboxItem],
         tr: Translator | None = None, sealer: "Sealer | None" = None,
         settings: ServerSettings | None = None, *, device_pk: str | None = None,
         cursor: int | None = None) -> PushResponse:
    """Judge each item; with a `sealer`, signed agreement PDFs are verified and sealed on
    receipt. `cursor` is the pull cursor the laptop had applied when it pushed: the
    reassignments and closures it knew of (see services/handover.py)."""
    tr = tr or Translator()
    settings = settings or ServerSettings.load()
    if device_pk is not None and cursor is not None:
        handover.confirm(session, device_pk, cursor)
    # Items are handled in id order (results keep the request's order): two pushes of the
    # same items then take their row locks in the same order and cannot deadlock.
    by_index: dict[int, PushResult] = {}
    batch = _Batch(device_pk, _Receipt(sealer, device_id), settings)
    for index in sorted(range(len(items)), key=lambda i: items[i].id):
        by_index[index] = _one(session, user, items[index], tr, batch)
    results = [by_index[i] for i in range(len(items))]
    # Cases are written in a fixed order (concurrent pushes cannot deadlock on them); their
    # changes are numbered at commit, the counter's lock being the last one taken.
    for case_id in sorted(batch.touched):
        new_visits = () if case_id in batch.rebuild else batch.visits.get(case_id, ())
        case_changed(session, batch.touched[case_id], new_visits)
    # Late work of a former agent: a change for them too, so their lead's queue shows it.
    for agent_id, case_id in sorted(batch.former):
        emit(session, agent_id, case_id, "tombstone", "unassigned")
    rejected = sum(r.status == "rejected" for r in results)
    audit.record_many(session, [*batch.audit, dict(action="push", object_type="device", object_id=device_id,
                                                    actor_id=user.id, items=len(items), rejected=rejected)])
    metrics.count_push(session, items, results)
    return PushResponse(results=results, server_time=utcnow())


def _one(session: Session, user: User, item: OutboxItem, tr: Translator, batch: _Batch) -> PushResult:
    batch.item_audit.clear()
    try:
        with session.begin_nested():
            status = _apply(session, user, item, batch, tr)
        batch.audit.extend(batch.item_audit)
        return PushResult(id=item.id, status=status)
    except _Rejected as rej:
        return rej.result(item.id, tr)
    except IntegrityError:
        # A visit id recorded already, or a race with a concurrent push of the same item,
        # visit or agreement: judge again.
        log.info("push item met a recorded id or raced with a concurrent write; re-judging")
        try:
            receipt = session.get(PushedItem, item.id)
            if receipt is not None:
                return _receipt_result(item, receipt)
            visit_id = item.payload.get("visit_id") if item.kind == "visit" else None
            if isinstance(visit_id, str) and session.get(Visit, visit_id) is not None:
                return _Rejected("conflict", "Visit {visit} is already recorded by another item.",
                                 visit=visit_id).result(item.id, tr)
        except _Rejected as rej:
            return rej.result(item.id, tr)
        return _Rejected("conflict", "The visit or agreement id is already recorded by another item."
                         ).result(item.id, tr)


def _receipt_result(item: OutboxItem, receipt: PushedItem) -> PushResult:
    if receipt.content_hash == item.content_hash:
        return PushResult(id=item.id, status="duplicate")
    raise _Rejected("conflict", "Item {item} was already accepted with other content.", item=item.id)


def _apply(session: Session, user: User, item: OutboxItem, batch: _Batch, tr: Translator) -> str:
    expected = item_content_hash(item.kind, item.case_id, item.payload, item.attachments)
    if expected != item.content_hash:
        raise _Rejected("hash_mismatch", "content_hash does not match the item's content "
                        "(kind, case_id, payload, attachments).")
    receipt = session.get(PushedItem, item.id)
    if receipt is not None:
        return _receipt_result(item, receipt).status
    if item.kind == "practice":
        _practice(session, user, item)
        session.add(PushedItem(id=item.id, user_id=user.id, kind=item.kind, case_id=PRACTICE_CASE_ID,
                               content_hash=item.content_hash, received_at=utcnow()))
        session.flush()
        return "accepted"
    case = session.get(Case, item.case_id)
    visit = None
    if item.kind == "visit":
        visit = _visit(session, user, item, case, batch)
        batch.documents.visit(session, user, item)
    elif item.kind == "appointment_proposal":
        _appointment_proposal(session, user, item, case, batch.settings, tr)
    elif item.kind == "review_reply":
        _review_reply(session, user, item, case)
    elif item.kind == "contact_attempt":
        _contact_attempt(session, user, item, case)
    else:
        _review_decision(session, user, item, case)
    session.add(PushedItem(id=item.id, user_id=user.id, kind=item.kind, case_id=item.case_id,
                           content_hash=item.content_hash, received_at=utcnow()))
    session.flush()
    assert case is not None
    batch.touched[case.id] = case
    if visit is not None:
        batch.visits.setdefault(case.id, []).append(visit)
    else:
        batch.rebuild.add(case.id)
    return "accepted"


def _validate(model, payload, kind: str):  # type: ignore[no-untyped-def]
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        errors = [{**e, "loc": ("payload", *e.get("loc", ()))} for e in exc.errors()]
        raise _Rejected("invalid", "The {kind} record is invalid: {problems}", kind=kind,
                        problems=describe_validation(errors)) from None


def _visit(session: Session, user: User, item: OutboxItem, case: Case | None, batch: _Batch) -> Visit:
    if case is None:
        raise _Rejected("not_yours", "This case is not (or no longer) assigned to you.")
    rec: VisitRecord = _validate(VisitRecord, item.payload, "visit")
    if rec.case_id != item.case_id:
        raise _Rejected("invalid", "payload.case_id does not match the item's case_id.")
    if rec.ended_at < rec.agent_started_at:
        raise _Rejected("invalid", "payload.ended_at is before payload.agent_started_at.")
    late = None
    if case.assigned_agent_id != user.id or case.status != "open":
        late = _late(session, user, item, rec, case, batch.device_pk)
    if rec.corrects_visit_id is not None:
        earlier = session.scalar(select(Visit.case_id).where(Visit.id == rec.corrects_visit_id))
        if earlier != case.id:
            raise _Rejected("invalid", "payload.corrects_visit_id names no visit of this case.")
    # A visit id already recorded is found by the visit's INSERT (see `_one`): no read first.
    if rec.agreement is not None:
        if session.scalar(select(Agreement.id).where(Agreement.id == rec.agreement.agreement_id)):
            raise _Rejected("conflict", "Agreement {agreement} is already recorded.",
                            agreement=rec.agreement.agreement_id)
        if rec.agreement.terms_sha256 != content_hash(rec.agreement.terms):
            raise _Rejected("hash_mismatch", "payload.agreement.terms_sha256 is not the SHA-256 of "
                            "the canonical terms.")
    needed = set(item.attachments)
    needed.update(p.sha256 for p in rec.photos)
    if rec.agreement is not None:
        needed.add(rec.agreement.pdf_sha256)
        needed.update(s.sha256 for s in rec.agreement.signatures)
    if rec.report_sha256 is not None:
        needed.add(rec.report_sha256)
    present = set(session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(needed)))) \
        if needed else set()
    missing = sorted(needed - present)
    if missing:
        raise _Rejected("missing_attachment", "Upload these attachments first: {hashes}", hashes=_hashes(missing))
    foreign = attachment_service.foreign_for_push(session, user, case.id, needed)
    if foreign:
        raise _Rejected("foreign_attachment", "These attachments were not uploaded from your account and "
                        "belong to no visit of this case: {hashes}. Upload the files from this laptop.",
                        hashes=_hashes(foreign))

    # Personal numbers in the free texts are masked before the record is kept (a laptop
    # masks them too; an older or modified one may not have).
    record, masked = clean_visit_record(rec.model_dump(mode="json"))
    visit = Visit(id=rec.visit_id, case_id=case.id, agent_id=user.id, outbox_item_id=item.id,
                  started_at=rec.agent_started_at, checked_in_at=rec.checked_in_at,
                  ended_at=rec.ended_at, contact_made=rec.contact_made, outcome=rec.outcome.value,
                  corrects_visit_id=rec.corrects_visit_id, late=late, record=record,
                  received_at=utcnow())
    session.add(visit)
    session.flush()
    set_committed_value(visit, "agent", user)  # known: no query when the case's document is written
    if rec.agreement is not None:
        a = rec.agreement
        session.add(Agreement(id=a.agreement_id, visit_id=visit.id, terms=a.terms,
                              terms_sha256=a.terms_sha256, pdf_sha256=a.pdf_sha256,
                              total=Decimal(a.total),
                              currency=a.currency))
    review = Review(visit_id=visit.id, state="pending", comment="")
    session.add(review)
    set_committed_value(visit, "review", review)  # the visit knows its review (no query for the old one)
    for sha in sorted(needed):
        session.add(VisitAttachment(visit_id=visit.id, sha256=sha))
    session.flush()
    session.expire(case, ["visits"])
    if late is not None and case.assigned_agent_id != user.id:
        batch.former.add((user.id, case.id))
    extra = {"masked": masked} if masked else {}
    batch.item_audit.append(dict(action="visit.received", object_type="visit", object_id=visit.id,
                                 actor_id=user.id, case_id=case.id, item_id=item.id, outcome=visit.outcome,
                                 late=late, **extra))
    if late is None:  # a late visit belongs to an assignment that is over: not today's appointment
        appointments.visit_recorded(session, case, visit.id, visit.checked_in_at or visit.started_at, user.id)
    return visit


def _practice(session: Session, user: User, item: OutboxItem) -> None:
    rec: PracticeRecord = _validate(PracticeRecord, item.payload, "practice")
    if item.case_id != PRACTICE_CASE_ID:
        raise _Rejected("invalid", "A practice belongs to no case: case_id must be empty.")
    if user.role != "agent":
        raise _Rejected("invalid", "Only agents record practices.")
    if rec.completed_at < rec.started_at:
        raise _Rejected("invalid", "payload.completed_at is before payload.started_at.")
    if session.get(PracticeRun, rec.practice_id) is not None:
        raise _Rejected("conflict", "Practice {practice} is already recorded by another item.",
                        practice=rec.practice_id)
    practice_service.record(session, user, rec, item.id)


class _Receipt:
    """The signed documents of an accepted visit go to the sealer (services/receipts.py)."""

    def __init__(self, sealer: "Sealer | None", device_id: str) -> None:
        self.sealer, self.device_id = sealer, device_id

    def visit(self, session: Session, user: User, item: OutboxItem) -> None:
        from fieldapp.server.services.receipts import DocumentRefused

        if self.sealer is None:
            return
        agreement = item.payload.get("agreement") or None
        report = item.payload.get("report_sha256") or None
        if agreement is None and report is None:
            return
        visit: Visit = session.get(Visit, item.payload["visit_id"])  # type: ignore[assignment]
        sealer = self.sealer
        if agreement is not None:
            try:
                sealer.receive(session, user, self.device_id, visit, agreement["pdf_sha256"],
                               agreement_id=agreement["agreement_id"], terms_sha256=agreement["terms_sha256"])
            except DocumentRefused as exc:
                raise _Rejected("bad_signature", "The agreement PDF is refused: {reason}", reason=str(exc)) from None
        if report is not None:
            try:
                sealer.receive(session, user, self.device_id, visit, report, kind="visit_report")
            except DocumentRefused as exc:
                raise _Rejected("bad_signature", "The visit report PDF is refused: {reason}",
                                reason=str(exc)) from None


def _appointment_proposal(session: Session, user: User, item: OutboxItem, case: Case | None,
                          settings: ServerSettings, tr: Translator) -> None:
    """The agent's proposal from the laptop, judged again here and now (it may have waited
    offline until the slot became too soon, or another appointment took the time)."""
    if case is None or case.assigned_agent_id != user.id:
        raise _Rejected("not_yours", "This case is not (or no longer) assigned to you.")
    if case.status != "open":
        raise _Rejected("not_yours", "This case is closed.")
    rec: AppointmentProposal = _validate(AppointmentProposal, item.payload, "appointment_proposal")
    if rec.case_id != item.case_id:
        raise _Rejected("invalid", "payload.case_id does not match the item's case_id.")
    try:
        appointments.propose(session, case, rec.start, rec.end, settings=settings, actor=user, via="agent",
                             lang=tr.language, appointment_id=rec.appointment_id, outbox_item_id=item.id,
                             replaces_id=rec.replaces_id)
    except appointments.SlotRefused as refused:
        raise _Rejected("not_allowed", "This time cannot be proposed: {reasons}",
                        reasons=" ".join(refused.reasons)) from None
    except (BadInput, Conflict) as exc:
        raise _Rejected("invalid", "The appointment cannot be proposed: {reason}", reason=str(exc)) from None


def _contact_attempt(session: Session, user: User, item: OutboxItem, case: Case | None) -> None:
    """A call or message the agent logged on a case of theirs."""
    if case is None or case.assigned_agent_id != user.id:
        raise _Rejected("not_yours", "This case is not (or no longer) assigned to you.")
    rec: ContactAttemptRecord = _validate(ContactAttemptRecord, item.payload, "contact_attempt")
    if rec.case_id != item.case_id:
        raise _Rejected("invalid", "payload.case_id does not match the item's case_id.")
    try:
        contact_service.record(session, user, case, rec, item.id)
    except contact_service.AlreadyRecorded:
        raise _Rejected("conflict", "Contact attempt {attempt} is already recorded by another item.",
                        attempt=rec.attempt_id) from None


def _late(session: Session, user: User, item: OutboxItem, rec: VisitRecord, case: Case,
          device_pk: str | None) -> str:
    """A visit on a case the agent no longer holds: its period's end reason when the work was
    done while the case was theirs (services/handover.py), else refused with the reason."""
    verdict = handover.judge(session, user.id, device_pk or "", case.id, rec.agent_started_at, item.created_at)
    if verdict.accepted:
        assert verdict.period is not None
        return verdict.period.end_reason
    started = iso(rec.agent_started_at)
    period = verdict.period
    if period is None:
        last = verdict.last
        if last is not None and last.end_reason == "closed" and rec.agent_started_at >= last.ended_at:
            raise _Rejected("not_yours", "This case was closed at {ended}; this visit began after that "
                            "({started}).", ended=iso(last.ended_at), started=started)
        raise _Rejected("not_yours", "This case is not (or no longer) assigned to you, and was not yours "
                        "when this visit began ({started}).", started=started)
    values = {"ended": iso(period.ended_at), "learned": iso(verdict.learned_at),  # type: ignore[arg-type]
              "recorded": iso(item.created_at)}
    if period.end_reason == "closed":
        raise _Rejected("not_yours", "This case was closed at {ended}; this laptop learned of it at "
                        "{learned} and recorded this visit after that ({recorded}).", **values)
    raise _Rejected("not_yours", "This case was reassigned at {ended}; this laptop learned of it at "
                    "{learned} and recorded this visit after that ({recorded}).", **values)


def _hashes(shas: list[str]) -> str:
    return ", ".join(shas[:5]) + (f" (+{len(shas) - 5})" if len(shas) > 5 else "")


def _locked_review(session: Session, visit: Visit) -> Review | None:
    """The visit's review, locked and re-read: concurrent decisions and answers on one
    visit are serialised here and each sees the one before it."""
    return session.scalar(select(Review).where(Review.visit_id == visit.id).with_for_update(of=Review)
                          .execution_options(populate_existing=True))


def _review_reply(session: Session, user: User, item: OutboxItem, case: Case | None) -> None:
    """The agent answers a returned visit: the answer is kept and the visit goes back to the
    lead's queue to be reviewed again."""
    rec: ReviewReplyRecord = _validate(ReviewReplyRecord, item.payload, "review_reply")
    if not rec.comment.strip():
        raise _Rejected("invalid", "payload.comment: an answer to a returned visit says something to the lead.")
    visit = session.get(Visit, rec.visit_id)
    if visit is None or case is None or visit.case_id != case.id:
        raise _Rejected("invalid", "payload.visit_id names no visit of this case.")
    if visit.agent_id != user.id:
        raise _Rejected("not_yours", "Only the agent who made the visit answers its return.")
    review = _locked_review(session, visit)
    if review is None or review.state != "returned":
        raise _Rejected("conflict", "The visit is not returned (it is {state}); there is nothing to answer.",
                        state=review.state if review is not None else "pending")
    # Personal numbers are masked before the answer is kept, as in notes and lead comments.
    notes = (rec.notes or "").strip()
    session.add(ReviewReply(visit_id=visit.id, agent_id=user.id, comment=clean_text(rec.comment.strip()).text,
                            notes=clean_text(notes).text if notes else None, replied_at=rec.replied_at,
                            received_at=utcnow()))
    review.state = "pending"
    session.flush()
    audit.record(session, "review.replied", "visit", visit.id, user.id, item_id=item.id)


def _review_decision(session: Session, user: User, item: OutboxItem, case: Case | None) -> None:
    rec: ReviewDecisionRecord = _validate(ReviewDecisionRecord, item.payload, "review_decision")
    visit = session.get(Visit, rec.visit_id)
    if visit is None or case is None or visit.case_id != case.id:
        raise _Rejected("invalid", "payload.visit_id names no visit of this case.")
    if not leads_team_of(user, visit.agent):
        raise _Rejected("invalid", "Only the lead of the visit's team decides its review.")
    # Locked and re-read: two leads deciding at once are serialised here, and the second
    # compares its expected state with the first one's decision, not with a stale copy.
    review = _locked_review(session, visit)
    if review is None:
        review = Review(visit_id=visit.id, state="pending", comment="")
        session.add(review)
    if rec.expected_state is not None and rec.expected_state.value != review.state:
        raise _Rejected("conflict", "{who} already decided this visit ({state}) at {when}.",
                        **conflict_values(review))
    if rec.decision == "return" and not rec.comment.strip():
        raise _Rejected("invalid", "payload.comment: a returned visit needs a comment for the agent.")
    if rec.decision == "escalate" and not rec.comment.strip():
        raise _Rejected("invalid", "payload.comment: an escalated visit needs a comment saying why.")
    # The comment reaches the agent as a task: personal numbers are masked, and wording
    # against the conduct rules is named in the audit (categories only, never the text).
    comment = clean_text(rec.comment)
    review.state = DECISION_STATES[rec.decision]
    review.comment = comment.text
    review.decided_by = user.id
    review.decided_at = rec.decided_at
    session.flush()
    session.expire(review, ["decider"])
    extra: dict[str, object] = {}
    if comment.conduct:
        extra["conduct"] = comment.conduct
    if comment.masked:
        extra["masked"] = comment.masked
    audit.record(session, "review." + review.state, "visit", visit.id, user.id, item_id=item.id, **extra)
