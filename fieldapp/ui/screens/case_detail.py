"""One case in full: customer, debt, appointment, the notices sent and the visits made,
the policy's decision rule by rule, and the button that starts (or resumes) the visit.
"Map…" shows the case on a map: the address, the policy's fence and the check-ins.

A blocked visit cannot start: the visit flow's own pre-check refuses it, and this
button is disabled already, with the blocking rules written beside it. A visit the team
lead returned shows the lead's comment on top; the next visit corrects it. The signed
agreements and visit reports of the case's visits reopen in a document viewer (the
customer's copy: print or save), from the button under the visits or by double-clicking a
visit of the history.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.appointment_words import CUSTOMER_TASKS, customer_task_text, state_text
from fieldapp.ui.case_data import CaseView
from fieldapp.ui.context import AppContext
from fieldapp.ui.formatting import NONE, money_text, time_text, window_text
from fieldapp.ui.i18n import N_, language_label, zone_label
from fieldapp.ui.models.case_table import FLAG_LABELS
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.screens.returned_task import ReplyDialog, ReturnedTaskBar, review_text
from fieldapp.ui.widgets.compliance import COLOURS, ComplianceState

CHANNELS = {"sms": N_("SMS"), "phone": N_("Phone call"), "letter": N_("Letter"), "email": N_("Email"),
            "app": N_("App message"), "in_person": N_("In person")}
OUTBOX_STATES = {"waiting": N_("waiting to be sent"), "sending": N_("sent, waiting for the server's answer"),
                 "accepted": N_("accepted by the server"), "rejected": N_("rejected by the server")}
CUSTOMER_FIELDS = (("address", N_("Address")), ("phone", N_("Phone")), ("id_tail", N_("ID (last 4)")),
                   ("language", N_("Language")), ("timezone", N_("Time zone")), ("flags", N_("Flags")))
DEBT_FIELDS = (("amount", N_("Amount due")), ("days", N_("Days overdue")), ("tier", N_("Tier")),
               ("product", N_("Product")), ("policy", N_("Policy")))
APPOINTMENT_FIELDS = (("window", N_("When")), ("status", N_("Status")))
APPOINTMENT_STATES = {"scheduled": N_("scheduled"), "cancelled": N_("cancelled"), "done": N_("done")}


def _form(box: QGroupBox, fields: tuple[tuple[str, str], ...]) -> tuple[dict[str, QLabel], dict[str, QLabel]]:
    form = QFormLayout(box)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
    titles, values = {}, {}
    for key, _label in fields:
        titles[key] = QLabel(box)
        values[key] = QLabel(box)
        values[key].setObjectName(f"detail_{key}")
        values[key].setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(titles[key], values[key])
    return titles, values


def _tree(parent: QWidget, name: str, columns: int) -> QTreeWidget:
    tree = QTreeWidget(parent)
    tree.setObjectName(name)
    tree.setColumnCount(columns)
    tree.setRootIsDecorated(False)
    tree.setMinimumHeight(90)
    tree.setMaximumHeight(150)
    tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    tree.header().setStretchLastSection(True)
    return tree


class CaseDetailScreen(QWidget):
    back_requested = Signal()
    start_visit = Signal(str)   # case id
    sync_requested = Signal()   # work was recorded here (an answer to the lead): send it

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caseDetail")
        self._ctx = ctx
        self._lang = ctx.language
        self.view: CaseView | None = None
        self.case_id: str | None = None
        self.visit_in_progress = False  # a live visit of this case is open in the app
        self.row: Any = None            # the case list's row of this case
        self.decision_view: Any = None  # fieldapp.ui.visit.decision_view.DecisionView, made on first use

        self.back_button = QPushButton(self)
        self.back_button.setObjectName("backButton")
        self.back_button.clicked.connect(self.back_requested)
        self.title = QLabel(self)
        self.title.setObjectName("caseTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = QLabel(self)
        self.subtitle.setObjectName("caseSubtitle")
        self.start_button = QPushButton(self)
        self.start_button.setObjectName("startVisit")
        self.start_button.setMinimumHeight(44)
        self.start_button.setMinimumWidth(200)
        bold = self.start_button.font()
        bold.setBold(True)
        bold.setPointSizeF(bold.pointSizeF() * 1.1)
        self.start_button.setFont(bold)
        self.start_button.clicked.connect(self._start)
        self.propose_button = QPushButton(self)
        self.propose_button.setObjectName("proposeTime")
        self.propose_button.setMinimumHeight(44)
        self.propose_button.clicked.connect(self.ask_time)
        self.propose_dialog: Any = None
        self.contact_button = QPushButton(self)
        self.contact_button.setObjectName("contactCustomer")
        self.contact_button.setMinimumHeight(44)
        self.contact_button.clicked.connect(self.ask_contact)
        self.contact_dialog: Any = None
        self.photos_button = QPushButton(self)
        self.photos_button.setObjectName("visitPhotos")
        self.photos_button.setMinimumHeight(44)
        self.photos_button.clicked.connect(self.ask_photos)
        self.photo_dialog: Any = None
        self.map_button = QPushButton(self)
        self.map_button.setObjectName("caseMapButton")
        self.map_button.setMinimumHeight(44)
        self.map_button.clicked.connect(self.open_map)
        self.map_dialog: Any = None
        self.start_reason = QLabel(self)
        self.start_reason.setObjectName("startReason")
        self.start_reason.setWordWrap(True)
        self.returned = ReturnedTaskBar(ctx.language, self)
        self.returned.answer_requested.connect(self.answer_return)
        self.task_banner = self.returned.label
        self.reply_dialog: ReplyDialog | None = None

        content = QWidget(self)
        self.customer_box = QGroupBox(content)
        self.customer_titles, self.customer_values = _form(self.customer_box, CUSTOMER_FIELDS)
        self.debt_box = QGroupBox(content)
        self.debt_titles, self.debt_values = _form(self.debt_box, DEBT_FIELDS)
        self.appointment_box = QGroupBox(content)
        self.appointment_titles, self.appointment_values = _form(self.appointment_box, APPOINTMENT_FIELDS)
        self.notices_box = QGroupBox(content)
        self.notices = _tree(self.notices_box, "noticeList", 3)
        QVBoxLayout(self.notices_box).addWidget(self.notices)
        self.visits_box = QGroupBox(content)
        self.visits = _tree(self.visits_box, "visitHistory", 5)
        self.local_work = QLabel(self.visits_box)
        self.local_work.setObjectName("localWork")
        self.local_work.setWordWrap(True)
        self.documents_info = QLabel(self.visits_box)
        self.documents_info.setObjectName("documentsInfo")
        self.documents_info.setWordWrap(True)
        self.documents_button = QPushButton(self.visits_box)
        self.documents_button.setObjectName("openDocuments")
        self.documents_button.setMinimumHeight(36)
        self.documents_button.clicked.connect(lambda: self.open_documents())
        self.visits.itemDoubleClicked.connect(lambda item, _col: self.open_visit_documents(
            item.data(0, Qt.ItemDataRole.UserRole)))
        self.document_viewer: Any = None
        documents_row = QHBoxLayout()
        documents_row.addWidget(self.documents_info, 1)
        documents_row.addWidget(self.documents_button)
        visits_layout = QVBoxLayout(self.visits_box)
        visits_layout.addWidget(self.visits)
        visits_layout.addWidget(self.local_work)
        visits_layout.addLayout(documents_row)
        self.decision_box = QGroupBox(content)
        self.decision_layout = QVBoxLayout(self.decision_box)

        grid = QGridLayout(content)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.customer_box, 0, 0)
        grid.addWidget(self.debt_box, 0, 1)
        grid.addWidget(self.appointment_box, 1, 0)
        grid.addWidget(self.notices_box, 1, 1)
        grid.addWidget(self.decision_box, 2, 0, 1, 2)
        grid.addWidget(self.visits_box, 3, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(4, 1)
        scroll = QScrollArea(self)
        scroll.setObjectName("detailScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)

        head = QHBoxLayout()
        head.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignTop)
        names = QVBoxLayout()
        names.addWidget(self.title)
        names.addWidget(self.subtitle)
        head.addLayout(names, 1)
        head.addWidget(self.contact_button, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.photos_button, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.map_button, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.propose_button, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.start_reason)
        layout.addWidget(self.returned)
        layout.addWidget(scroll, 1)
        self._lang.changed.connect(self.retranslate)
        self.retranslate()

    # ------------------------------------------------------------------ public
    def open_case(self, case_id: str, row: Any = None) -> None:
        """Load `case_id` from the store (database worker) and show it; `row` is its line in
        the case list when known (it says whether the case was withdrawn)."""
        if case_id != self.case_id:
            self.view = None
            self._close_map()
        self.case_id = case_id
        self.row = row
        self.retranslate()
        self.reload()

    def reload(self) -> None:
        if self.case_id is None or self._ctx.service is None:
            return
        from fieldapp.ui.case_data import load_case_view

        case_id = self.case_id
        (self._ctx.tasks.db(load_case_view, self._ctx.service, case_id, self._lang.code, label="load_case")
         .with_parent(self)
         .success(lambda view: self._on_loaded(case_id, view))
         .failure(self._on_failed)
         .start())

    def clear(self) -> None:
        """Show no case (signed out)."""
        self.case_id, self.view, self.row, self.visit_in_progress = None, None, None, False
        self._close_map()
        self.retranslate()

    def ask_time(self) -> Any:
        """Open the dialog proposing a visit time (the customer's requested time first)."""
        from fieldapp.ui.screens.propose_dialog import ProposeDialog

        if self.view is None:
            return None
        rec = self.view.record
        asked = [t for t in self.view.tasks if t.kind == "reschedule_requested" and t.requested_start]
        requested = (asked[-1].requested_start, asked[-1].requested_end) if asked else None
        replaces = rec.appointment.id if rec.appointment is not None and asked else None
        dialog = ProposeDialog(self._ctx, rec, self, requested=requested, replaces_id=replaces)
        self.propose_dialog = dialog

        def done(result: int) -> None:
            self.propose_dialog = None
            dialog.deleteLater()
            if result == ProposeDialog.DialogCode.Accepted:
                self.reload()

        dialog.finished.connect(done)
        dialog.open()
        return dialog

    def ask_contact(self) -> Any:
        """Open the call-or-message dialog (non-modal); each logged attempt reloads the case."""
        from fieldapp.ui.field.contact_dialog import ContactDialog

        if self.view is None:
            return None
        dialog = ContactDialog(self._ctx, self.view, self)
        self.contact_dialog = dialog
        dialog.logged.connect(lambda _id: self.reload())
        dialog.finished.connect(lambda _r: (setattr(self, "contact_dialog", None), dialog.deleteLater()))
        dialog.open()
        return dialog

    def ask_photos(self) -> Any:
        """Open the photo evidence dialog (non-modal) for the case's next visit."""
        from fieldapp.ui.field.photos import PhotoDialog

        if self.view is None:
            return None
        dialog = PhotoDialog(self._ctx, self.view.record, self)
        self.photo_dialog = dialog
        dialog.finished.connect(lambda _r: (setattr(self, "photo_dialog", None), dialog.deleteLater()))
        dialog.open()
        return dialog

    def open_map(self) -> Any:
        """The case on a map (non-modal): the customer's address, the policy's fence and
        where each visit recorded here checked in, with the distances beside."""
        from fieldapp.ui.map.case_map import CaseMapDialog

        if self.view is None:
            return None
        self._close_map()
        dialog = CaseMapDialog(self._ctx, self.view.record, self)
        self.map_dialog = dialog
        dialog.finished.connect(lambda _r: (setattr(self, "map_dialog", None), dialog.deleteLater()))
        dialog.open()
        return dialog

    def _close_map(self) -> None:
        if self.map_dialog is not None:
            self.map_dialog.close()  # `finished` forgets it

    @property
    def can_start(self) -> bool:
        return self.start_button.isEnabled()

    # ------------------------------------------------------------------ internals
    def _on_loaded(self, case_id: str, view: CaseView) -> None:
        if case_id == self.case_id:
            self.view = view
            self.retranslate()

    def _on_failed(self, exc: Exception) -> None:
        from fieldapp.ui.errors import describe

        self.view = None
        self.retranslate()
        self.start_reason.setText(describe(exc, self._lang).message)
        self.start_reason.show()

    def _start(self) -> None:
        if self.case_id is not None and self.can_start:
            emit(self.start_visit, self.case_id)

    def answer_return(self, visit_id: str) -> ReplyDialog | None:
        """Open the answer to the returned visit (non-modal); sent through the outbox."""
        task = self.returned.task
        service = self._ctx.service
        if task is None or task.visit_id != visit_id or service is None:
            return None
        notes = None
        if hasattr(service, "outbox_payload"):
            try:
                payload = service.outbox_payload(visit_id)  # the visit as this laptop sent it
            except Exception:  # noqa: BLE001 - a purged or unreadable payload: no notes to offer
                payload = None
            notes = payload.get("notes") if isinstance(payload, dict) else None
        dialog = ReplyDialog(self._lang, task, notes, self)
        self.reply_dialog = dialog

        def done(result: int) -> None:
            self.reply_dialog = None
            dialog.deleteLater()
            if result == ReplyDialog.DialogCode.Accepted:
                (self._ctx.tasks.db(service.reply, visit_id, dialog.text(), dialog.corrected_notes(),
                                    label="reply_to_lead")
                 .with_parent(self)
                 .success(lambda _item: (self.reload(), emit(self.sync_requested)))
                 .start())

        dialog.finished.connect(done)
        dialog.open()
        return dialog

    def open_documents(self, visit_id: str | None = None) -> Any:
        """The document viewer over this case's signed documents, at `visit_id`'s agreement (or
        its report) when given, else at the newest; None when the case has none here."""
        rows = list(self.view.documents) if self.view is not None else []
        if not rows or self.case_id is None:
            return None
        from fieldapp.ui.screens.document_viewer import DocumentViewer

        if self.document_viewer is not None:
            self.document_viewer.close()
            self.document_viewer.deleteLater()
        viewer = DocumentViewer(self._ctx, self.case_id, rows, self,
                                timezone=self.view.record.customer.timezone if self.view else None)
        self.document_viewer = viewer
        target = next((r for r in rows if r.visit_id == visit_id), rows[0])
        viewer.show()
        viewer.show_document(target.visit_id, target.kind)
        return viewer

    def open_visit_documents(self, visit_id: str | None) -> Any:
        """From the visit history: that visit's documents (None when none is on this laptop)."""
        rows = self.view.documents if self.view is not None else []
        if not visit_id or not any(r.visit_id == visit_id for r in rows):
            return None
        return self.open_documents(visit_id)

    def _ensure_decision_view(self) -> Any:
        if self.decision_view is None:
            from fieldapp.ui.visit.decision_view import DecisionView

            self.decision_view = DecisionView(self._lang, self.decision_box)
            self.decision_layout.addWidget(self.decision_view)
        return self.decision_view

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.back_button.setText(tr("← Back"))
        self.back_button.setToolTip(tr("Back to the list"))
        self.propose_button.setText(tr("Propose a time…"))
        self.contact_button.setText(tr("Call or message…"))
        self.photos_button.setText(tr("Photos…"))
        self.map_button.setText(tr("Map…"))
        self.map_button.setToolTip(tr("The customer's address, the policy's fence and where the visits checked in"))
        self.propose_button.setToolTip(tr("Allowed times under the policy, clear of your other visits"))
        self.customer_box.setTitle(tr("Customer"))
        self.debt_box.setTitle(tr("Debt"))
        self.appointment_box.setTitle(tr("Appointment"))
        self.notices_box.setTitle(tr("Notices sent"))
        self.visits_box.setTitle(tr("Visits"))
        self.documents_button.setText(tr("Open the documents…"))
        self.documents_button.setToolTip(tr("Reopen, print or save the signed agreements and visit reports"))
        self.decision_box.setTitle(tr("Policy check before the visit"))
        for titles, fields in ((self.customer_titles, CUSTOMER_FIELDS), (self.debt_titles, DEBT_FIELDS),
                               (self.appointment_titles, APPOINTMENT_FIELDS)):
            for key, label in fields:
                titles[key].setText(tr(label))
        self.notices.setHeaderLabels([tr("Channel"), tr("Sent"), tr("Delivered")])
        self.visits.setHeaderLabels([tr("When"), tr("Contact made"), tr("Outcome"), tr("Agent"),
                                     tr("Team lead's review")])
        view = self.view
        if view is None:
            self.title.setText(tr("Loading the case…") if self.case_id else "")
            self.subtitle.setText("")
            self.start_button.setText(tr("Start visit"))
            self.start_button.setEnabled(False)
            self.propose_button.setEnabled(False)
            self.map_button.setEnabled(False)
            self.start_reason.hide()
            self.returned.set_task(None)
            return
        self._fill(view)

    def _fill(self, view: CaseView) -> None:
        tr, rec = self._lang.tr, view.record
        cust = rec.customer
        amount = money_text(rec.amount_due, rec.currency)
        self.title.setText(cust.name)
        self.map_button.setEnabled(True)
        self.subtitle.setText(tr("{reference} · {amount} · {days} days overdue", reference=rec.reference,
                                 amount=amount, days=rec.days_past_due))
        from fieldapp.policy.messages import policy_name  # the policy engine loads with the first case

        flags = [tr(FLAG_LABELS[f]) if f in FLAG_LABELS else str(f) for f in cust.flags]
        values = {"address": cust.address, "phone": cust.phone or NONE, "id_tail": cust.id_tail or NONE,
                  "language": language_label(cust.language, tr) or NONE,
                  "timezone": zone_label(cust.timezone, self._lang.code, tr) or NONE,
                  "flags": ", ".join(flags) if flags else tr("none")}
        for key, value in values.items():
            self.customer_values[key].setText(value)
            self.customer_values[key].setToolTip(value if key == "address" else "")
        self.customer_values["flags"].setStyleSheet(
            f"color: {COLOURS[ComplianceState.BLOCKED]}; font-weight: bold;" if flags else "")
        for key, value in {"amount": amount, "days": str(rec.days_past_due), "tier": rec.tier or NONE,
                           "product": rec.product or NONE,
                           "policy": policy_name(rec.policy_id, self._lang.code)}.items():
            self.debt_values[key].setText(value)
        self.customer_values["timezone"].setToolTip(cust.timezone)
        self.debt_values["policy"].setToolTip(rec.policy_id)
        appt = rec.appointment
        if appt is None:
            self.appointment_values["window"].setText(tr("No appointment"))
            self.appointment_values["status"].setText(NONE)
        else:
            self.appointment_values["window"].setText(
                tr("{window}, the customer's time", window=window_text(appt.start, appt.end, cust.timezone)))
            self.appointment_values["status"].setText(
                state_text(appt, tr) or tr(APPOINTMENT_STATES.get(appt.status, appt.status)))

        self.notices.clear()
        for n in sorted(rec.notifications, key=lambda n: n.sent_at):
            channel = str(n.channel)
            self.notices.addTopLevelItem(QTreeWidgetItem([
                tr(CHANNELS[channel]) if channel in CHANNELS else channel, time_text(n.sent_at, cust.timezone),
                time_text(n.delivered_at, cust.timezone) if n.delivered_at else tr("not confirmed")]))
        if not rec.notifications:
            self.notices.addTopLevelItem(QTreeWidgetItem([tr("No notice sent"), "", ""]))

        from fieldapp.ui.visit.script_player import outcome_label

        self.visits.clear()
        with_documents = {d.visit_id for d in view.documents}
        for v in sorted(rec.visits, key=lambda v: v.at, reverse=True):
            outcome = outcome_label(v.outcome, tr) if v.outcome else NONE
            if v.late:  # the former agent's work, delivered after the case came to you
                outcome = tr("{outcome} (recorded before the case changed hands, received after)",
                             outcome=outcome)
            item = QTreeWidgetItem([
                time_text(v.at, cust.timezone), tr("yes") if v.contact_made else tr("no"),
                outcome, v.agent_name or v.agent or NONE,
                review_text(v, tr, cust.timezone)])
            item.setData(0, Qt.ItemDataRole.UserRole, v.id)
            if v.id in with_documents:
                item.setToolTip(0, tr("Double-click to open this visit's signed documents"))
            self.visits.addTopLevelItem(item)
        if not rec.visits:
            self.visits.addTopLevelItem(QTreeWidgetItem([tr("No visit yet"), "", "", "", ""]))
        local = [tr("Recorded {when}: {state}", when=time_text(o.created_at, self._ctx.zone()),
                    state=tr(OUTBOX_STATES[o.state]))
                 + (f" ({o.reason})" if o.state == "rejected" and o.reason else "")
                 for o in view.outbox if o.kind == "visit" and o.state in OUTBOX_STATES]
        self.local_work.setText("\n".join(local))
        self.local_work.setVisible(bool(local))
        count = len(view.documents)
        self.documents_info.setText(tr("{count} signed document(s) of this case on this laptop", count=count)
                                    if count else tr("No signed document of this case on this laptop"))
        self.documents_button.setEnabled(bool(count))

        decision_view = self._ensure_decision_view()
        problems = []
        if view.verdict.problem is not None:
            template, params = view.verdict.problem
            problems = [tr(template, **params)]
        decision_view.set_decision(view.verdict.decision, problems)

        returned = [t for t in view.tasks if t.kind == "visit_returned"]
        answers = [t for t in view.tasks if t.kind in CUSTOMER_TASKS]
        shown = sorted(returned or answers, key=lambda t: t.created_at)[-1] if (returned or answers) else None
        self.returned.set_task(shown, zone=self._ctx.zone(), customer=cust.name, reference=rec.reference,
                               timezone=cust.timezone)
        self._fill_start(view)

    def _fill_start(self, view: CaseView) -> None:
        tr = self._lang.tr
        resume = view.has_draft or self.visit_in_progress
        self.start_button.setText(tr("Resume visit") if resume else tr("Start visit"))
        self.propose_button.setEnabled(not getattr(self.row, "withdrawn", None)
                                       and str(view.record.status) == "open")
        reason, colour = None, COLOURS[ComplianceState.BLOCKED]
        state = view.verdict.state
        if getattr(self.row, "withdrawn", None):
            enabled = False
            reason = tr("This case is no longer assigned to you; it stays here until your unsent work is sent.")
        elif resume:
            enabled = True
            reason, colour = tr("A visit to this customer was interrupted; it resumes where it stopped."), "#5f6368"
        elif state is ComplianceState.BLOCKED:
            enabled = False
            reason = tr("This visit cannot start: {reasons}",
                        reasons=" ".join(view.verdict.reasons(self._lang.code, tr)))
        else:
            enabled = True
            if state is ComplianceState.WARNING:
                reason, colour = tr("Allowed, with warnings the team lead will see."), "#8a6100"
        if view.unsent and not resume:
            extra = tr("A visit recorded on this laptop is waiting to be sent.")
            reason = f"{reason} {extra}" if reason else extra
            colour = colour if reason != extra else "#5f6368"
        self.start_button.setEnabled(enabled)
        self.start_button.setToolTip(reason or tr("Start the guided visit"))
        self.start_reason.setText(reason or "")
        self.start_reason.setStyleSheet(f"color: {colour};")
        self.start_reason.setVisible(bool(reason))
