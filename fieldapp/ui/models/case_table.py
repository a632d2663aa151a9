"""The case list as a Qt table model that stays quick with tens of thousands of rows.

Like Anki's browser table (qt/aqt/browser/table/model.py) the model keeps the rows as
plain objects and formats a row's cells only when the view asks for them, caching the
result; the cache is dropped when the rows or the language change. Searching and sorting
are done here on precomputed keys rather than through a QSortFilterProxyModel, whose
per-row Python callback would be called 50,000 times on every keystroke: a search is one
list comprehension over lower-cased "name address reference" strings, a sort one
`sorted()` over a per-column key.

The rows are the service's light `CaseRow`s (fieldapp.store.rows; the shape the GUI
relies on is `fieldapp.ui.service.CaseRow`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Any, Callable, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from fieldapp.core.money import Money
from fieldapp.core.timeutil import zone
from fieldapp.ui.formatting import offset_label
from fieldapp.ui.i18n import N_, Language
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.service import CaseRow
from fieldapp.ui.widgets.compliance import ComplianceState, compliance_icon, compliance_state

ROW_ID_ROLE = Qt.ItemDataRole.UserRole + 1
COMPLIANCE_ROLE = Qt.ItemDataRole.UserRole + 2


class Column(IntEnum):
    COMPLIANCE = 0
    REFERENCE = 1
    CUSTOMER = 2
    ADDRESS = 3
    AMOUNT = 4
    DAYS_PAST_DUE = 5
    TIER = 6
    APPOINTMENT = 7
    FLAGS = 8


HEADERS = {
    Column.COMPLIANCE: N_("Compliance"),
    Column.REFERENCE: N_("Reference"),
    Column.CUSTOMER: N_("Customer"),
    Column.ADDRESS: N_("Address"),
    Column.AMOUNT: N_("Amount due"),
    Column.DAYS_PAST_DUE: N_("Days overdue"),
    Column.TIER: N_("Tier"),
    Column.APPOINTMENT: N_("Appointment"),
    Column.FLAGS: N_("Flags"),
}

HEADER_TIPS = {
    Column.COMPLIANCE: N_("Whether the planned visit is allowed under the policy"),
    Column.APPOINTMENT: N_("In the customer's time zone when known, otherwise in yours; each time says its zone"),
    Column.FLAGS: N_("Customer flags, and work of yours waiting on the case"),
}

FLAG_LABELS = {
    "do_not_visit": N_("Do not visit"),
    "disputed": N_("Disputed"),
    "attorney": N_("Has an attorney"),
    "cease_contact": N_("Cease contact"),
    "deceased": N_("Deceased"),
    "vulnerable": N_("Vulnerable"),
    "bankruptcy": N_("Bankruptcy"),
    "no_home_visits": N_("No home visits"),
    "grievance_pending": N_("Grievance pending"),
}

# Markers for the agent's own work on a case, shown after the customer's flags.
WITHDRAWN = N_("Withdrawn")
WITHDRAWN_TIP = N_("No longer assigned to you; kept until your unsent work on it is sent")
RETURNED = N_("Visit returned")
UNSENT = N_("{count} unsent")
DRAFT = N_("Draft")

COMPLIANCE_LABELS = {
    ComplianceState.ALLOWED: N_("Allowed"),
    ComplianceState.WARNING: N_("Warning"),
    ComplianceState.BLOCKED: N_("Blocked"),
    ComplianceState.UNKNOWN: N_("Not checked"),
}

_WITHDRAWN_BRUSH = QBrush(QColor("#8a8a8a"))
_BLOCKED_BRUSH = QBrush(QColor("#fdecea"))  # a blocked visit stands out before it is read
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_NONE = "—"


@dataclass(frozen=True)
class _Cells:
    texts: tuple[str, ...]
    tooltip: str | None


def _amount(row: CaseRow) -> Decimal:
    value = row.amount
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _local(moment: dt.datetime, timezone: str | None, fallback: dt.tzinfo | None) -> dt.datetime:
    """The moment in the customer's zone when the row names it, else in `fallback`
    (None: this computer's zone)."""
    if timezone:
        try:
            return moment.astimezone(zone(timezone))
        except Exception:  # noqa: BLE001 - an unknown zone falls back like a missing one
            pass
    return moment.astimezone(fallback)


def _search_key(row: CaseRow) -> str:
    return " ".join((row.customer_name or "", row.address or "", row.reference or "")).casefold()


# Quick views of the list, combined with the search words.
VIEWS: dict[str, Callable[[CaseRow], bool]] = {
    "all": lambda r: True,
    "blocked": lambda r: compliance_state(r) is ComplianceState.BLOCKED,
    "returned": lambda r: bool(getattr(r, "open_tasks", 0)),
    "unsent": lambda r: bool(getattr(r, "unsent_items", 0)) or bool(getattr(r, "has_draft", False)),
}
VIEW_LABELS = {
    "all": N_("All cases"),
    "blocked": N_("Blocked visits"),
    "returned": N_("Returned visits"),
    "unsent": N_("Drafts and unsent work"),
}

_STATE_ORDER = {ComplianceState.BLOCKED: 0, ComplianceState.WARNING: 1,
                ComplianceState.UNKNOWN: 2, ComplianceState.ALLOWED: 3}

_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.timezone.utc)

SORT_KEYS: dict[Column, Callable[[CaseRow], Any]] = {
    Column.COMPLIANCE: lambda r: _STATE_ORDER[compliance_state(r)],
    Column.REFERENCE: lambda r: r.reference or "",
    Column.CUSTOMER: lambda r: (r.customer_name or "").casefold(),
    Column.ADDRESS: lambda r: (r.address or "").casefold(),
    Column.AMOUNT: lambda r: (_amount(r), r.currency),
    Column.DAYS_PAST_DUE: lambda r: r.days_past_due,
    Column.TIER: lambda r: r.tier or "",
    Column.APPOINTMENT: lambda r: r.appointment_start or _FAR_FUTURE,
    Column.FLAGS: lambda r: (len(r.flags or ()), sorted(r.flags or ())),
}


class CaseTableModel(QAbstractTableModel):
    """All of the agent's cases; `rowCount()` counts those the current search matches."""

    counts_changed = Signal(int, int)  # shown, total

    def __init__(self, language: Language, parent=None, *, display_zone: dt.tzinfo | None = None) -> None:
        super().__init__(parent)
        self._lang = language
        self._zone = display_zone
        self._rows: list[CaseRow] = []
        self._keys: list[str] = []
        self._order: list[int] = []     # every row index, in the current sort order
        self._visible: list[int] = []   # the indices the search matches, in that order
        self._cache: dict[int, _Cells] = {}
        self._terms: tuple[str, ...] = ()
        self._view = "all"
        self._sort: tuple[Column, Qt.SortOrder] = (Column.APPOINTMENT, Qt.SortOrder.AscendingOrder)
        language.changed.connect(self._on_language_changed)

    # ------------------------------------------------------------------ public API
    def set_rows(self, rows: Sequence[CaseRow]) -> None:
        """Replace every row (after a sync); keeps the current search and sort."""
        self.beginResetModel()
        self._rows = list(rows)
        self._keys = [_search_key(r) for r in self._rows]
        self._cache.clear()
        self._order = []
        self._order = self._sorted_order(*self._sort)
        self._visible = self._apply_filter(self._order)
        self.endResetModel()
        self._emit_counts()

    def set_filter(self, text: str) -> None:
        """Show only rows whose name, address or reference contain every word of `text`."""
        terms = tuple(text.casefold().split())
        if terms == self._terms:
            return
        saved = self._begin_layout()
        # When every old word lies inside a new one, the new search only narrows the old:
        # search what is shown instead of every row (typing one more letter, say).
        narrowing = bool(self._terms) and all(any(o in n for n in terms) for o in self._terms)
        self._terms = terms
        self._visible = self._apply_filter(self._visible if narrowing else self._order)
        self._end_layout(saved)
        self._emit_counts()

    def set_view(self, view: str) -> None:
        """Show only the rows of one of `VIEWS` (still narrowed by the search words)."""
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r}; use one of {', '.join(VIEWS)}")
        if view == self._view:
            return
        saved = self._begin_layout()
        self._view = view
        self._visible = self._apply_filter(self._order)
        self._end_layout(saved)
        self._emit_counts()

    @property
    def view(self) -> str:
        return self._view

    @property
    def searching(self) -> bool:
        """Whether search words narrow the list."""
        return bool(self._terms)

    def mark_draft(self, case_id: str, present: bool = True) -> None:
        """Say that `case_id` has (or no longer has) a saved visit, without reading the whole
        list again: the "Drafts and unsent work" view and the flags follow at once."""
        for index, row in enumerate(self._rows):
            if row.id != case_id:
                continue
            if not dataclasses.is_dataclass(row) or bool(getattr(row, "has_draft", False)) == present:
                return
            saved = self._begin_layout()
            self._rows[index] = dataclasses.replace(row, has_draft=present)
            self._cache.pop(index, None)
            self._visible = self._apply_filter(self._order)
            self._end_layout(saved)
            self._emit_counts()
            return

    def row_at(self, row: int) -> CaseRow:
        return self._rows[self._visible[row]]

    def row_for_id(self, case_id: str) -> int | None:
        for position, index in enumerate(self._visible):
            if self._rows[index].id == case_id:
                return position
        return None

    def rows(self) -> list[CaseRow]:
        """Every row, in no particular order (a copy)."""
        return list(self._rows)

    def find(self, case_id: str) -> CaseRow | None:
        """The row of `case_id`, searched or not."""
        return next((r for r in self._rows if r.id == case_id), None)

    @property
    def total(self) -> int:
        return len(self._rows)

    @property
    def sort_state(self) -> tuple[Column, Qt.SortOrder]:
        return self._sort

    # ------------------------------------------------------------------ Qt model API
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(Column)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        position = self._visible[index.row()]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells(position).texts[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == Column.COMPLIANCE:
                return self._cells(position).tooltip
            if getattr(self._rows[position], "withdrawn", None):
                return self._lang.tr(WITHDRAWN_TIP)
            if column in (Column.ADDRESS, Column.FLAGS, Column.CUSTOMER):
                return self._cells(position).texts[column] or None
            return None
        if role == Qt.ItemDataRole.ForegroundRole and getattr(self._rows[position], "withdrawn", None):
            return _WITHDRAWN_BRUSH
        if role == Qt.ItemDataRole.BackgroundRole and compliance_state(self._rows[position]) is ComplianceState.BLOCKED:
            return _BLOCKED_BRUSH
        if role == Qt.ItemDataRole.DecorationRole and column == Column.COMPLIANCE:
            return compliance_icon(compliance_state(self._rows[position]))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column in (Column.AMOUNT, Column.DAYS_PAST_DUE) else _LEFT
        if role == ROW_ID_ROLE:
            return self._rows[position].id
        if role == COMPLIANCE_ROLE:
            return compliance_state(self._rows[position])
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        column = Column(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._lang.tr(HEADERS[column])
        if role == Qt.ItemDataRole.ToolTipRole and column in HEADER_TIPS:
            return self._lang.tr(HEADER_TIPS[column])
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        saved = self._begin_layout()
        self._sort = (Column(column), order)
        self._order = self._sorted_order(*self._sort)
        self._visible = self._apply_filter(self._order)
        self._end_layout(saved)

    # ------------------------------------------------------------------ internals
    def _sorted_order(self, column: Column, order: Qt.SortOrder) -> list[int]:
        key = SORT_KEYS[column]
        keys = [key(r) for r in self._rows]
        # Ties keep the previous order (stable sort), so sorting by two columns in turn works.
        previous = self._order if len(self._order) == len(self._rows) else range(len(self._rows))
        return sorted(previous, key=keys.__getitem__, reverse=order == Qt.SortOrder.DescendingOrder)

    def _apply_filter(self, base: Sequence[int]) -> list[int]:
        if self._view != "all":
            keep, rows = VIEWS[self._view], self._rows
            base = [i for i in base if keep(rows[i])]
        terms = self._terms
        if not terms:
            return list(base)
        keys = self._keys
        if len(terms) == 1:
            term = terms[0]
            return [i for i in base if term in keys[i]]
        return [i for i in base if all(t in keys[i] for t in terms)]

    def _begin_layout(self) -> list[tuple[QPersistentModelIndex, int | None]]:
        """Note which case each persistent index (selection, current cell) points at."""
        emit(self.layoutAboutToBeChanged)
        return [(p, self._visible[p.row()] if p.isValid() else None) for p in self.persistentIndexList()]

    def _end_layout(self, saved: list[tuple[QPersistentModelIndex, int | None]]) -> None:
        """Point them at the same cases in the new order, or nowhere if filtered out."""
        if saved:
            position_of = {index: pos for pos, index in enumerate(self._visible)}
            new = []
            for persistent, row_index in saved:
                pos = position_of.get(row_index) if row_index is not None else None
                new.append(self.index(pos, persistent.column()) if pos is not None else QModelIndex())
            self.changePersistentIndexList([p for p, _ in saved], new)
        emit(self.layoutChanged)

    def _cells(self, position: int) -> _Cells:
        cells = self._cache.get(position)
        if cells is None:
            cells = self._cache[position] = self._format(self._rows[position])
        return cells

    def _format(self, row: CaseRow) -> _Cells:
        tr = self._lang.tr
        state = compliance_state(row)
        amount = _amount(row)
        try:
            amount_text = str(Money(amount, row.currency))
        except Exception:  # noqa: BLE001 - an unknown currency still shows its number
            amount_text = f"{amount} {row.currency}"
        timezone = getattr(row, "timezone", None)
        if row.appointment_start is not None:
            start = _local(row.appointment_start, timezone, self._zone)
            text = start.strftime("%Y-%m-%d %H:%M")
            if row.appointment_end is not None:
                end = _local(row.appointment_end, timezone, self._zone)
                text += "–" + end.strftime("%H:%M" if end.date() == start.date() else "%Y-%m-%d %H:%M")
            appointment = f"{text} ({offset_label(start)})"
        else:
            appointment = _NONE
        labels = [tr(FLAG_LABELS[f]) if f in FLAG_LABELS else str(f) for f in (row.flags or ())]
        if getattr(row, "withdrawn", None):
            labels.append(tr(WITHDRAWN))
        if getattr(row, "open_tasks", 0):
            labels.append(tr(RETURNED))
        if getattr(row, "unsent_items", 0):
            labels.append(tr(UNSENT, count=row.unsent_items))
        if getattr(row, "has_draft", False):
            labels.append(tr(DRAFT))
        flags = ", ".join(labels)
        tooltip = row.compliance_summary or tr(COMPLIANCE_LABELS[state])
        texts = (
            tr(COMPLIANCE_LABELS[state]),
            row.reference or "",
            row.customer_name or "",
            row.address or "",
            amount_text,
            str(row.days_past_due),
            row.tier or _NONE,
            appointment,
            flags,
        )
        return _Cells(texts, tooltip)

    def _on_language_changed(self, _code: str) -> None:
        self._cache.clear()
        emit(self.headerDataChanged, Qt.Orientation.Horizontal, 0, len(Column) - 1)
        if self._visible:
            emit(self.dataChanged, self.index(0, 0), self.index(len(self._visible) - 1, len(Column) - 1))

    def _emit_counts(self) -> None:
        emit(self.counts_changed, len(self._visible), len(self._rows))
