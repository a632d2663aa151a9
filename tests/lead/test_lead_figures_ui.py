"""The team figures screen: figures on the first visit of the screen (no "Show" needed),
the agent's name stays in view when the columns scroll, amounts read as money."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QAbstractItemView, QApplication

from fieldapp.protocol.lead import CSV_COLUMNS


def _column(table, name: str) -> int:
    return list(CSV_COLUMNS[1:]).index(name)


def test_figures_load_when_the_screen_is_first_shown(window):
    fig = window.figures
    assert fig.table.rowCount() == 0
    window.show_screen("figures")
    assert fig.table.rowCount() == 3  # agent1, agent2, team total: no "Show" pressed
    assert fig.table.item(2, 0).text() == "Team total"
    assert fig.status.text().startswith("Team t1") and fig.status.text().endswith("(China time).")
    assert [g.values[0] for g in fig.chart.groups] == [2, 2]


def test_amounts_have_separators_and_currency(window):
    window.show_screen("figures")
    table = window.figures.table
    agreements = _column(table, "Agreement amount")
    promised = _column(table, "Promised amount")
    assert table.item(0, agreements).text() == "1,200.00 CNY"
    assert table.item(2, promised).text() == "500.00 CNY"
    assert table.item(1, agreements).text() == "—"  # agent2 signed none


def test_the_name_column_stays_when_the_figures_scroll(window, qtbot):
    window.resize(700, 600)
    window.show_screen("figures")
    table = window.figures.table
    QApplication.processEvents()
    bar = table.horizontalScrollBar()
    assert bar.maximum() > 0  # more columns than the width shows
    bar.setValue(bar.maximum())
    QApplication.processEvents()
    point = QPoint(table.frameWidth() + 4, table.horizontalHeader().height() + table.rowHeight(0) // 2 + 2)
    child = table.childAt(point)
    view = child
    while view is not None and not isinstance(view, QAbstractItemView):
        view = view.parentWidget()
    assert view is not None
    index = view.indexAt(view.viewport().mapFrom(table, point))
    assert index.column() == 0 and index.data().startswith("Wang Agent")


def test_an_amount_cell_reads_as_money():
    from fieldapp.ui.lead.figures import amount_cell

    assert amount_cell({"CNY": "1234567.5", "USD": "12000"}) == "1,234,567.50 CNY\n12,000.00 USD"
    assert amount_cell({}) == "—"
