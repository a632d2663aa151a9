"""The agent's screens with appointments, on a real laptop store synced with a live server:
Today shows each appointment's state, a customer's request for another time is a task, and
the case's "Propose a time…" puts the requested time first and proposes it through the
outbox. Drawn in both languages (FIELDAPP_UI_SHOTS=DIR keeps the pictures)."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest

from fieldapp.server.models import Appointment
from fieldapp.server.services import appointments
from fieldapp.sync.service import AgentService
from fieldapp.sync.transport import RetryPolicy
from fieldapp.ui.app import build_context
from fieldapp.ui.screens.case_detail import CaseDetailScreen
from fieldapp.ui.screens.today import TodayScreen
from fieldapp.ui.settings import SettingsStore
from server.appt_kit import customer_world, local
from server.kit import password

FAST = RetryPolicy(attempts=2, backoff_s=0.01, backoff_max_s=0.05)


@pytest.fixture
def world(tmp_path, app_clock):
    with customer_world(f"sqlite:///{tmp_path / 'server.db'}", app_clock, upgrade=True) as w:
        confirmed = w.propose("T-1", day=4, hour=10)
        moved = w.propose("T-2", day=4, hour=14)
        w.send()
        with w.live.session() as s, s.begin():
            appointments.answer(s, s.get(Appointment, confirmed), "confirmed")
            appointments.answer(s, s.get(Appointment, moved), "reschedule_requested",
                                requested=(local(2026, 3, 5, 15, 0), local(2026, 3, 5, 16, 0)))
        yield w


@pytest.fixture
def laptop(world, tmp_path):
    service = AgentService(store_path=tmp_path / "laptop.sqlite3", retry=FAST, timeout_s=10)
    service.login(world.url, "agent1", password("agent1"))
    service.sync()
    yield service
    service.close()


def _shot(widget, tmp_path, name: str) -> None:
    path = tmp_path / name
    widget.grab().save(str(path))
    if os.environ.get("FIELDAPP_UI_SHOTS"):
        shutil.copy(path, os.environ["FIELDAPP_UI_SHOTS"])


def test_today_shows_states_and_the_customers_request(qtbot, laptop, tmp_path):
    ctx = build_context(laptop, synchronous=True, settings_store=SettingsStore(tmp_path / "ui.json"), language="en")
    today = TodayScreen(ctx)
    qtbot.addWidget(today)
    today.resize(1300, 620)
    today.show()
    today.show_day(dt.date(2026, 3, 4))
    texts = [today.route.topLevelItem(i).text(1) for i in range(today.route.topLevelItemCount())]
    assert texts == ["10:00–11:00 (UTC+8)\nConfirmed by the customer", "14:00–15:00 (UTC+8)\nThe customer asks for another time"]
    assert today.tasks.count() == 1
    task = today.tasks.item(0).text()
    assert "asks to move the visit to 2026-03-05 15:00–16:00" in task and today.tasks_title.text() == "Tasks (1)"
    _shot(today, tmp_path, "today_appointments_en.png")
    ctx.language.set_language("zh_CN")
    assert today.route.topLevelItem(0).text(1).endswith("客户已确认")
    assert "希望把拜访改到 2026-03-05 15:00–16:00" in today.tasks.item(0).text()
    _shot(today, tmp_path, "today_appointments_zh_CN.png")
    ctx.tasks.shutdown()


def test_proposing_the_requested_time_from_the_case(qtbot, laptop, world, tmp_path):
    ctx = build_context(laptop, synchronous=True, settings_store=SettingsStore(tmp_path / "ui.json"), language="en")
    case_id = next(r.id for r in laptop.list_cases() if r.reference == "T-2")
    detail = CaseDetailScreen(ctx)
    qtbot.addWidget(detail)
    detail.resize(1100, 700)
    detail.show()
    detail.open_case(case_id)
    assert "asks to move the visit to 2026-03-05 15:00–16:00" in detail.task_banner.text()
    assert detail.appointment_values["status"].text() == "The customer asks for another time"
    dialog = detail.ask_time()
    first = dialog.slots.item(0).text()
    assert first == "2026-03-05 15:00–16:00 (UTC+8): the time the customer asked for" and dialog.slots.count() > 1
    _shot(dialog, tmp_path, "propose_dialog_en.png")
    dialog.ok.click()
    assert dialog.proposed_id is not None
    [item] = [o for o in laptop.outbox() if o.kind == "appointment_proposal"]
    assert item.state == "waiting"
    assert laptop.sync().pushed_accepted == 1
    record = laptop.get_case(case_id)
    assert record.appointment.id == item.id and record.appointment.state == "proposed"
    assert record.appointment.start == local(2026, 3, 5, 15, 0)
    assert record.tasks == []  # the request is answered: the task is gone
    with world.live.session() as s:
        assert s.get(Appointment, item.id).replaces_id is not None
    ctx.tasks.shutdown()
