"""Team figures over a period: visits per agent, contact rate, promises to pay and kept,
agreements signed and their amounts, compliance exceptions.

Which visits count: those by the team's agents that started within the period (local
dates in the given zone, both ends included). A visit corrected by a later resubmission
is replaced by it, so a returned-and-corrected visit counts once.

A promise is *kept* when a later visit of the same case records `paid` or
`partial_payment` on or before the promised date (in the customer's zone): the server
receives no payment feed, so a payment is known only from what an agent records. A
promise is *due* once its date has passed or it was kept; the kept rate is kept / due.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from fieldapp.core.errors import BadInput, NotFound
from fieldapp.core.money import quantum
from fieldapp.core.outcomes import Outcome
from fieldapp.core.timeutil import utcnow, zone
from fieldapp.protocol.lead import MAX_FIGURES_DAYS, AgentFigures, FiguresResponse, exceptions_of
from fieldapp.server.errors import ApiError
from fieldapp.server.models import Agreement, Case, Team, User, Visit
from fieldapp.server.services import appointment_figures
from fieldapp.server.services.review import person, require_reviewer

PAYMENT_OUTCOMES = frozenset({Outcome.PAID.value, Outcome.PARTIAL_PAYMENT.value})


def _money(value: Decimal, currency: str) -> str:
    try:
        return format(value.quantize(quantum(currency)), "f")
    except BadInput:
        return format(value.normalize(), "f")


class _Tally:
    def __init__(self) -> None:
        self.row = AgentFigures()
        self.promised: dict[str, Decimal] = defaultdict(Decimal)
        self.agreed: dict[str, Decimal] = defaultdict(Decimal)

    def done(self) -> AgentFigures:
        self.row.promised_amounts = {c: _money(v, c) for c, v in sorted(self.promised.items())}
        self.row.agreement_amounts = {c: _money(v, c) for c, v in sorted(self.agreed.items())}
        return self.row


def _team(session: Session, user: User, team_name: str | None) -> Team | None:
    """The team whose figures are asked: a lead's own; for an admin the one named (or all)."""
    if user.role == "lead":
        if user.team is None:
            raise ApiError("forbidden", "this lead belongs to no team")
        if team_name and team_name != user.team.name:
            raise ApiError("forbidden", "a lead sees only the own team's figures")
        return user.team
    if not team_name:
        return None
    team = session.scalar(select(Team).where(Team.name == team_name))
    if team is None:
        raise NotFound(f"no team {team_name!r}")
    return team


def figures(session: Session, user: User, date_from: dt.date, date_to: dt.date, tz_name: str = "UTC",
            team_name: str | None = None, *, today: dt.date | None = None) -> FiguresResponse:
    require_reviewer(user)
    tz = zone(tz_name, field="tz")
    if date_to < date_from:
        raise BadInput(f"the period ends ({date_to}) before it starts ({date_from})", field="to")
    if (date_to - date_from).days >= MAX_FIGURES_DAYS:
        raise BadInput(f"a period is at most {MAX_FIGURES_DAYS} days", field="to")
    team = _team(session, user, team_name)
    start = dt.datetime.combine(date_from, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    members = select(User.id).where(User.team_id == team.id) if team is not None else None
    stmt = (select(Visit).where(Visit.started_at >= start, Visit.started_at < end)
            .options(joinedload(Visit.agent), joinedload(Visit.case).joinedload(Case.customer)))
    if members is not None:
        stmt = stmt.where(Visit.agent_id.in_(members))
    visits = list(session.scalars(stmt).unique())
    corrected = _corrected(session, [v.id for v in visits])
    visits = [v for v in visits if v.id not in corrected]
    agreements = dict(session.execute(select(Agreement.visit_id, Agreement)
                                      .where(Agreement.visit_id.in_([v.id for v in visits]))).all()) \
        if visits else {}
    kept = _kept_promises(session, visits)
    today = today or utcnow().astimezone(tz).date()

    tallies: dict[str, _Tally] = {}
    agents: dict[str, User] = {}
    if team is not None:  # every agent of the team shows, with or without visits
        for agent in session.scalars(select(User).where(User.team_id == team.id, User.role == "agent",
                                                        User.active.is_(True))):
            agents[agent.id] = agent
    for v in visits:
        agents.setdefault(v.agent_id, v.agent)
    for agent_id in agents:
        tallies[agent_id] = _Tally()
    total = _Tally()
    for v in visits:
        for tally in (tallies[v.agent_id], total):
            _count(tally, v, agreements.get(v.id), v.id in kept, today)
    ordered = sorted(agents.values(), key=lambda a: a.username.casefold())
    rows = []
    for agent in ordered:
        row = tallies[agent.id].done()
        row.agent = person(agent)
        rows.append(row)
    totals = total.done()
    appointment_figures.fill(session, {a.id: r for a, r in zip(ordered, rows)}, totals, start, end,
                             None if team is None else [a.id for a in ordered])
    return FiguresResponse(team=team.name if team is not None else None, date_from=date_from,
                           date_to=date_to, timezone=tz_name, agents=rows, total=totals,
                           server_time=utcnow())


def _count(tally: _Tally, v: Visit, agreement: Agreement | None, kept: bool, today: dt.date) -> None:
    row, record = tally.row, v.record
    row.visits += 1
    row.contacts += bool(v.contact_made)
    outcome = Outcome(v.outcome)
    row.outcomes[outcome] = row.outcomes.get(outcome, 0) + 1
    promise = record.get("promise")
    if promise:
        row.promises += 1
        tally.promised[promise["currency"]] += Decimal(promise["amount"])
        if kept or dt.date.fromisoformat(promise["due_date"]) < today:
            row.promises_due += 1
        row.promises_kept += kept
    if agreement is not None:
        row.agreements += 1
        tally.agreed[agreement.currency] += agreement.total
    found = exceptions_of(record, late=v.late is not None)
    if found:
        row.visits_with_exceptions += 1
        for kind in found:
            row.exceptions[kind] = row.exceptions.get(kind, 0) + 1


def _corrected(session: Session, visit_ids: list[str]) -> set[str]:
    if not visit_ids:
        return set()
    return set(session.scalars(select(Visit.corrects_visit_id)
                               .where(Visit.corrects_visit_id.in_(visit_ids))))


def _kept_promises(session: Session, visits: list[Visit]) -> set[str]:
    """Ids of the promise visits that a later recorded payment honoured in time."""
    promises = [v for v in visits if v.record.get("promise")]
    if not promises:
        return set()
    later = session.execute(
        select(Visit.id, Visit.case_id, Visit.started_at, Visit.outcome)
        .where(Visit.case_id.in_({v.case_id for v in promises}),
               Visit.outcome.in_(PAYMENT_OUTCOMES))).all()
    by_case: dict[str, list[tuple[str, dt.datetime]]] = defaultdict(list)
    for visit_id, case_id, started, _outcome in later:
        by_case[case_id].append((visit_id, started))
    corrected = _corrected(session, [vid for vid, *_ in later])
    kept = set()
    for v in promises:
        due = dt.date.fromisoformat(v.record["promise"]["due_date"])
        tz = zone(v.case.customer.timezone) if v.case.customer.timezone else dt.timezone.utc
        for visit_id, started in by_case.get(v.case_id, []):
            if visit_id not in corrected and started > v.started_at \
                    and started.astimezone(tz).date() <= due:
                kept.add(v.id)
                break
    return kept
