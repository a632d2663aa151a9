"""The plan builder: the live schedule sums exactly to the agreed total for every kind and
frequency, and a broken limit is said inline in plain words (in both languages), always
agreeing with `check_plan` about what is allowed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PySide6.QtCore import QDate

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import Translator
from fieldapp.core.plans import Frequency, Plan, PlanKind, PlanLimits, check_plan
from fieldapp.ui.visit.plan_words import plan_problem

TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def builder(qtbot, language):
    from fieldapp.ui.visit.plan_builder import PlanBuilder

    widget = PlanBuilder(language)
    widget.resize(1000, 520)
    qtbot.addWidget(widget)
    widget.show()
    widget.configure(currency="CNY", amount_due=Decimal("12345.67"), agreed_on=TODAY, limits=PlanLimits(),
                     request={"kind": "instalments", "count": 6, "first_due": "2026-03-31"})
    return widget


def table_amounts(builder) -> list[Decimal]:
    return [Decimal(builder.table.item(r, 2).text().split()[0].replace(",", ""))
            for r in range(builder.table.rowCount())]


def test_request_prefills_and_the_preview_sums_to_the_cent(builder):
    plan = builder.plan()
    assert plan is not None and plan.count == 6 and plan.frequency is Frequency.MONTHLY
    amounts = table_amounts(builder)
    assert sum(amounts) == Decimal("12345.67")
    assert amounts == [Decimal("2057.61")] * 5 + [Decimal("2057.62")]
    assert [builder.table.item(r, 1).text() for r in range(6)] == [
        "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30", "2026-07-31", "2026-08-31"]
    assert builder.table.item(5, 3).text().startswith("0.00")
    assert "exactly the agreed total" in builder.sum_label.text()


@pytest.mark.parametrize("count", [2, 3, 7, 11, 13, 24, 29])
@pytest.mark.parametrize("frequency", list(Frequency))
def test_every_schedule_sums_exactly(builder, count, frequency):
    builder.kind_buttons[PlanKind.INSTALMENTS].setChecked(True)
    builder.frequency_combo.setCurrentIndex(builder.frequency_combo.findData(frequency.value))
    builder.count_spin.setValue(count)
    assert table_amounts(builder) and sum(table_amounts(builder)) == Decimal("12345.67")
    assert len(table_amounts(builder)) == count


def test_too_small_instalments_are_explained_inline(builder):
    builder.configure(currency="CNY", amount_due=Decimal("1000.00"), agreed_on=TODAY, limits=PlanLimits(),
                      request={"kind": "instalments", "count": 20, "first_due": "2026-03-31"})
    builder.frequency_combo.setCurrentIndex(builder.frequency_combo.findData("weekly"))
    assert builder.plan() is None
    assert "less than the smallest payment allowed, 100.00 CNY" in builder.problem_label.text()
    assert table_amounts(builder)  # the schedule stays visible while the limit is broken


def test_the_schedule_never_says_it_is_fine_while_the_plan_is_refused(builder):
    from fieldapp.ui.visit.style import BLOCK, PASS

    assert "exactly the agreed total" in builder.sum_label.text() and PASS in builder.sum_label.styleSheet()
    assert builder.table.isEnabled()
    builder.count_spin.setValue(60)  # monthly: past the longest term
    assert builder.plan() is None and BLOCK in builder.problem_label.styleSheet()
    assert "exactly the agreed total" not in builder.sum_label.text()
    assert "cannot be agreed" in builder.sum_label.text() and PASS not in builder.sum_label.styleSheet()
    assert not builder.table.isEnabled()                 # shown greyed: a preview, not a schedule
    assert builder.table_title.text() == "Payment schedule (not allowed as it stands)"
    builder.count_spin.setValue(6)
    assert builder.plan() is not None and "exactly the agreed total" in builder.sum_label.text()
    assert builder.table.isEnabled() and builder.table_title.text() == "Payment schedule"


def test_settlement_total_and_discount_limit(builder, qtbot):
    builder.kind_buttons[PlanKind.SETTLEMENT].setChecked(True)
    assert not builder.total_edit.isReadOnly()
    builder.total_edit.clear()
    qtbot.keyClicks(builder.total_edit, "5000")
    assert builder.plan() is None and "at most 40%" in builder.problem()
    builder.total_edit.clear()
    qtbot.keyClicks(builder.total_edit, "9000.00")
    builder.count_spin.setValue(3)
    plan = builder.plan()
    assert plan is not None and plan.kind is PlanKind.SETTLEMENT and plan.total == Decimal("9000.00")
    assert sum(table_amounts(builder)) == Decimal("9000.00")


def test_lump_sum_is_one_payment_and_deferral_may_start_later(builder):
    builder.kind_buttons[PlanKind.LUMP_SUM].setChecked(True)
    assert builder.count_spin.value() == 1 and not builder.count_spin.isEnabled()
    builder.first_edit.setDate(QDate(2026, 6, 1))
    assert builder.plan() is None and "Deferral" in builder.problem()
    builder.kind_buttons[PlanKind.DEFERRAL].setChecked(True)
    assert builder.plan() is not None and table_amounts(builder) == [Decimal("12345.67")]


def test_problems_follow_the_language(builder, language):
    builder.count_spin.setValue(60)  # monthly: past the longest term
    english = builder.problem_label.text()
    language.set_language("zh_CN")
    assert builder.problem_label.text() != english
    assert "36" in builder.problem_label.text() and "2029-03-02" in builder.problem_label.text()


BAD_PLANS = [
    Plan(PlanKind.INSTALMENTS, "CNY", Decimal("1000.00"), Decimal("1000.00"), TODAY, 1, None),
    Plan(PlanKind.INSTALMENTS, "CNY", Decimal("1000.00"), Decimal("1000.00"), TODAY - dt.timedelta(days=1), 2,
         Frequency.MONTHLY),
    Plan(PlanKind.INSTALMENTS, "CNY", Decimal("1000.00"), Decimal("1000.00"), TODAY, 20, Frequency.WEEKLY),
    Plan(PlanKind.INSTALMENTS, "CNY", Decimal("100000.00"), Decimal("100000.00"), TODAY, 61, Frequency.WEEKLY),
    Plan(PlanKind.INSTALMENTS, "CNY", Decimal("100000.00"), Decimal("100000.00"), TODAY, 40, Frequency.MONTHLY),
    Plan(PlanKind.INSTALMENTS, "CNY", Decimal("1000.00"), Decimal("1000.00"), TODAY + dt.timedelta(days=40), 2,
         Frequency.MONTHLY),
    Plan(PlanKind.DEFERRAL, "CNY", Decimal("1000.00"), Decimal("1000.00"), TODAY + dt.timedelta(days=200), 1, None),
    Plan(PlanKind.SETTLEMENT, "CNY", Decimal("1000.00"), Decimal("1000.00"), TODAY, 1, None),
    Plan(PlanKind.SETTLEMENT, "CNY", Decimal("1000.00"), Decimal("100.00"), TODAY, 1, None),
    Plan(PlanKind.LUMP_SUM, "CNY", Decimal("1000.00"), Decimal("900.00"), TODAY, 1, None),
    Plan(PlanKind.SETTLEMENT, "CNY", Decimal("1000.00"), Decimal("0.00"), TODAY, 1, None),
]


@pytest.mark.parametrize("plan", BAD_PLANS, ids=range(len(BAD_PLANS)))
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_every_refusal_of_check_plan_gets_plain_words(plan, lang):
    with pytest.raises(BadInput) as refused:
        check_plan(plan, TODAY, PlanLimits())
    text, rows = plan_problem(plan, TODAY, PlanLimits(), Translator.for_language(lang))
    assert rows == [] and text and text != refused.value.reason  # worded here, not the English fallback
    if lang == "zh_CN":
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_an_allowed_plan_has_no_problem():
    plan = Plan(PlanKind.INSTALMENTS, "CNY", Decimal("1000.00"), Decimal("1000.00"), TODAY, 3, Frequency.MONTHLY)
    text, rows = plan_problem(plan, TODAY, PlanLimits(), Translator.for_language("en"))
    assert text is None and sum(r.amount for r in rows) == Decimal("1000.00")
