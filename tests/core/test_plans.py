from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldapp.core.errors import BadInput
from fieldapp.core.plans import (
    Frequency, Plan, PlanKind, PlanLimits, Remainder, add_months, check_plan, due_dates,
    remainder_of, schedule, split_minor,
)

D = Decimal
AGREED = dt.date(2026, 1, 31)


def plan(**kw) -> Plan:
    base = dict(kind=PlanKind.INSTALMENTS, currency="CNY", amount_due=D("1000.00"),
                total=D("1000.00"), first_due=AGREED, count=3, frequency=Frequency.MONTHLY,
                remainder=Remainder.LAST)
    base.update(kw)
    return Plan(**base)


# --- properties ------------------------------------------------------------------------

@given(total=st.integers(1, 10**12), count=st.integers(1, 400),
       where=st.sampled_from(list(Remainder)))
def test_split_sums_exactly_and_remainder_lands_where_stated(total, count, where):
    if total < count:
        with pytest.raises(BadInput):
            split_minor(total, count, where)
        return
    parts = split_minor(total, count, where)
    assert sum(parts) == total and len(parts) == count
    base = total // count
    carrier = 0 if where is Remainder.FIRST else count - 1
    assert parts[carrier] == base + total % count
    assert all(p == base for i, p in enumerate(parts) if i != carrier)


@given(first=st.dates(dt.date(1990, 1, 1), dt.date(2200, 1, 1)), count=st.integers(1, 120),
       freq=st.sampled_from(list(Frequency)))
def test_due_dates_are_strictly_increasing_and_monthly_keeps_the_anchor_day(first, count, freq):
    dates = due_dates(first, count, freq)
    assert dates[0] == first and len(dates) == count
    assert all(a < b for a, b in zip(dates, dates[1:]))
    if freq is Frequency.MONTHLY:
        for k, d in enumerate(dates):
            # same day of month as the first, unless that month is shorter
            assert d.day == first.day or (d.day < first.day and (d + dt.timedelta(days=1)).day == 1)
            assert (d.year * 12 + d.month) - (first.year * 12 + first.month) == k
    else:
        step = 7 if freq is Frequency.WEEKLY else 14
        assert all((b - a).days == step for a, b in zip(dates, dates[1:]))


@settings(max_examples=200)
@given(minor=st.integers(1, 10**11), count=st.integers(1, 60),
       currency=st.sampled_from(["CNY", "JPY", "KWD"]), where=st.sampled_from(list(Remainder)))
def test_schedule_of_any_amount_sums_to_the_total_to_the_cent(minor, count, currency, where):
    from fieldapp.core.money import Money

    total = Money.from_minor(minor, currency).amount
    p = plan(currency=currency, amount_due=total, total=total, count=count, remainder=where)
    if minor < count:
        with pytest.raises(BadInput):
            schedule(p)
        return
    rows = schedule(p)
    assert sum((r.amount for r in rows), D(0)) == total
    assert [r.number for r in rows] == list(range(1, count + 1))
    assert all(r.amount == Money(r.amount, currency).amount for r in rows)  # exact minor units
    number, extra = remainder_of(p)
    assert rows[number - 1].amount - extra == rows[0 if number == count else -1].amount or count == 1


# --- examples ----------------------------------------------------------------------------

def test_month_ends_clamp_and_stay_anchored_on_the_first_due_date():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert due_dates(dt.date(2026, 1, 31), 4, Frequency.MONTHLY) == [
        dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31), dt.date(2026, 4, 30)]
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)


def test_remainder_first_or_last():
    rows = schedule(plan(remainder=Remainder.LAST))
    assert [r.amount for r in rows] == [D("333.33"), D("333.33"), D("333.34")]
    rows = schedule(plan(remainder=Remainder.FIRST))
    assert [r.amount for r in rows] == [D("333.34"), D("333.33"), D("333.33")]
    assert remainder_of(plan(remainder=Remainder.FIRST)) == (1, D("0.01"))


def test_lump_sum_deferral_and_settlement():
    lump = check_plan(plan(kind=PlanKind.LUMP_SUM, count=1, frequency=None,
                           first_due=dt.date(2026, 2, 15)), AGREED, PlanLimits())
    assert [(r.due, r.amount) for r in lump] == [(dt.date(2026, 2, 15), D("1000.00"))]
    deferred = check_plan(plan(kind=PlanKind.DEFERRAL, count=2, first_due=dt.date(2026, 6, 30)),
                          AGREED, PlanLimits())
    assert deferred[0].due == dt.date(2026, 6, 30) and deferred[1].due == dt.date(2026, 7, 30)
    settled = check_plan(plan(kind=PlanKind.SETTLEMENT, total=D("800.00"), count=2,
                              frequency=Frequency.FORTNIGHTLY), AGREED, PlanLimits())
    assert sum(r.amount for r in settled) == D("800.00")
    assert settled[1].due == AGREED + dt.timedelta(days=14)


@pytest.mark.parametrize("kw, field, text", [
    (dict(total=D("999.99")), "plan.total", "does not add up"),
    (dict(amount_due=D("-5.00"), total=D("-5.00")), "amount_due", "more than zero"),
    (dict(amount_due=D("0"), total=D("0")), "amount_due", "more than zero"),
    (dict(total=D("1000.005"), amount_due=D("1000.005")), "amount_due", "more decimals"),
    (dict(kind=PlanKind.LUMP_SUM, count=2), "plan.count", "one payment"),
    (dict(kind=PlanKind.INSTALMENTS, count=1), "plan.count", "at least 2"),
    (dict(count=11), "plan.count", "below the minimum instalment"),
    (dict(amount_due=D("100000.00"), total=D("100000.00"), count=40), "plan.count",
     "past the maximum term of 36 months"),
    (dict(first_due=dt.date(2026, 4, 1)), "plan.first_due", "a later start is a deferral"),
    (dict(kind=PlanKind.DEFERRAL, first_due=dt.date(2026, 9, 1)), "plan.first_due", "at most 180"),
    (dict(first_due=dt.date(2026, 1, 30)), "plan.first_due", "before the agreement date"),
    (dict(kind=PlanKind.SETTLEMENT, total=D("1000.00")), "plan.total", "must be less than"),
    (dict(kind=PlanKind.SETTLEMENT, total=D("500.00"), count=1), "plan.total", "at most 40%"),
    (dict(count=2, frequency=None), "plan.frequency", "needs a frequency"),
])
def test_bad_plans_name_the_field(kw, field, text):
    with pytest.raises(BadInput) as err:
        check_plan(plan(**kw), AGREED, PlanLimits())
    assert err.value.field == field
    assert text in str(err.value)


def test_limits_from_settings_are_checked():
    limits = PlanLimits.from_dict({"min_instalment": "50", "max_term_months": 12})
    assert limits.min_instalment == D("50") and limits.max_term_months == 12
    with pytest.raises(BadInput, match="unknown limit"):
        PlanLimits.from_dict({"max_terms": 3})
    with pytest.raises(BadInput, match="whole number"):
        PlanLimits.from_dict({"max_instalments": "3"})
    with pytest.raises(BadInput, match="fraction below 1"):
        PlanLimits.from_dict({"max_settlement_discount": "1.5"})
    # without limits only the arithmetic is checked
    assert len(check_plan(plan(count=40, amount_due=D("100000.00"), total=D("100000.00")),
                          AGREED, None)) == 40
