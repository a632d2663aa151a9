"""Earlier visits for the demo, so a lead's queue and an agent's day look lived in: visits
made on the working day before the demo's today, each with its evidence as a laptop sends
it (the policy decisions at planning and check-in from the real engine, the transcript of
a real run of the shipped script, location and distance), and the lead's decisions:

- DEMO-0016 (agent1, booked again on the demo day): a promise to pay, returned by lead1
  with a comment, so agent1 starts the day with a returned visit to answer;
- DEMO-0010 (agent1): a promise to pay, approved;
- DEMO-0002 (agent2): nobody at home, no location at check-in (an exception), to review;
- DEMO-0005 (agent2): refused, notes kept despite the phrase check (an exception), to review;
- DEMO-0003 (agent3): a promise to pay, to review.

Deterministic for a date (ids derive from the case and the date); a visit already there
is left alone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import zone
from fieldapp.protocol.v1 import VisitRecord
from fieldapp.server import audit
from fieldapp.server.models import Case, Review, User, Visit
from fieldapp.server.services.changes import case_changed

RETURN_COMMENT = "请在备注中写明客户的收入来源和还款资金来源。Please note the customer's source of income and of the payment."
APPROVE_COMMENT = "记录完整，同意。"
NAMESPACE = uuid.UUID("6f1d0c4e-2b7a-4b8e-9d1a-3c5e7f9a2b4d")

# (external id, outcome, hour, lead's decision or None, with location, answers towards the outcome)
PLAN: tuple[tuple[str, str, int, str | None, bool], ...] = (
    ("DEMO-0016", "promise_to_pay", 10, "returned", True),
    ("DEMO-0010", "promise_to_pay", 15, "approved", True),
    ("DEMO-0002", "not_home", 9, None, False),
    ("DEMO-0005", "refused", 14, None, True),
    ("DEMO-0003", "promise_to_pay", 11, None, True),
)
ANSWERS = {
    "promise_to_pay": ("answered", "confirmed", "yes_talk", "income_fell", "pay_by_date"),
    "refused": ("answered", "confirmed", "yes_talk", "refuses"),
    "not_home": ("no_answer",),
}
NOTES = {
    "promise_to_pay": "客户本月收入减少，承诺两周内先还一部分。",
    "refused": "客户拒绝沟通，情绪激动，说了“后果自负”，我没有回应，礼貌离开。",
    "not_home": "家中无人，按规定只留下了联系卡。",
}


def _working_day_before(day: dt.date) -> dt.date:
    import holidays

    cn = holidays.country_holidays("CN", years=range(day.year - 1, day.year + 1))
    day -= dt.timedelta(days=1)
    while day.weekday() >= 5 or day in cn:
        day -= dt.timedelta(days=1)
    return day


def _transcript(case: Case, agent: User, outcome: str, started: dt.datetime, institution: Any) -> dict[str, Any]:
    """A real run of the shipped script towards `outcome`; the runtime's record parts."""
    from fieldapp.script import Runtime, load_script

    script = load_script("home_visit_cn")
    moment = [started]

    def clock() -> dt.datetime:
        moment[0] += dt.timedelta(seconds=50)
        return moment[0]

    facts = {"customer_name": case.customer.name, "agent_name": agent.display_name,
             "institution": dict(institution.names) if institution is not None else "南京示范银行",
             "reference": case.reference, "amount_due": format(case.amount_due, "f"), "currency": case.currency,
             "days_past_due": case.days_past_due, "tier": case.tier, "product": case.product,
             "timezone": case.customer.timezone}
    rt = Runtime(script, {k: v for k, v in facts.items() if v is not None}, "zh_CN", clock=clock)
    wanted = ANSWERS[outcome]
    for _ in range(40):
        if rt.finished:
            break
        view = rt.current
        if view.type == "say":
            rt.answer()
        elif view.type == "ask":
            ids = [o.id for o in view.options]
            note = NOTES[outcome] if view.notes_allowed and outcome != "not_home" else None
            rt.answer(next((w for w in wanted if w in ids), ids[0]), note=note)
        elif view.input.kind == "money":
            share = (case.amount_due / 4).quantize(Decimal("1"))
            rt.answer(format(max(share, Decimal("100")), "f"))
        elif view.input.kind == "date":
            rt.answer((started.date() + dt.timedelta(days=14)).isoformat())
        elif view.input.kind == "integer":
            rt.answer(6)
        else:
            rt.answer(True)
    return rt.record()


def _decisions(case: Case, start: dt.datetime, checkin: dt.datetime,
               where: tuple[float, float] | None) -> tuple[dict[str, Any], dict[str, Any], float | None]:
    from fieldapp.geo.distance import distance_m
    from fieldapp.policy import Context, evaluate, load_policy

    cust = case.customer
    notice = start - dt.timedelta(days=2)
    context: dict[str, Any] = {
        "customer": {"timezone": cust.timezone, "region": cust.region, "flags": list(cust.flags or []),
                     "location": {"lat": cust.lat, "lon": cust.lon} if cust.lat is not None else None},
        "appointment": {"start": start.isoformat(), "end": (start + dt.timedelta(hours=1)).isoformat()},
        "notifications": [{"channel": "sms", "sent_at": notice.isoformat(),
                           "delivered_at": (notice + dt.timedelta(minutes=1)).isoformat()}],
        "visits": []}
    if context["customer"]["location"] is None:
        del context["customer"]["location"]
    policy = load_policy(case.policy_id)
    planning = evaluate(Context.from_json(context), policy, lang="zh_CN").to_json()
    context["now"] = checkin.isoformat()
    distance = None
    if where is not None:
        context["agent_location"] = {"lat": where[0], "lon": where[1], "accuracy_m": 12}
        if cust.lat is not None and cust.lon is not None:
            distance = round(distance_m(where, (cust.lat, cust.lon)), 1)
    return planning, evaluate(Context.from_json(context), policy, lang="zh_CN").to_json(), distance


def seed_visits(session: Session, today: dt.date) -> int:
    """The earlier visits of PLAN; returns how many were added."""
    from fieldapp.server.services import institution as institution_service

    users = {u.username: u for u in session.scalars(select(User))}
    lead = users.get("lead1")
    creditor = institution_service.current(session)
    tz = zone("Asia/Shanghai")
    day = _working_day_before(today)
    added = 0
    for external_id, outcome, hour, decision, located in PLAN:
        case = session.scalar(select(Case).where(Case.external_id == external_id))
        if case is None or case.agent is None:
            continue
        visit_id = str(uuid.uuid5(NAMESPACE, f"{external_id}/{day.isoformat()}"))
        if session.get(Visit, visit_id) is not None:
            continue
        agent = case.agent
        start = dt.datetime.combine(day, dt.time(hour, 0), tz)
        checkin = start + dt.timedelta(minutes=3)
        cust = case.customer
        where = (round(cust.lat + 0.00018, 6), round(cust.lon + 0.00011, 6)) \
            if located and cust.lat is not None and cust.lon is not None else None
        planning, checked, distance = _decisions(case, start, checkin, where)
        talk = _transcript(case, agent, outcome, checkin, creditor)
        ended = checkin + dt.timedelta(minutes=6 if outcome == "not_home" else 35)
        record = VisitRecord.model_validate({
            "visit_id": visit_id, "case_id": case.id, "agent_started_at": start.isoformat(),
            "checked_in_at": checkin.isoformat(), "ended_at": ended.isoformat(),
            "location": {"lat": where[0], "lon": where[1], "accuracy_m": 12.0} if where else None,
            "location_exception": None if where else "indoors: 楼道内没有定位信号",
            "distance_m": distance, "planning_decision": planning, "checkin_decision": checked,
            "script_id": talk["script_id"], "transcript": talk["transcript"], "outcome": talk["outcome"],
            "contact_made": talk["contact_made"], "notes": NOTES[outcome],
            "note_warnings": talk["note_warnings"], "promise": talk["promise"]})
        received = ended + dt.timedelta(minutes=20)
        session.add(Visit(id=visit_id, case_id=case.id, agent_id=agent.id, outbox_item_id=f"demo-{visit_id}",
                          started_at=start, checked_in_at=checkin, ended_at=ended,
                          contact_made=record.contact_made, outcome=record.outcome.value,
                          record=record.model_dump(mode="json"), received_at=received))
        session.flush()
        review = Review(visit_id=visit_id, state=decision or "pending", comment="", created_at=received)
        audit.record(session, "visit.received", "visit", visit_id, agent.id, case_id=case.id, demo=True)
        if decision is not None and lead is not None:
            review.comment = RETURN_COMMENT if decision == "returned" else APPROVE_COMMENT
            review.decided_by = lead.id
            review.decided_at = received + dt.timedelta(hours=2)
            audit.record(session, f"review.{decision}", "visit", visit_id, lead.id, demo=True)
        session.add(review)
        session.flush()
        session.expire(case, ["visits"])
        case_changed(session, case)
        added += 1
    return added
