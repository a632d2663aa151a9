"""The outbox as a table: every item recorded on this laptop, with where it stands.

States come from the store: waiting (not sent yet), sending (sent, the server's answer
not in yet), accepted (or a duplicate the server already had), rejected (with the
server's reason, which stays visible: nothing is dropped silently), quarantined (set
aside on this laptop because its data there is damaged; never sent, shown with why).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Callable, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QIcon

from fieldapp.ui.formatting import time_text
from fieldapp.ui.i18n import N_, Language
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.widgets.compliance import ComplianceState, compliance_icon

ITEM_ID_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 2


class OutboxColumn(IntEnum):
    STATE = 0
    CREATED = 1
    CASE = 2
    KIND = 3
    DETAILS = 4


HEADERS = {
    OutboxColumn.STATE: N_("State"),
    OutboxColumn.CREATED: N_("Recorded"),
    OutboxColumn.CASE: N_("Case"),
    OutboxColumn.KIND: N_("Item"),
    OutboxColumn.DETAILS: N_("Details"),
}
STATE_LABELS = {
    "waiting": N_("Waiting"),
    "sending": N_("Sent"),
    "accepted": N_("Accepted"),
    "rejected": N_("Rejected"),
    "quarantined": N_("Set aside"),
}
STATE_TIPS = {
    "waiting": N_("Kept on this laptop until the next sync sends it"),
    "sending": N_("Sent; the server's answer has not arrived yet"),
    "accepted": N_("The server has it"),
    "rejected": N_("The server refused it; the reason is shown"),
    "quarantined": N_("Kept on this laptop but never sent: its data here is damaged; the reason is shown"),
}
KIND_LABELS = {"visit": N_("Visit record"), "review_decision": N_("Review decision"),
               "practice": N_("Practice completed"), "appointment_proposal": N_("Appointment proposal"),
               "contact_attempt": N_("Call or message")}
_LIGHTS = {"waiting": ComplianceState.UNKNOWN, "sending": ComplianceState.WARNING,
           "accepted": ComplianceState.ALLOWED, "rejected": ComplianceState.BLOCKED,
           "quarantined": ComplianceState.BLOCKED}
NEEDS_ATTENTION = ("rejected", "quarantined")
_REJECTED_BRUSH = QBrush(QColor("#fdecea"))


def details(row: Any, tr: Any) -> str:
    """What the agent needs to know about one item, in words."""
    if row.state == "rejected":
        return tr("Rejected by the server: {reason}", reason=row.reason or row.code or "?")
    if row.state == "quarantined":
        # The reason is one of the store's own sentences (outbox.QUARANTINE_REASONS), which
        # the merged catalogs translate.
        return tr("Set aside on this laptop, not sent: {reason}", reason=tr(row.reason or row.code or "?"))
    if row.state == "accepted":
        if row.server_status == "duplicate":
            return tr("The server already had it.")
        return tr("Received by the server.")
    parts = []
    if row.attachments:
        parts.append(tr("{count} attachments.", count=len(row.attachments)))
    if row.state == "sending":
        parts.append(tr("Waiting for the server's answer."))
    elif row.attempts and row.last_error:
        parts.append(tr("Not sent yet ({tries} tries): {error}", tries=row.attempts, error=row.last_error))
    else:
        parts.append(tr("Will be sent at the next sync."))
    return " ".join(parts)


class OutboxModel(QAbstractTableModel):
    def __init__(self, language: Language, parent: Any = None, *, zone: Callable[[], Any] | None = None) -> None:
        super().__init__(parent)
        self._lang = language
        self._zone = zone  # the user's zone, for the times recorded (None: this computer's)
        self._rows: list[Any] = []
        language.changed.connect(self._on_language_changed)

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        # Newest first: the item just recorded is on top.
        self._rows = sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def row_for_id(self, item_id: str) -> int | None:
        for position, row in enumerate(self._rows):
            if row.id == item_id:
                return position
        return None

    def counts(self) -> dict[str, int]:
        out = {state: 0 for state in STATE_LABELS}
        for row in self._rows:
            out[row.state] = out.get(row.state, 0) + 1
        return out

    # ------------------------------------------------------------------ Qt model API
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(OutboxColumn)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column, tr = self._rows[index.row()], OutboxColumn(index.column()), self._lang.tr
        if role == Qt.ItemDataRole.DisplayRole:
            if column is OutboxColumn.STATE:
                return tr(STATE_LABELS.get(row.state, row.state))
            if column is OutboxColumn.CREATED:
                return time_text(row.created_at, self._zone() if self._zone is not None else None)
            if column is OutboxColumn.CASE:
                return row.case_reference or row.case_id or "—"
            if column is OutboxColumn.KIND:
                return tr(KIND_LABELS[row.kind]) if row.kind in KIND_LABELS else row.kind
            return details(row, tr)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column is OutboxColumn.STATE and row.state in STATE_TIPS:
                return tr(STATE_TIPS[row.state])
            if column is OutboxColumn.DETAILS:
                return details(row, tr)
            return None
        if role == Qt.ItemDataRole.DecorationRole and column is OutboxColumn.STATE:
            return compliance_icon(_LIGHTS.get(row.state, ComplianceState.UNKNOWN))
        if role == Qt.ItemDataRole.BackgroundRole and row.state in NEEDS_ATTENTION:
            return _REJECTED_BRUSH
        if role == ITEM_ID_ROLE:
            return row.id
        if role == STATE_ROLE:
            return row.state
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(OutboxColumn):
            return self._lang.tr(HEADERS[OutboxColumn(section)])
        return None

    def _on_language_changed(self, _code: str) -> None:
        emit(self.headerDataChanged, Qt.Orientation.Horizontal, 0, len(OutboxColumn) - 1)
        if self._rows:
            emit(self.dataChanged, self.index(0, 0), self.index(len(self._rows) - 1, len(OutboxColumn) - 1))


def state_icon(state: str) -> QIcon:
    return compliance_icon(_LIGHTS.get(state, ComplianceState.UNKNOWN))
