"""Putting cases on the real server for sync tests (the server's own models and change log)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import select

from fieldapp.core.timeutil import utcnow
from fieldapp.server import admin
from fieldapp.server.models import Appointment, Case, Customer, Notification, User
from fieldapp.server.services.changes import case_changed
from visitdata import agreement_visit, visit_record  # noqa: F401  (re-exported for tests)

PASSWORD = "correct horse battery"


def add_agent(session, username: str, team: str = "north") -> User:
    return admin.create_user(session, username, PASSWORD, "agent", team)


def add_cases(session, agent: str | None, n: int, prefix: str = "C") -> list[str]:
    """n open cases with customer, appointment and notification, assigned to `agent`."""
    agent_id = admin.find_user(session, agent).id if agent else None
    now = utcnow().replace(microsecond=0)
    ids = []
    for i in range(n):
        tag = f"{prefix}{i:05d}-{uuid.uuid4().hex[:6]}"
        cust = Customer(external_ref=f"cust-{tag}", name=f"Customer {tag}", phone="+86 138 0000 0000",
                        id_tail="1234", address=f"{i} Zhongshan Road, Nanjing", lat=32.06, lon=118.79,
                        timezone="Asia/Shanghai", region="CN", language="zh_CN", flags=[])
        session.add(cust)
        session.flush()
        case = Case(external_id=f"ext-{tag}", reference=f"REF-{tag}", customer_id=cust.id,
                    amount_due=Decimal("1234.50") + i, currency="CNY", days_past_due=30 + i % 200,
                    tier="A" if i % 3 else "B", product="card", status="open",
                    assigned_agent_id=agent_id, policy_id="cn", created_at=now, updated_at=now)
        session.add(case)
        session.flush()
        start = now + dt.timedelta(days=2, hours=i % 8)
        session.add(Appointment(case_id=case.id, start=start, end=start + dt.timedelta(hours=1),
                                status="scheduled", created_at=now))
        session.add(Notification(case_id=case.id, channel="sms", sent_at=now - dt.timedelta(days=1),
                                 delivered_at=now - dt.timedelta(days=1)))
        session.flush()
        case_changed(session, case)
        ids.append(case.id)
    return ids


def touch_cases(session, case_ids: list[str], amount_delta: Decimal = Decimal("1")) -> None:
    for case in session.scalars(select(Case).where(Case.id.in_(case_ids))):
        case.amount_due = case.amount_due + amount_delta
        case_changed(session, case)


def visible_cases(session, agent: str) -> dict[str, Case]:
    user = admin.find_user(session, agent)
    return {c.id: c for c in session.scalars(select(Case).where(Case.assigned_agent_id == user.id,
                                                                 Case.status == "open"))}

