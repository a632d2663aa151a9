"""Repayment plans: exact schedules in the currency's minor units.

Four kinds of plan share one arithmetic:

- `lump_sum`: the whole amount due in one payment;
- `instalments`: the amount due in `count` equal payments, weekly, fortnightly or monthly;
- `deferral`: like the two above, but the first payment may lie further in the future
  (up to `PlanLimits.max_deferral_days` instead of `max_first_due_days`);
- `settlement`: a discounted total (less than the amount due) in one or more payments.

Splitting: every instalment gets `total // count` minor units; the remainder of that
division (fewer minor units than there are instalments) lands whole on one stated
instalment, the first or the last (`Remainder`), and the agreement says which. The
schedule therefore always sums to the agreed total to the cent.

Due dates: weekly and fortnightly add 7 or 14 days. Monthly keeps the day of month of
the *first* due date, clamped to the length of each month and always counted from the
first due date (never from the previous, clamped one): a plan starting 31 Jan is due
28/29 Feb, 31 Mar, 30 Apr, 31 May... so a short month never shifts the later dates.

Limits are the institution's (`PlanLimits`, a dataclass with defaults); breaking one
is `BadInput` naming the plan field to change.
"""

from __future__ import annotations

import calendar
import datetime as _dt
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import StrEnum
from typing import Any

from fieldapp.core.errors import BadInput
from fieldapp.core.money import Money, exact, minor_units, to_decimal


class PlanKind(StrEnum):
    LUMP_SUM = "lump_sum"
    INSTALMENTS = "instalments"
    DEFERRAL = "deferral"
    SETTLEMENT = "settlement"


class Frequency(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


class Remainder(StrEnum):
    """Which instalment carries the rounding remainder."""

    FIRST = "first"
    LAST = "last"


@dataclass(frozen=True)
class PlanLimits:
    """Institution settings that bound what an agent may agree.

    Amounts are in the plan's currency (major units, e.g. yuan); the institution that
    works in another currency sets its own numbers.
    """

    min_instalment: Decimal = Decimal("100")
    max_term_months: int = 36          # last payment at most this many months after the agreement
    max_instalments: int = 60
    max_first_due_days: int = 31       # first payment of a plan that is not a deferral
    max_deferral_days: int = 180       # first payment of a deferral
    max_settlement_discount: Decimal = Decimal("0.40")  # share of the amount due that may be forgiven

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "limits") -> "PlanLimits":
        """Read limits from a settings mapping; unknown keys and bad values are named."""
        if not isinstance(data, dict):
            raise BadInput("expected an object of plan limits", where=where)
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in data.items():
            if key not in known:
                raise BadInput(f"unknown limit (known: {', '.join(known)})", where=where, field=key)
            if known[key].type in ("Decimal", Decimal):
                value: Any = to_decimal(raw, field=key)
                if value < 0:
                    raise BadInput("must not be negative", where=where, field=key)
            else:
                if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
                    raise BadInput("must be a whole number of at least 1", where=where, field=key)
                value = raw
            values[key] = value
        limits = cls(**values)
        if limits.max_settlement_discount >= 1:
            raise BadInput("must be a fraction below 1 (0.40 = 40 %)", where=where,
                           field="max_settlement_discount")
        return limits


@dataclass(frozen=True)
class Plan:
    """What was offered and agreed; `total` equals `amount_due` except for a settlement."""

    kind: PlanKind
    currency: str
    amount_due: Decimal
    total: Decimal
    first_due: _dt.date
    count: int = 1
    frequency: Frequency | None = None
    remainder: Remainder = Remainder.LAST

    @property
    def discount(self) -> Decimal:
        return self.amount_due - self.total


@dataclass(frozen=True)
class Instalment:
    number: int            # 1-based
    due: _dt.date
    amount: Decimal


def add_months(day: _dt.date, months: int) -> _dt.date:
    """`day` plus `months` calendar months, the day of month clamped to the month's end."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return _dt.date(year, month, min(day.day, last))


def due_dates(first_due: _dt.date, count: int, frequency: Frequency | None) -> list[_dt.date]:
    """The `count` due dates starting at `first_due` (monthly: anchored on `first_due`)."""
    if count < 1:
        raise BadInput("there must be at least one payment", field="plan.count")
    if count > 1 and frequency is None:
        raise BadInput("a plan of several payments needs a frequency "
                       f"({', '.join(f.value for f in Frequency)})", field="plan.frequency")
    if frequency is Frequency.MONTHLY:
        return [add_months(first_due, k) for k in range(count)]
    step = 7 if frequency is Frequency.WEEKLY else 14
    return [first_due + _dt.timedelta(days=step * k) for k in range(count)]


def split_minor(total_minor: int, count: int, remainder: Remainder) -> list[int]:
    """`total_minor` split into `count` whole minor-unit amounts that sum to it exactly."""
    if count < 1:
        raise BadInput("there must be at least one payment", field="plan.count")
    if total_minor < count:
        raise BadInput(f"{total_minor} minor units cannot be split into {count} payments",
                       field="plan.count")
    base, rest = divmod(total_minor, count)
    parts = [base] * count
    parts[0 if remainder is Remainder.FIRST else -1] += rest
    return parts


def schedule(plan: Plan) -> list[Instalment]:
    """The exact schedule of `plan`, without checking institution limits."""
    q = minor_units(plan.currency)
    total_minor = int(plan.total.scaleb(q))
    parts = split_minor(total_minor, plan.count, plan.remainder)
    dates = due_dates(plan.first_due, plan.count, plan.frequency)
    return [Instalment(i + 1, d, Decimal(p).scaleb(-q).quantize(Decimal(1).scaleb(-q)))
            for i, (d, p) in enumerate(zip(dates, parts))]


def remainder_of(plan: Plan) -> tuple[int, Decimal]:
    """(instalment number, extra amount) carrying the rounding remainder; extra may be 0."""
    q = minor_units(plan.currency)
    rest = int(plan.total.scaleb(q)) % plan.count
    number = 1 if plan.remainder is Remainder.FIRST else plan.count
    return number, Decimal(rest).scaleb(-q).quantize(Decimal(1).scaleb(-q))


def _money(amount: Decimal, currency: str) -> str:
    return str(Money(amount, currency))


def check_plan(plan: Plan, agreed_on: _dt.date, limits: PlanLimits | None) -> list[Instalment]:
    """Validate `plan` (agreed on `agreed_on`) and return its schedule.

    Arithmetic rules always apply; institution limits apply when `limits` is given
    (verifying an old agreement checks its arithmetic, not today's limits).
    """
    cur = plan.currency
    exact(plan.amount_due, cur, field="amount_due")
    exact(plan.total, cur, field="plan.total")
    if plan.amount_due <= 0:
        raise BadInput(f"must be more than zero, got {plan.amount_due}", field="amount_due")
    if plan.total <= 0:
        raise BadInput(f"must be more than zero, got {plan.total}", field="plan.total")
    if plan.kind is PlanKind.SETTLEMENT:
        if plan.total >= plan.amount_due:
            raise BadInput(f"a settlement total ({_money(plan.total, cur)}) must be less than the "
                           f"amount due ({_money(plan.amount_due, cur)})", field="plan.total")
    elif plan.total != plan.amount_due:
        raise BadInput(f"the plan total {_money(plan.total, cur)} does not add up to the amount "
                       f"due {_money(plan.amount_due, cur)}", field="plan.total")
    if plan.kind is PlanKind.LUMP_SUM and plan.count != 1:
        raise BadInput(f"a lump sum is one payment, got {plan.count}", field="plan.count")
    if plan.kind is PlanKind.INSTALMENTS and plan.count < 2:
        raise BadInput("an instalment plan needs at least 2 payments (use lump_sum for one)",
                       field="plan.count")
    if plan.first_due < agreed_on:
        raise BadInput(f"first payment {plan.first_due} is before the agreement date {agreed_on}",
                       field="plan.first_due")
    rows = schedule(plan)
    if limits is not None:
        _check_limits(plan, agreed_on, limits, rows)
    return rows


def _check_limits(plan: Plan, agreed_on: _dt.date, limits: PlanLimits,
                  rows: list[Instalment]) -> None:
    cur = plan.currency
    if plan.count > limits.max_instalments:
        raise BadInput(f"{plan.count} payments exceed the maximum of {limits.max_instalments}",
                       field="plan.count")
    lead = (plan.first_due - agreed_on).days
    max_lead = limits.max_deferral_days if plan.kind is PlanKind.DEFERRAL else limits.max_first_due_days
    if lead > max_lead:
        hint = "" if plan.kind is PlanKind.DEFERRAL else " (a later start is a deferral)"
        raise BadInput(f"first payment {plan.first_due} is {lead} days after the agreement; "
                       f"at most {max_lead} allowed{hint}", field="plan.first_due")
    if plan.count > 1:
        smallest = min(r.amount for r in rows)
        if smallest < limits.min_instalment:
            raise BadInput(f"instalments of {_money(smallest, cur)} are below the minimum instalment "
                           f"of {_money(exact(limits.min_instalment, cur), cur)}; use fewer payments",
                           field="plan.count")
    end = add_months(agreed_on, limits.max_term_months)
    if rows[-1].due > end:
        raise BadInput(f"the last payment on {rows[-1].due} is past the maximum term of "
                       f"{limits.max_term_months} months ({end})", field="plan.count")
    if plan.kind is PlanKind.SETTLEMENT:
        share = plan.discount / plan.amount_due
        if share > limits.max_settlement_discount:
            raise BadInput(f"the discount of {_money(plan.discount, cur)} is {share:.1%} of the amount "
                           f"due; at most {limits.max_settlement_discount:.0%} may be forgiven",
                           field="plan.total")
