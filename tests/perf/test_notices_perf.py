"""Notice queue throughput (marker perf; run with `-m perf -s`): notices sent per second by the
worker (claim in the database, render, make the customer's link, send over SMTP, record sent
with its notification and the case's change) against the bare smtplib send loop to the same
loopback SMTP server, measured in the same run."""

from __future__ import annotations

import datetime as dt
import smtplib
import time
from email.message import EmailMessage

import pytest

from fieldapp.server.db import upgrade
from fieldapp.server.models import Appointment
from fieldapp.server.notify.loopback import LoopbackSmtp
from fieldapp.server.notify.worker import NoticeWorker
from fieldapp.server.services import appointments, notices
from fieldapp.server.testing import LiveServer

from server.appt_kit import MONDAY, add_customer_case, local, make_team, settings_for

N = 300


@pytest.fixture
def world(tmp_path, app_clock):
    app_clock.tick = False
    app_clock.set(MONDAY)
    url = f"sqlite:///{tmp_path / 'perf.db'}"
    upgrade(url)
    with LoopbackSmtp() as smtp:
        with LiveServer(url, upgrade_db=False, **settings_for(smtp.url, None)) as live:
            with live.session() as s, s.begin():
                make_team(s)
                add_customer_case(s, "Q-1")
                case = appointments.find_case(s, "Q-1")
                appt = appointments.propose(s, case, local(2026, 3, 4, 10, 0), local(2026, 3, 4, 11, 0),
                                            settings=live.settings, actor=None, via="back_office")
            yield live, smtp, appt.id


def _bare_loop(smtp: LoopbackSmtp, n: int) -> float:
    t = time.perf_counter()
    for i in range(n):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "notices@bank.example", "q-1@example.cn", f"bare {i}"
        msg.set_content("江南银行的工作人员李明（工号 NJ0003）预约于 2026年3月4日 10:00–11:00 上门拜访。")
        with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as client:  # one connection per message, as the channel
            client.send_message(msg)
    return time.perf_counter() - t


def test_notices_per_second_against_the_bare_smtp_loop(world):
    live, smtp, appt_id = world
    with live.session() as s, s.begin():
        appt = s.get(Appointment, appt_id)
        notices.enqueue(s, appt, appointments.find_case(s, "Q-1"), ["email"] * (N - 1), "zh_CN")
    worker = NoticeWorker(live.settings, live.engine, batch=50)
    t = time.perf_counter()
    done = worker.run_once()
    queue_s = time.perf_counter() - t
    assert done.sent == N and len(smtp.messages) == N
    bare_s = _bare_loop(smtp, N)
    assert len(smtp.messages) == 2 * N
    queue_rate, bare_rate = N / queue_s, N / bare_s
    print(f"\nnotice queue: {N} emails in {queue_s:.2f} s = {queue_rate:.0f} notices/s; bare smtplib loop: "
          f"{bare_rate:.0f} messages/s; ratio {bare_rate / queue_rate:.2f} (bare / queue)")
    worker.stop()
