"""The case table model: sorting, searching, selection kept across both, live language,
and correctness at 50,000 rows (checked against a brute-force search)."""

from __future__ import annotations

import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QTableView

from fieldapp.ui.i18n import Language
from fieldapp.ui.models.case_table import COMPLIANCE_ROLE, ROW_ID_ROLE, CaseTableModel, Column
from fieldapp.ui.widgets.compliance import ComplianceState

from .conftest import Row, make_rows

ASC, DESC = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder


@pytest.fixture
def lang(qapp):
    return Language("en")


SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def model(lang):
    m = CaseTableModel(lang, display_zone=SHANGHAI)
    m.set_rows(make_rows(60))
    return m


def ids(model) -> list[str]:
    return [model.index(r, 0).data(ROW_ID_ROLE) for r in range(model.rowCount())]


def column_texts(model, column: Column) -> list[str]:
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_shape_headers_and_cells(model):
    assert model.rowCount() == 60 and model.columnCount() == len(Column)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert headers == ["Compliance", "Reference", "Customer", "Address", "Amount due", "Days overdue",
                       "Tier", "Appointment", "Flags"]
    model.sort(Column.REFERENCE, ASC)
    row = next(r for r in range(60) if model.index(r, 0).data(ROW_ID_ROLE) == "case-000017")
    cell = lambda c: model.index(row, c).data()  # noqa: E731
    assert cell(Column.CUSTOMER) == "黄芳"
    assert cell(Column.AMOUNT) == "629.17 CNY"
    assert cell(Column.FLAGS) == "Disputed"
    # 2026-03-02 01:00Z + 119 h, shown in the customer's zone (+08:00)
    assert cell(Column.APPOINTMENT) == "2026-03-07 08:00–09:00 (UTC+8)"
    assert model.index(row, Column.AMOUNT).data(Qt.ItemDataRole.TextAlignmentRole) & int(Qt.AlignmentFlag.AlignRight)


def test_compliance_light_word_and_reason(model):
    states = {}
    for r in range(model.rowCount()):
        index = model.index(r, Column.COMPLIANCE)
        states[index.data(ROW_ID_ROLE)] = (index.data(COMPLIANCE_ROLE), index.data(),
                                           index.data(Qt.ItemDataRole.ToolTipRole))
        assert not index.data(Qt.ItemDataRole.DecorationRole).isNull()
    assert states["case-000014"] == (ComplianceState.BLOCKED, "Blocked",
                                     "Blocked: notice delivered 12 h before; 24 h required")
    assert states["case-000013"] == (ComplianceState.UNKNOWN, "Not checked", "Not checked")
    assert states["case-000001"] == (ComplianceState.ALLOWED, "Allowed", "Allowed under cn")


@pytest.mark.parametrize("column", list(Column))
def test_every_column_sorts_both_ways(model, column):
    model.sort(column, ASC)
    up = ids(model)
    model.sort(column, DESC)
    down = ids(model)
    assert sorted(up) == sorted(down) == sorted(f"case-{i:06d}" for i in range(60))
    assert up != down


def test_sort_orders_by_value_not_by_text(model):
    model.sort(Column.AMOUNT, ASC)
    amounts = [Decimal(t.split()[0].replace(",", "")) for t in column_texts(model, Column.AMOUNT)]
    assert amounts == sorted(amounts)
    model.sort(Column.DAYS_PAST_DUE, DESC)
    days = [int(t) for t in column_texts(model, Column.DAYS_PAST_DUE)]
    assert days == sorted(days, reverse=True)
    model.sort(Column.APPOINTMENT, ASC)
    texts = column_texts(model, Column.APPOINTMENT)
    dated = [t for t in texts if t != "—"]
    assert dated == sorted(dated) and texts[len(dated):] == ["—"] * (len(texts) - len(dated))
    model.sort(Column.COMPLIANCE, ASC)  # the blocked ones first: they need attention
    assert model.index(0, Column.COMPLIANCE).data(COMPLIANCE_ROLE) == ComplianceState.BLOCKED


def test_search_by_name_address_or_reference(model):
    model.set_filter("王")
    assert model.rowCount() > 0
    assert all("王" in t for t in column_texts(model, Column.CUSTOMER))
    model.set_filter("queen street")  # two words, any case, both required
    assert model.rowCount() > 0
    assert all("Queen Street" in t for t in column_texts(model, Column.ADDRESS))
    reference = make_rows(60)[42].reference
    model.set_filter(reference.lower())
    assert ids(model) == ["case-000042"]
    model.set_filter("nobody-is-called-this")
    assert model.rowCount() == 0
    model.set_filter("")
    assert model.rowCount() == 60


def test_counts_signal(model):
    seen = []
    model.counts_changed.connect(lambda shown, total: seen.append((shown, total)))
    model.set_filter("smith")
    model.set_filter("")
    assert seen == [(model_count := len([r for r in make_rows(60) if "smith" in r.customer_name.lower()]), 60),
                    (60, 60)] and model_count > 0


def test_sort_is_kept_when_rows_are_replaced_and_filter_too(model):
    model.sort(Column.CUSTOMER, DESC)
    model.set_filter("南京")
    model.set_rows(make_rows(30))
    names = column_texts(model, Column.CUSTOMER)
    assert len(names) == 30  # every address is in 南京
    assert names == sorted(names, key=str.casefold, reverse=True)


def test_selection_follows_the_case_across_sort_and_search(qtbot, model):
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    selection = view.selectionModel()
    model.sort(Column.REFERENCE, ASC)
    row = ids(model).index("case-000021")
    selection.select(model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                     | QItemSelectionModel.SelectionFlag.Rows)
    view.setCurrentIndex(model.index(row, 0))

    def selected_ids():
        return sorted({i.data(ROW_ID_ROLE) for i in selection.selectedIndexes()})

    model.sort(Column.AMOUNT, DESC)
    assert selected_ids() == ["case-000021"]
    assert view.currentIndex().data(ROW_ID_ROLE) == "case-000021"
    model.set_filter(make_rows(60)[21].customer_name)
    assert selected_ids() == ["case-000021"]
    model.set_filter("nobody-is-called-this")
    assert selected_ids() == []


def test_language_switch_retranslates_headers_and_cells(model, lang):
    changed = []
    model.headerDataChanged.connect(lambda *a: changed.append(a))
    lang.set_language("zh_CN")
    assert changed
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert "客户" in headers and "Customer" not in headers
    flagged = next(r for r in range(model.rowCount()) if model.index(r, Column.FLAGS).data())
    assert model.index(flagged, Column.FLAGS).data() != "Disputed"
    lang.set_language("en")
    assert model.headerData(Column.CUSTOMER, Qt.Orientation.Horizontal) == "Customer"


def test_fifty_thousand_rows_search_and_sort_stay_correct(lang):
    rows = make_rows(50_000)
    model = CaseTableModel(lang)
    model.set_rows(rows)
    assert model.rowCount() == 50_000
    rng = random.Random(7)

    def brute(text):
        terms = text.casefold().split()
        return {r.id for r in rows
                if all(t in f"{r.customer_name} {r.address} {r.reference}".casefold() for t in terms)}

    # type a query letter by letter (the narrowing path), then delete back (the full path)
    query = "queen street 12"
    for end in list(range(1, len(query) + 1)) + list(range(len(query) - 1, -1, -1)):
        model.set_filter(query[:end])
        assert set(ids(model)) == brute(query[:end]), query[:end]
    for _ in range(5):
        row = rng.choice(rows)
        text = rng.choice([row.customer_name, row.reference, row.address.split(",")[0]])
        model.set_filter(text)
        assert row.id in set(ids(model))
        assert set(ids(model)) == brute(text)
    model.set_filter("李")
    model.sort(Column.DAYS_PAST_DUE, DESC)
    days = [int(t) for t in column_texts(model, Column.DAYS_PAST_DUE)]
    assert days == sorted(days, reverse=True) and len(days) == len(brute("李"))
    # the view asks only for what it shows: nothing has been formatted beyond what we read
    model.set_filter("")
    assert model.rowCount() == 50_000
    assert model.index(49_999, Column.CUSTOMER).data()


def test_unknown_currency_and_missing_values_still_show(lang):
    model = CaseTableModel(lang)
    model.set_rows([Row(id="x", reference="R", customer_name="A", address="B", amount=Decimal("5"),
                        currency="XTS", tier=None, flags=("something_new",), compliance_allowed=None)])
    cells = [model.index(0, c).data() for c in Column]
    assert cells[Column.AMOUNT] == "5 XTS"
    assert cells[Column.TIER] == "—" and cells[Column.APPOINTMENT] == "—"
    assert cells[Column.FLAGS] == "something_new"


def test_withdrawn_and_waiting_work_are_marked(lang):
    model = CaseTableModel(lang)
    model.set_rows([Row(id="w", reference="R1", customer_name="A", address="B", amount=Decimal("1.00"),
                        flags=("vulnerable",), withdrawn="unassigned", open_tasks=1, unsent_items=2,
                        has_draft=True),
                    Row(id="n", reference="R2", customer_name="C", address="D", amount=Decimal("2.00"))])
    model.sort(Column.REFERENCE, ASC)
    assert model.index(0, Column.FLAGS).data() == "Vulnerable, Withdrawn, Visit returned, 2 unsent, Draft"
    assert model.index(0, Column.CUSTOMER).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert "No longer assigned" in model.index(0, Column.CUSTOMER).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(1, Column.FLAGS).data() == ""
    assert model.index(1, Column.CUSTOMER).data(Qt.ItemDataRole.ForegroundRole) is None
