"""The lead's complaints screen on a real lead laptop against a live server: a complaint filed
on the customer's page is listed with its due date and answered from the laptop (the page then
shows the answer); a notice cut off by a crash is settled by the lead. Both languages drawn."""

from __future__ import annotations

import os
import shutil

import httpx
import pytest

from fieldapp.server.models import Appointment
from fieldapp.server.notify.worker import NoticeWorker
from fieldapp.server.services import feedback, notices
from fieldapp.sync.lead_service import LeadService
from fieldapp.ui.app import build_context
from fieldapp.ui.lead.complaints import ComplaintsScreen
from fieldapp.ui.lead.window import LeadWindow
from fieldapp.ui.settings import SettingsStore
from server.appt_kit import customer_world
from server.kit import password

from .conftest import FAST_RETRY


@pytest.fixture
def world(tmp_path, app_clock):
    with customer_world(f"sqlite:///{tmp_path / 'server.db'}", app_clock, upgrade=True) as w:
        yield w


def test_the_lead_answers_a_complaint_and_settles_a_notice(qtbot, world, tmp_path, app_clock):
    appt = world.propose("L-1")
    link = world.link(appt)
    with world.live.session() as s, s.begin():
        feedback.file_complaint(s, s.get(Appointment, appt), "他没有出示工作证。", world.live.settings)
    other = world.propose("L-2", day=5)
    with world.live.session() as s, s.begin():  # a worker died while emailing L-2
        notices.claim(s, "dead")
    world.live.settings.notice_lease_seconds = 1
    app_clock.advance(seconds=5)
    NoticeWorker(world.live.settings, world.live.engine).run_once()

    lead = LeadService(store_path=tmp_path / "lead.sqlite3", retry=FAST_RETRY, timeout_s=10.0)
    lead.login(world.url, "lead1", password("lead1"))
    ctx = build_context(lead, synchronous=True, settings_store=SettingsStore(tmp_path / "ui.json"), language="en")
    ctx.user.username, ctx.user.display_name = "lead1", "Lena Lead"
    win = LeadWindow(ctx, lead)
    qtbot.addWidget(win)
    win.resize(1200, 760)
    win.show()
    win.show_screen("complaints")
    screen: ComplaintsScreen = win.complaints
    assert screen.table.topLevelItemCount() == 1
    row = screen.table.topLevelItem(0)
    assert row.text(1) == "李明" and row.text(5) == "Open" and "他没有出示工作证" in screen.text.text()
    assert {screen.notices.topLevelItem(i).text(2) for i in range(screen.notices.topLevelItemCount())} == \
        {"Needs a decision"}
    win.grab().save(str(tmp_path / "complaints_en.png"))
    ctx.language.set_language("zh_CN")
    assert screen.table.topLevelItem(0).text(5) == "待处理" and screen.title.text() == "投诉与通知"
    win.grab().save(str(tmp_path / "complaints_zh_CN.png"))
    ctx.language.set_language("en")
    screen.answer.setPlainText("我们已核实，李明当天忘带工作证，已提醒。")
    screen.send_button.click()
    assert screen.table.topLevelItem(0).text(5) == "Answered"
    assert "已提醒" in httpx.get(link).text
    email_row = next(screen.notices.topLevelItem(i) for i in range(screen.notices.topLevelItemCount())
                     if screen.notices.topLevelItem(i).text(1) == "Email")
    screen.notices.setCurrentItem(email_row)
    screen.sent_button.click()
    with world.live.session() as s:
        states = {n.channel: n.state for n in notices.needing_attention(s)}
        assert "email" not in states
        assert s.get(Appointment, other).state == "notice_sent"
    ctx.tasks.shutdown()
    lead.close()
    if os.environ.get("FIELDAPP_LEAD_SHOTS"):  # to look at the screen in both languages
        for name in ("complaints_en.png", "complaints_zh_CN.png"):
            shutil.copy(tmp_path / name, os.environ["FIELDAPP_LEAD_SHOTS"])
