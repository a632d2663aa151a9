"""Plan limits in plain words, in the agent's language.

`fieldapp.core.plans.check_plan` decides whether a plan is allowed; its messages are
English sentences for files and logs. Here the same refusal is said again for the
screen: the decision still comes from `check_plan` (never re-made here), and only the
wording is chosen by finding which of its rules the plan breaks. A refusal this module
cannot place falls back to the English sentence rather than hiding it.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Callable

from fieldapp.core.errors import BadInput
from fieldapp.core.money import Money, minor_units
from fieldapp.core.plans import (
    Frequency, Instalment, Plan, PlanKind, PlanLimits, add_months, check_plan, schedule,
)


def N_(message: str) -> str:
    """Mark `message` for the catalog; it is translated where it is shown."""
    return message


KIND_LABELS = {
    PlanKind.LUMP_SUM: N_("One payment"),
    PlanKind.INSTALMENTS: N_("Instalments"),
    PlanKind.DEFERRAL: N_("Deferral"),
    PlanKind.SETTLEMENT: N_("Settlement"),
}
KIND_HINTS = {
    PlanKind.LUMP_SUM: N_("The whole amount due in one payment."),
    PlanKind.INSTALMENTS: N_("The amount due in equal payments."),
    PlanKind.DEFERRAL: N_("The first payment later than usual."),
    PlanKind.SETTLEMENT: N_("A reduced total accepted in full settlement."),
}
FREQUENCY_LABELS = {
    Frequency.WEEKLY: N_("Weekly"),
    Frequency.FORTNIGHTLY: N_("Every two weeks"),
    Frequency.MONTHLY: N_("Monthly"),
}


Tr = Callable[..., str]  # a Translator, or the GUI's Language: tr(message, **values)


def money(amount: Decimal, currency: str) -> str:
    return str(Money(amount, currency))


def plan_problem(plan: Plan, agreed_on: _dt.date, limits: PlanLimits | None,
                 tr: Tr) -> tuple[str | None, list[Instalment]]:
    """(None, schedule) when `plan` is allowed, else (the reason in plain words, [])."""
    try:
        return None, check_plan(plan, agreed_on, limits)
    except BadInput as exc:
        return explain(exc, plan, agreed_on, limits, tr), []


def preview_rows(plan: Plan) -> list[Instalment]:
    """The schedule to show even while a limit is broken (empty when it cannot be split)."""
    try:
        return schedule(plan)
    except (BadInput, ArithmeticError, ValueError):
        return []


def explain(exc: BadInput, plan: Plan, agreed_on: _dt.date, limits: PlanLimits | None,
            tr: Tr) -> str:
    """The refusal `exc` of `check_plan` said for the agent, in `tr`'s language."""
    cur = plan.currency
    places = minor_units(cur)
    q = Decimal(1).scaleb(-places)
    for value in (plan.amount_due, plan.total):
        if value.quantize(q) != value:
            return tr("Amounts in {currency} have at most {places} decimals.", currency=cur, places=places)
    if plan.total <= 0:
        return tr("The total must be more than zero.")
    if plan.kind is PlanKind.SETTLEMENT and plan.total >= plan.amount_due:
        return tr("A settlement total must be less than the amount due ({due}).",
                  due=money(plan.amount_due, cur))
    if plan.kind is not PlanKind.SETTLEMENT and plan.total != plan.amount_due:
        return tr("The plan total {total} does not add up to the amount due {due}.",
                  total=money(plan.total, cur), due=money(plan.amount_due, cur))
    if plan.kind is PlanKind.INSTALMENTS and plan.count < 2:
        return tr("Instalments need at least 2 payments; for one payment choose “One payment”.")
    if plan.first_due < agreed_on:
        return tr("The first payment cannot be before today ({date}).", date=agreed_on.isoformat())
    if int(plan.total.scaleb(places)) < plan.count:
        return tr("{total} cannot be split into {count} payments.", total=money(plan.total, cur),
                  count=plan.count)
    if limits is not None:
        text = _limit_words(plan, agreed_on, limits, tr)
        if text:
            return text
    return exc.reason


def _limit_words(plan: Plan, agreed_on: _dt.date, limits: PlanLimits, tr: Tr) -> str | None:
    cur = plan.currency
    if plan.count > limits.max_instalments:
        return tr("{count} payments are more than the most allowed, {max}.", count=plan.count,
                  max=limits.max_instalments)
    lead = (plan.first_due - agreed_on).days
    if plan.kind is PlanKind.DEFERRAL:
        if lead > limits.max_deferral_days:
            return tr("The first payment is {days} days from today; a deferral may start at most "
                      "{max} days from today.", days=lead, max=limits.max_deferral_days)
    elif lead > limits.max_first_due_days:
        return tr("The first payment is {days} days from today; at most {max} days are allowed. "
                  "For a later start choose “Deferral”.", days=lead, max=limits.max_first_due_days)
    rows = preview_rows(plan)
    if not rows:
        return None
    if plan.count > 1:
        smallest = min(r.amount for r in rows)
        if smallest < limits.min_instalment:
            return tr("Each payment would be {amount}, less than the smallest payment allowed, {min}. "
                      "Choose fewer payments.", amount=money(smallest, cur),
                      min=money(limits.min_instalment.quantize(Decimal(1).scaleb(-minor_units(cur))), cur))
    end = add_months(agreed_on, limits.max_term_months)
    if rows[-1].due > end:
        return tr("The last payment, on {date}, is later than the longest term allowed, {months} months "
                  "(until {end}). Choose fewer or more frequent payments.", date=rows[-1].due.isoformat(),
                  months=limits.max_term_months, end=end.isoformat())
    if plan.kind is PlanKind.SETTLEMENT:
        share = plan.discount / plan.amount_due
        if share > limits.max_settlement_discount:
            return tr("This forgives {discount} ({share} of the amount due); at most {max} may be forgiven.",
                      discount=money(plan.discount, cur), share=f"{share:.1%}",
                      max=f"{limits.max_settlement_discount:.0%}")
    return None
