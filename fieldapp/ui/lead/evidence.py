"""One visit's evidence, for the decision: who, when and where (check-in time and distance),
the policy decision rule by rule, the conversation transcript, the outcome and notes, the
signed documents (the agreement and the visit report) with their verification results, and
the review's history. Approve, return
with a comment, or escalate.

The evidence comes from the laptop (it was pulled with the queue), so it reads offline.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from fieldapp.core.errors import BadInput
from fieldapp.policy import Decision
from fieldapp.ui.context import AppContext
from fieldapp.ui.formatting import NONE, money_text, time_text
from fieldapp.ui.i18n import N_
from fieldapp.ui.lead.labels import (LIST_SEPARATOR, STATE_COLOURS, exception_labels, location_reason, metres_text,
                                     note_warning_texts, outcome_label, pending_text, state_label)
from fieldapp.ui.lead.queue import title_font
from fieldapp.ui.lead.service import LeadServiceLike
from fieldapp.ui.lead.transcript import TranscriptReader, TranscriptTable
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.visit.decision_view import DecisionView
from fieldapp.ui.visit.pdf_preview import PdfPreview
from fieldapp.ui.visit.style import BLOCK, PASS, WARN, WARN_FILL, banner, wrapped_label

TABS = (N_("Policy check"), N_("Conversation"), N_("Outcome and notes"), N_("Signed documents"), N_("History"))
DOCUMENTS = {"agreement": N_("Repayment agreement"), "report": N_("Visit report")}
OPEN_DECISIONS = {"pending": frozenset({"approve", "return", "escalate"}),
                  "escalated": frozenset({"approve", "return"})}
EVENTS = {"received": N_("Received from {who}"), "approved": N_("Approved by {who}"),
          "returned": N_("Returned by {who}"), "escalated": N_("Escalated by {who}"),
          "pending": N_("Reopened by {who}"), "replied": N_("Answered by {who}")}


class EvidenceScreen(QWidget):
    back_requested = Signal()
    decision_requested = Signal(str, str)  # visit id, decision (approve | return | escalate)

    def __init__(self, ctx: AppContext, service: LeadServiceLike, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("leadEvidence")
        self._ctx, self._service, self._lang = ctx, service, ctx.language
        self.evidence: Any = None

        self.back_button = QPushButton(self)
        self.back_button.setObjectName("evidenceBack")
        self.back_button.clicked.connect(self.back_requested)
        self.title = QLabel(self)
        self.title.setObjectName("evidenceTitle")
        title_font(self.title, 1.3)
        self.facts = wrapped_label(self, "evidenceFacts")
        self.state = wrapped_label(self, "evidenceState", bold=True)
        self.exceptions = wrapped_label(self, "evidenceExceptions")

        self.checkin_title = wrapped_label(self, "checkinTitle", bold=True)
        self.checkin = DecisionView(ctx.language, self)
        self.planning_title = wrapped_label(self, "planningTitle", bold=True)
        self.planning = DecisionView(ctx.language, self)
        policy_page = QWidget(self)
        policy_layout = QVBoxLayout(policy_page)
        for widget in (self.checkin_title, self.checkin, self.planning_title, self.planning):
            policy_layout.addWidget(widget)
        policy_layout.addStretch(1)
        policy_scroll = QScrollArea(self)
        policy_scroll.setWidgetResizable(True)
        policy_scroll.setWidget(policy_page)

        self.transcript = TranscriptTable(self)

        self.outcome = wrapped_label(self, "evidenceOutcome", factor=1.1, bold=True)
        self.outcome_facts = wrapped_label(self, "evidenceOutcomeFacts")
        self.notes_title = wrapped_label(self, "notesTitle", bold=True)
        self.notes = QPlainTextEdit(self)
        self.notes.setObjectName("evidenceNotes")
        self.notes.setReadOnly(True)
        self.note_warnings = wrapped_label(self, "noteWarnings", colour=WARN)
        notes_page = QWidget(self)
        notes_layout = QVBoxLayout(notes_page)
        for widget in (self.outcome, self.outcome_facts, self.notes_title, self.notes, self.note_warnings):
            notes_layout.addWidget(widget)

        self.verification = wrapped_label(self, "pdfVerification")
        self.pdf = PdfPreview(ctx.language, self)
        self.document_label = QLabel(self)
        self.document_choice = QComboBox(self)
        self.document_choice.setObjectName("documentChoice")
        self.document_choice.currentIndexChanged.connect(lambda *_: self._show_document())
        choice_row = QHBoxLayout()
        choice_row.addWidget(self.document_label)
        choice_row.addWidget(self.document_choice, 1)
        pdf_page = QWidget(self)
        pdf_layout = QVBoxLayout(pdf_page)
        pdf_layout.addLayout(choice_row)
        pdf_layout.addWidget(self.verification)
        pdf_layout.addWidget(self.pdf, 1)

        self.history = QTableWidget(0, 2, self)
        self.history.setObjectName("history")
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.verticalHeader().hide()
        self.history.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.history.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("evidenceTabs")
        for page in (policy_scroll, self.transcript, notes_page, pdf_page, self.history):
            self.tabs.addTab(page, "")
        from fieldapp.ui.field.photos import PhotoStrip

        self.photos = PhotoStrip(ctx, service, self)  # the visit's photo evidence
        self.tabs.addTab(self.photos, "")

        self.approve_button = QPushButton(self)
        self.approve_button.setObjectName("approveButton")
        self.return_button = QPushButton(self)
        self.return_button.setObjectName("returnButton")
        self.escalate_button = QPushButton(self)
        self.escalate_button.setObjectName("escalateButton")
        for button, decision in ((self.approve_button, "approve"), (self.return_button, "return"),
                                 (self.escalate_button, "escalate")):
            button.setMinimumHeight(36)
            button.clicked.connect(lambda _=False, d=decision: self._decide(d))
        self.decide_note = wrapped_label(self, "decideNote")

        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(self.title, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.decide_note, 1)
        for button in (self.approve_button, self.return_button, self.escalate_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.facts)
        layout.addWidget(self.state)
        layout.addWidget(self.exceptions)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()

    # ------------------------------------------------------------------ data
    @property
    def visit_id(self) -> str | None:
        return self.evidence.item.visit_id if self.evidence is not None else None

    def open_visit(self, visit_id: str) -> None:
        (self._ctx.tasks.db(self._service.evidence, visit_id, label="lead_evidence")
         .with_parent(self).success(self.show_evidence).start())

    def show_evidence(self, evidence: Any) -> None:
        self.evidence = evidence
        visit = evidence.item.visit
        kinds = [k for k, present in (("agreement", visit.agreement is not None),
                                      ("report", visit.report_sha256 is not None)) if present]
        self.document_choice.blockSignals(True)
        self.document_choice.clear()
        for kind in kinds:
            self.document_choice.addItem(self._lang.tr(DOCUMENTS[kind]), kind)
        self.document_choice.blockSignals(False)
        self.tabs.setTabEnabled(3, bool(kinds))
        self.photos.show_item(evidence.item)
        self._show_document()

    def document_kind(self) -> str | None:
        """The signed document shown: `agreement`, `report`, or None."""
        return self.document_choice.currentData()

    def show_document(self, kind: str) -> None:
        self.document_choice.setCurrentIndex(max(self.document_choice.findData(kind), 0))

    def _show_document(self) -> None:
        ev, kind = self.evidence, self.document_kind()
        data = None if ev is None else ev.pdf if kind == "agreement" else ev.report if kind == "report" else None
        if data is not None:
            self.pdf.set_pdf(data)
        else:
            self.pdf.clear()
        self.retranslate()

    def _decide(self, decision: str) -> None:
        if self.visit_id:
            emit(self.decision_requested, self.visit_id, decision)

    def allowed_decisions(self) -> frozenset[str]:
        """What the lead may decide now: everything on a visit to review; on an escalated
        one, approve or return (escalating again says nothing new); nothing once it is
        approved or returned (a return waits for the agent's answer), while a decision of
        the lead's own waits to be sent, or when a correction replaces the visit."""
        ev = self.evidence
        if ev is None or ev.item.superseded_by:
            return frozenset()
        if ev.pending_decision and ev.pending_state in ("waiting", "sending"):
            return frozenset()
        return OPEN_DECISIONS.get(str(ev.item.review.state), frozenset())

    def can_decide(self) -> bool:
        return bool(self.allowed_decisions())

    # ------------------------------------------------------------------ text
    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.back_button.setText(tr("Back to the queue"))
        self.approve_button.setText(tr("Approve"))
        self.return_button.setText(tr("Return to the agent…"))
        self.escalate_button.setText(tr("Escalate…"))
        for i, label in enumerate(TABS):
            self.tabs.setTabText(i, tr(label))
        self.tabs.setTabText(len(TABS), self.photos.title())
        self.notes_title.setText(tr("The agent's notes"))
        self.document_label.setText(tr("Document:"))
        for i in range(self.document_choice.count()):
            self.document_choice.setItemText(i, tr(DOCUMENTS[self.document_choice.itemData(i)]))
        self.transcript.setHorizontalHeaderLabels([tr("Time"), tr("Said or asked"), tr("Answer")])
        self.history.setHorizontalHeaderLabels([tr("Time"), tr("Event")])
        allowed = self.allowed_decisions()
        for button, decision in ((self.approve_button, "approve"), (self.return_button, "return"),
                                 (self.escalate_button, "escalate")):
            button.setEnabled(decision in allowed)
        ev = self.evidence
        if ev is None:
            self.title.setText(tr("No visit chosen"))
            for label in (self.facts, self.state, self.exceptions, self.decide_note):
                label.setText("")
            return
        item, visit, tz = ev.item, ev.item.visit, ev.item.case.timezone
        self.title.setText(tr("Visit of {customer} · case {reference}", customer=item.case.customer_name,
                              reference=item.case.reference))
        self._facts(item, visit, tz)
        self._state(ev)
        self._decisions(visit)
        self._transcript(item, visit)
        self._outcome(item, visit)
        self._verification(ev)
        self._history(item.history, tz)
        self.decide_note.setText(self._decide_note(ev, allowed))

    def _decide_note(self, ev: Any, allowed: frozenset[str]) -> str:
        tr, review = self._lang.tr, ev.item.review
        if ev.item.superseded_by:
            return tr("A corrected visit replaces this one; decide on the correction.")
        if ev.pending_decision and ev.pending_state in ("waiting", "sending"):
            return tr("Your decision waits to be sent; sync to send it.")
        who = (review.decided_by.display_name or review.decided_by.username) if review.decided_by else NONE
        if str(review.state) == "approved":
            return tr("Approved by {who}: nothing more to decide.", who=who)
        if str(review.state) == "returned":
            return tr("Returned by {who}: it waits for the agent's answer.", who=who)
        if str(review.state) == "escalated" and allowed:
            return tr("Escalated by {who}: approve or return it once it is settled.", who=who)
        return ""

    def _facts(self, item: Any, visit: Any, tz: str) -> None:
        tr = self._lang.tr
        lines = [tr("Agent: {agent} · started {start} · checked in {checkin} · ended {end} (customer's time)",
                    agent=f"{item.agent.display_name} ({item.agent.username})",
                    start=time_text(visit.agent_started_at, tz), checkin=time_text(visit.checked_in_at, tz),
                    end=time_text(visit.ended_at, tz))]
        if visit.location is not None:
            distance = metres_text(visit.distance_m, tr)
            if visit.location.accuracy_m is not None:
                distance = tr("{distance} (±{metres} m)", distance=distance,
                              metres=f"{visit.location.accuracy_m:.0f}")
            lines.append(tr("Distance to the address at check-in: {distance}{accuracy}", distance=distance,
                            accuracy=""))
        else:
            lines.append(tr("No location was recorded at check-in. The agent's reason: {reason}",
                            reason=location_reason(visit.location_exception, tr) or NONE))
        lines.append(tr("{customer}, {address} · amount due {amount}", customer=item.case.customer_name,
                        address=item.case.address, amount=money_text(item.case.amount_due, item.case.currency)))
        if visit.corrects_visit_id:
            lines.append(tr("This visit corrects an earlier one that was returned."))
        self.facts.setText("\n".join(lines))

    def _state(self, ev: Any) -> None:
        tr = self._lang.tr
        review = ev.item.review
        text = tr("Review: {state}", state=state_label(review.state, tr))
        if review.decided_by is not None and review.decided_at is not None:
            text += " · " + tr("by {who} at {when}", who=review.decided_by.display_name,
                               when=time_text(review.decided_at, self._ctx.zone()))
        if review.comment:
            text += "\n" + tr("Comment: {comment}", comment=review.comment)
        replies = list(getattr(ev.item, "replies", None) or [])
        if replies:
            last = replies[-1]
            text += "\n" + tr("{agent} answered on {when}: “{comment}”", agent=last.by.display_name or last.by.username,
                              when=time_text(last.at, ev.item.case.timezone), comment=last.comment)
        pending = pending_text(ev.pending_decision, ev.pending_state, ev.pending_reason, tr)
        if pending:
            text += "\n" + pending
        self.state.setText(text)
        colour = BLOCK if ev.pending_state == "rejected" else STATE_COLOURS.get(review.state, "#5f6368")
        banner(self.state, colour)
        kinds = ev.item.exceptions
        self.exceptions.setText(tr("Compliance exceptions: {kinds}", kinds=exception_labels(kinds, tr))
                                if kinds else tr("No compliance exceptions."))
        self.exceptions.setStyleSheet(f"color: {WARN if kinds else PASS};")

    def _decisions(self, visit: Any) -> None:
        tr = self._lang.tr
        for view, title, data, text in ((self.checkin, self.checkin_title, visit.checkin_decision,
                                         N_("At check-in")),
                                        (self.planning, self.planning_title, visit.planning_decision,
                                         N_("When the visit was planned"))):
            view.setVisible(data is not None)
            title.setText(tr(text) if data is not None else tr(text) + " — " + tr("No decision was recorded."))
            if data is None:
                view.set_decision(None)
                continue
            try:
                view.set_decision(Decision.from_json(data, where="visit"))
            except BadInput as exc:
                view.set_decision(None, [tr("The stored decision cannot be read: {reason}", reason=str(exc))])

    def _transcript(self, item: Any, visit: Any) -> None:
        reader = TranscriptReader(visit.script_id, item.case.currency, item.case.timezone, self._lang.tr,
                                  self._lang.code)
        self.transcript.set_rows(reader.rows(visit.transcript))

    def _outcome(self, item: Any, visit: Any) -> None:
        tr = self._lang.tr
        self.outcome.setText(tr("Outcome: {outcome}", outcome=outcome_label(visit.outcome.value, tr)))
        facts = [tr("Contact made") if visit.contact_made else tr("No contact with the customer")]
        if visit.promise is not None:
            facts.append(tr("Promise to pay {amount} by {date}", amount=money_text(visit.promise.amount,
                            visit.promise.currency), date=visit.promise.due_date.isoformat()))
        if visit.agreement is not None:
            facts.append(tr("Agreement {id} over {amount}", id=visit.agreement.agreement_id,
                            amount=money_text(visit.agreement.total, visit.agreement.currency)))
        self.outcome_facts.setText("\n".join(facts))
        notes = visit.notes or tr("(no notes)")
        for reply in getattr(item, "replies", None) or []:
            if reply.notes:
                who = reply.by.display_name or reply.by.username
                notes += "\n\n" + tr("Corrected by {agent} on {when}:", agent=who,
                                      when=time_text(reply.at, item.case.timezone)) + "\n" + reply.notes
        self.notes.setPlainText(notes)
        if visit.note_warnings:
            self.note_warnings.setText(tr("The phrase check flagged these notes and the agent kept them: {hits}",
                                          hits=tr(LIST_SEPARATOR).join(note_warning_texts(visit.note_warnings, tr))))
            self.note_warnings.show()
        else:
            self.note_warnings.hide()

    def _verification(self, ev: Any) -> None:
        tr, visit = self._lang.tr, ev.item.visit
        if self.document_kind() == "report":
            self._verdict(ev.report_error, ev.report_problems,
                          tr("Verification failed: the visit report is not intact."),
                          tr("Verified: the visit report is intact, signed by the agent's laptop (SHA-256 {sha}…).",
                             sha=(visit.report_sha256 or "")[:16]))
            return
        agreement = visit.agreement
        if agreement is None:
            self.verification.setText(tr("No agreement was signed at this visit."))
            banner(self.verification, None)
            return
        self._verdict(ev.pdf_error, ev.pdf_problems, tr("Verification failed: the PDF does not match its terms."),
                      tr("Verified: the PDF matches the signed terms (SHA-256 {sha}…).",
                         sha=agreement.terms_sha256[:16]))
        from fieldapp.ui.lead.labels import READINGS

        how = agreement.read_before_signing
        self.verification.setText(self.verification.text() + "\n" + (
            tr(READINGS[how]) if how in READINGS
            else tr("The visit record does not say whether the customer read the agreement before signing.")))

    def _verdict(self, error: str | None, problems: list[str], failed: str, verified: str) -> None:
        """A signed document's verdict: not here (why), not intact (what), or verified."""
        if error:
            self.verification.setText(error)
            banner(self.verification, WARN_FILL, WARN)
        elif problems:
            self.verification.setText(failed + "\n" + "\n".join(f"• {p}" for p in problems))
            banner(self.verification, BLOCK)
        else:
            self.verification.setText(verified)
            banner(self.verification, PASS)

    def _history(self, events: list[Any], tz: str) -> None:
        tr = self._lang.tr
        self.history.setRowCount(len(events))
        for row, event in enumerate(events):
            self.history.setItem(row, 0, QTableWidgetItem(time_text(event.at, self._ctx.zone())))
            self.history.setItem(row, 1, QTableWidgetItem(tr(EVENTS.get(event.action, "{who}"), who=event.by or NONE)))


__all__ = ["EvidenceScreen"]
