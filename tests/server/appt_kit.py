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


def link_from(message) -> str:  # type: ignore[no-untyped-def]
    """The customer's link in a sent email."""
    import re

    found = re.search(r"(https?://\S+/c/[A-Za-z0-9_-]+)", message.get_content())
    assert found, "no link in the message"
    return found.group(1)


class CustomerWorld:
    """A live server with loopback SMTP and SMS, a team, and helpers to send a case's notice."""

    def __init__(self, live, smtp, gateway):  # type: ignore[no-untyped-def]
        self.live, self.smtp, self.gateway = live, smtp, gateway

    @property
    def url(self) -> str:
        return self.live.url

    def propose(self, ext: str, day: int = 4, hour: int = 10, agent: str = "agent1", **case_kw: Any) -> str:
        from fieldapp.server.services import appointments

        with self.live.session() as s, s.begin():
            if s.scalar(select(Case.id).where(Case.external_id == ext)) is None:
                add_customer_case(s, ext, agent, **case_kw)
            case = appointments.find_case(s, ext)
            return appointments.propose(s, case, local(2026, 3, day, hour, 0), local(2026, 3, day, hour + 1, 0),
                                        settings=self.live.settings, actor=None, via="back_office").id

    def send(self) -> None:
        from fieldapp.server.notify.worker import NoticeWorker

        NoticeWorker(self.live.settings, self.live.engine).run_once()

    def link(self, appointment_id: str) -> str:
        """Send what is due and return the link of this appointment's email."""
        self.send()
        with self.live.session() as s:
            email = next(n for n in notices_of(s, appointment_id) if n.channel == "email")
        [message] = self.smtp.by_message_id(email.id)
        return link_from(message)

    def visited(self, appointment_id: str) -> None:
        from fieldapp.server.models import Appointment
        from fieldapp.server.services import appointments

        with self.live.session() as s, s.begin():
            appt = s.get(Appointment, appointment_id)
            appointments._set(s, appt, "visited", None, appt.end)
            appointments._changed(s, appt)


def customer_world(db_url: str, app_clock, *, upgrade: bool = False, **overrides: Any):  # type: ignore[no-untyped-def]
    """Context manager: a CustomerWorld on Monday morning (the clock stands still)."""
    import contextlib

    from fieldapp.server.notify.loopback import LoopbackSmsGateway, LoopbackSmtp, free_port
    from fieldapp.server.testing import LiveServer

    @contextlib.contextmanager
    def run():  # type: ignore[no-untyped-def]
        app_clock.tick = False
        app_clock.set(MONDAY)
        with LoopbackSmtp() as smtp, LoopbackSmsGateway(secret=SECRET) as gateway:
            port = free_port()
            values = settings_for(smtp.url, gateway.url, page_max_requests=10_000,
                                  public_base_url=f"http://127.0.0.1:{port}", **overrides)
            with LiveServer(db_url, upgrade_db=upgrade, port=port, **values) as live:
                with live.session() as s, s.begin():
                    make_team(s)
                yield CustomerWorld(live, smtp, gateway)

    return run()
