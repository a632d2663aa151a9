"""Helpers for appointment, notice and customer-page tests: a fixed Monday morning in
Shanghai, people with staff numbers, cases whose customers have an email and a mobile."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from fieldapp.server import admin
from fieldapp.server.models import Appointment, Case
from fieldapp.server.models_appointments import Notice

from .kit import PEOPLE, add_case, password

SH = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SH)  # a working Monday; no holiday near
SECRET = "receipt-secret-for-tests"


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def settings_for(smtp_url: str | None = "smtp://127.0.0.1:9", sms_url: str | None = "http://127.0.0.1:9/send",
                 **kw: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict(smtp_url=smtp_url, sms_gateway_url=sms_url, sms_webhook_secret=SECRET,
                                  institution_name="江南银行", institution_phone="95555", notice_worker=False,
                                  smtp_sender="notices@bank.example", geocoder="none")
    values.update(kw)
    return values


def make_team(session) -> None:  # type: ignore[no-untyped-def]
    for n, (name, (role, team)) in enumerate(PEOPLE.items(), 1):
        display = {"agent1": "李明", "agent2": "张伟", "agent3": "陈静"}.get(name, name)
        admin.create_user(session, name, password(name), role, team, display, staff_number=f"NJ{n:04d}")


def add_customer_case(session, ext: str, agent: str = "agent1", **kw: Any) -> str:  # type: ignore[no-untyped-def]
    kw.setdefault("email", f"{ext.lower()}@example.cn")
    kw.setdefault("policy_id", "seed")
    kw.setdefault("appointment", None)
    kw.setdefault("notifications", [])
    return add_case(session, ext, agent, **kw)


def notices_of(session, appointment_id: str) -> list[Notice]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(Notice).where(Notice.appointment_id == appointment_id)
                                .order_by(Notice.channel)))


def appointment_of(session, ext: str) -> Appointment:  # type: ignore[no-untyped-def]
    case = session.scalar(select(Case).where(Case.external_id == ext))
    return session.scalars(select(Appointment).where(Appointment.case_id == case.id)
                           .order_by(Appointment.created_at.desc())).first()
