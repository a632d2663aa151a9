"""Calling the customer from the case: the number goes to the system's tel:/sms: handler
(here a softphone registered with Qt), the agent logs the result, and after the third
contact the policy blocks the visit on the case screen. Real laptop store, live server.
Drawn in English and Chinese (FIELDAPP_UI_SHOTS=DIR keeps the pictures)."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import field_policies
import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from fieldapp.sync.service import AgentService
from fieldapp.sync.transport import RetryPolicy
from fieldapp.ui.app import build_context
from fieldapp.ui.screens.case_detail import CaseDetailScreen
from fieldapp.ui.settings import SettingsStore
from server.appt_kit import MONDAY, customer_world, local
from server.kit import add_case, password

FAST = RetryPolicy(attempts=2, backoff_s=0.01, backoff_max_s=0.05)


class Softphone(QObject):
    """What a softphone does for Qt: it takes tel: and sms: links."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def take(self, url: QUrl) -> None:
        self.opened.append(url.toString())


@pytest.fixture
def world(tmp_path, app_clock, monkeypatch):
    field_policies.install(tmp_path, monkeypatch)
    with customer_world(f"sqlite:///{tmp_path / 'server.db'}", app_clock, upgrade=True) as w:
        with w.live.session() as s, s.begin():
            notice = MONDAY - dt.timedelta(days=1)
            add_case(s, "C-1", policy_id=field_policies.CONTACTS, phone="+86 138 0013 8000",
                     start=local(2026, 3, 4, 10, 0), notifications=[("sms", notice, notice)])
        yield w
    field_policies.uninstall(monkeypatch)


@pytest.fixture
def laptop(world, tmp_path):
    service = AgentService(store_path=tmp_path / "laptop.sqlite3", retry=FAST, timeout_s=10)
    service.login(world.url, "agent1", password("agent1"))
    service.sync()
    yield service
    service.close()


@pytest.fixture
def softphone():
    phone = Softphone()
    for scheme in ("tel", "sms"):
        QDesktopServices.setUrlHandler(scheme, phone, "take")
    yield phone
    for scheme in ("tel", "sms"):
        QDesktopServices.unsetUrlHandler(scheme)


def _shot(widget, tmp_path, name: str) -> None:
    from PySide6.QtWidgets import QApplication

    path = tmp_path / name
    widget.show()  # laid out as the agent sees it (wrapped sentences take their height)
    QApplication.processEvents()
    widget.grab().save(str(path))
    if os.environ.get("FIELDAPP_UI_SHOTS"):
        shutil.copy(path, os.environ["FIELDAPP_UI_SHOTS"])


def _detail(qtbot, laptop, tmp_path):
    ctx = build_context(laptop, synchronous=True, settings_store=SettingsStore(tmp_path / "ui.json"), language="en")
    detail = CaseDetailScreen(ctx)
    qtbot.addWidget(detail)
    detail.resize(1100, 700)
    detail.show()
    [row] = laptop.list_cases()
    detail.open_case(row.id)
    return ctx, detail, row.id


def test_calls_are_logged_and_then_block_the_visit(qtbot, laptop, softphone, tmp_path):
    ctx, detail, case_id = _detail(qtbot, laptop, tmp_path)
    assert detail.contact_button.text() == "Call or message…"
    dialog = detail.ask_contact()
    assert "0 (0 visits, 0 calls, 0 messages); at most 3" in dialog.limit.text()
    assert dialog.start("call")
    assert softphone.opened == ["tel:+8613800138000"]
    assert "Handed to the laptop's phone app" in dialog.status.text()
    assert not dialog.log_button.isEnabled() and not dialog.radios["sent"].isVisibleTo(dialog)
    dialog.choose("no_answer")
    dialog.log()
    assert "Logged" in dialog.status.text() and dialog.history.count() == 1
    assert "No answer" in dialog.history.item(0).text()
    dialog.start("sms")
    assert softphone.opened[-1] == "sms:+8613800138000"
    dialog.choose("sent")
    dialog.log()
    dialog.start("call")
    dialog.choose("answered")
    dialog.note.setText("will pay on Friday")
    _shot(dialog, tmp_path, "contact_dialog_en.png")
    dialog.log()
    assert dialog.history.count() == 3
    assert dialog.limit.text().startswith("The next visit is blocked: Contact attempts in the 7 days")
    assert not detail.can_start and "contact attempts" in detail.start_reason.text().lower()
    _shot(dialog, tmp_path, "contact_dialog_blocked_en.png")
    ctx.language.set_language("zh_CN")
    assert dialog.windowTitle() == "致电或发短信给客户" and "电话 2 次" in dialog.limit.text()
    _shot(dialog, tmp_path, "contact_dialog_blocked_zh_CN.png")
    _shot(detail, tmp_path, "case_blocked_by_calls_zh_CN.png")
    assert [o.kind for o in laptop.outbox()] == ["contact_attempt"] * 3
    assert laptop.sync().pushed_accepted == 3
    ctx.tasks.shutdown()


def test_without_a_phone_app_the_agent_is_told_and_can_still_log(qtbot, laptop, tmp_path):
    ctx, detail, case_id = _detail(qtbot, laptop, tmp_path)
    dialog = detail.ask_contact()
    # No handler registered for tel:; on this machine nothing opens it either (offscreen).
    QDesktopServices.setUrlHandler("tel", None, "")
    handled = dialog.start("call")
    if handled:
        pytest.skip("this machine has a handler for tel: links")
    assert "No phone app on this laptop opens tel: links" in dialog.status.text()
    _shot(dialog, tmp_path, "contact_dialog_no_phone_en.png")
    dialog.choose("busy")
    dialog.log()
    assert [a.result for a in laptop.get_case(case_id).contact_attempts] == ["busy"]
    ctx.tasks.shutdown()


@pytest.fixture
def photo_laptop(tmp_path, app_clock, monkeypatch):
    field_policies.install(tmp_path, monkeypatch)
    with customer_world(f"sqlite:///{tmp_path / 'server.db'}", app_clock, upgrade=True) as w:
        with w.live.session() as s, s.begin():
            notice = MONDAY - dt.timedelta(days=1)
            add_case(s, "C-2", policy_id=field_policies.PHOTOS, start=local(2026, 3, 4, 10, 0),
                     notifications=[("sms", notice, notice)])
        service = AgentService(store_path=tmp_path / "laptop.sqlite3", retry=FAST, timeout_s=10)
        service.login(w.url, "agent1", password("agent1"))
        service.sync()
        yield service
        service.close()
    field_policies.uninstall(monkeypatch)


def test_the_photo_screen_says_what_the_policy_forbids(qtbot, photo_laptop, tmp_path):
    from PIL import Image

    ctx, detail, case_id = _detail(qtbot, photo_laptop, tmp_path)
    dialog = detail.ask_photos()
    texts = [label.text() for label in dialog.rule_labels if label.text()]
    assert texts[0].startswith("No photos of people") and texts[1].startswith("No photos inside the home")
    assert "the time it was taken, where it was taken" in texts[2]
    assert dialog.camera.message.text().startswith("No camera found on this laptop")
    assert dialog.camera.take_button.isHidden()  # no camera here: nothing to press (test_photo_camera feeds one)
    path = tmp_path / "door.png"
    Image.new("RGB", (2400, 1800), (30, 110, 60)).save(path)
    dialog.kind.setCurrentIndex(1)
    dialog.add_file(path)
    assert dialog.list.count() == 1 and "Notice left at the door" in dialog.list.item(0).text()
    assert [p.kind for p in photo_laptop.pending_photos(case_id)] == ["door_notice"]
    _shot(dialog, tmp_path, "photo_dialog_en.png")
    ctx.language.set_language("zh_CN")
    assert dialog.rule_labels[0].text().startswith("不得拍摄人物")
    assert dialog.camera.message.text().startswith("本机未找到摄像头")
    assert dialog.status.text().startswith("已添加")  # the last message follows the language too
    _shot(dialog, tmp_path, "photo_dialog_zh_CN.png")
    dialog.add_file(tmp_path / "missing.jpg")
    assert "cannot be read" in dialog.status.text() or "无法读取" in dialog.status.text()
    ctx.tasks.shutdown()
