"""Screenshots of the agent's and lead's windows in the states a walk-through looks at
(sign-in, connection, sign-out, passphrase, empty lists, times with their zones, and the
visit's first steps), in English and Chinese, for looking at the layout.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui/make_shots.py [OUT_DIR]

Not a test (nothing is asserted); it drives the real widgets against the in-memory
service the GUI tests use.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from tempfile import mkdtemp

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from fieldapp.core import clock as app_clock  # noqa: E402
from fieldapp.store.rows import OutboxRow, TaskRow  # noqa: E402
from fieldapp.ui.app import Credentials, FieldApp, build_context  # noqa: E402
from fieldapp.ui.look import register_fonts  # noqa: E402
from fieldapp.ui.settings import SettingsStore  # noqa: E402
from ui.conftest import UTC, FakeService, Row, make_rows, record_for  # noqa: E402

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 3, 2, 1, 27, tzinfo=UTC)
GOOD = Credentials("http://127.0.0.1:9", "agent1", "demo-agent1")


def settle(app: QApplication, seconds: float = 0.2) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


class Shots:
    def __init__(self, out: Path, ctx, app: QApplication) -> None:
        self.out, self.ctx, self.app, self.n = out, ctx, app, 0

    def __call__(self, widget: QWidget, name: str) -> None:
        self.n += 1
        for code in ("en", "zh_CN"):
            self.ctx.language.set_language(code)
            settle(self.app, 0.1)
            widget.grab().save(str(self.out / f"{self.n:02d}_{name}_{code}.png"))
        self.ctx.language.set_language("en")
        print(f"{self.n:02d} {name}")


def rows() -> tuple[list, dict]:
    start = dt.datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    booked = []
    for i, (name, hour) in enumerate((("王芳", 1), ("李强", 3), ("Smith", 6))):
        s = start + dt.timedelta(hours=hour - 1)
        booked.append(Row(id=f"c{i}", reference=f"NJ-00{i}", customer_name=name, address=f"南京市鼓楼区北京西路 {i + 8} 号",
                          amount=Decimal("12345.67"), appointment_start=s, appointment_end=s + dt.timedelta(hours=1),
                          timezone="Asia/Shanghai"))
    records = {r.id: record_for(r, (32.06 + 0.01 * i, 118.79)) for i, r in enumerate(booked)}
    return booked + make_rows(20)[11:], records


def main(out: Path) -> None:
    app = QApplication.instance() or QApplication([])
    register_fonts(app)
    app_clock.set_source(lambda: NOW)
    out.mkdir(parents=True, exist_ok=True)
    home = Path(mkdtemp())
    service = FakeService()
    service.server_rows, service.records = rows()
    ctx = build_context(service, synchronous=True, settings_store=SettingsStore(home / "ui.json"), language="en",
                        clock=lambda: NOW, local_zone=SHANGHAI)
    shot = Shots(out, ctx, app)
    probes = {"fail": False}

    def probe():
        from fieldapp.sync.errors import Offline

        if probes["fail"]:
            raise Offline("no route to host")
        return True

    service.probe = probe
    field = FieldApp(ctx, probe_interval_ms=60_000)
    window = field.window
    window.resize(1280, 780)

    # Sign-in after a wrong password, and the question before quitting.
    field.start(credentials=Credentials(GOOD.server_url, GOOD.username, "wrong"))
    settle(app)
    dialog = field.login_dialog
    shot(window, "signin_wrong_password_window")
    shot(dialog, "signin_wrong_password")
    shot.n += 1
    for code in ("en", "zh_CN"):   # the question is worded when it opens
        ctx.language.set_language(code)
        QTest.mouseClick(dialog.cancel, Qt.MouseButton.LeftButton)
        settle(app)
        dialog.question.grab().save(str(out / f"{shot.n:02d}_signin_quit_question_{code}.png"))
        QTest.mouseClick(dialog.stay_button, Qt.MouseButton.LeftButton)
    ctx.language.set_language("en")
    dialog.password.setText("demo-agent1")
    dialog.sign_in.click()
    settle(app)

    # Signed in: the connection, the day, the case list's empty view, the case detail.
    service.outbox_rows = [OutboxRow("o1", "visit", "c1", "NJ-001", NOW, "waiting", None, None, None, 0, None)]
    window.refresh_all()
    window.today.show_day(dt.date(2026, 3, 2))
    settle(app)
    shot(window, "today_online")
    probes["fail"] = True
    window.sync.monitor.probe()
    settle(app)
    shot(window, "today_offline_by_probe")
    probes["fail"] = False
    window.sync.monitor.probe()
    window.today.show_day(dt.date(2026, 3, 3))
    settle(app)
    shot(window, "today_empty_day")
    window.today.show_day(None)
    window.show_screen("cases")
    window.search.setText("no such customer")
    window.apply_search()
    settle(app)
    shot(window, "cases_no_match")
    window.search.clear()
    window.apply_search()
    service.task_rows = [TaskRow("t1", "c0", "visit_returned", "v1", "请补充收入来源。", NOW, "lead1", None)]
    window.open_case("c0")
    settle(app)
    shot(window, "case_detail_times")

    # Sign out: nothing of the agent stays behind the sign-in.
    window.sign_out_button.click()
    settle(app)
    shot(window, "signed_out")
    field.login_dialog.reject()

    # A new store's passphrase.
    from fieldapp.ui.screens.passphrase import PassphraseDialog

    pd = PassphraseDialog(ctx.language, creating=True)
    pd.passphrase.setText("abc")
    pd.confirm.setText("abc")
    pd.show()
    pd.accept()
    settle(app)
    shot(pd, "passphrase_new_too_short")
    pd.close()

    # The lead's window: connection and an empty queue.
    from fieldapp.ui.lead.window import LeadWindow
    from ui.test_connection import FakeLeadService

    lead = FakeLeadService()
    lead.outbox_rows = [OutboxRow("d1", "review_decision", "c1", "NJ-001", NOW, "waiting", None, None, None, 0, None)]
    lw = LeadWindow(ctx, lead)
    lw.resize(1280, 780)
    lw.show()
    lw.refresh()
    lw.connection.monitor.start()
    lw.connection.monitor.probe()
    settle(app)
    shot(lw, "lead_connection_empty_queue")
    lw.connection.monitor.stop()
    lw.close()
    window.sync.stop()
    window.close()
    visit_shots(app, shot)


def visit_shots(app: QApplication, shot: Shots) -> None:
    """The visit's steps this walk-through changed, on the visit widgets alone."""
    from fieldapp.ui.visit.flow import VisitFlow
    from ui_visit.fake_position import position_factory
    from ui_visit.visit_drive import TO_AGREEMENT, click, play
    from ui_visit.visit_helpers import NEAR, SHANGHAI as SH, Clock, make_setup

    class Bot:
        def mouseClick(self, w, b, pos=None):  # noqa: N802
            QTest.mouseClick(w, b, Qt.KeyboardModifier.NoModifier, pos or w.rect().center())

        def keyClicks(self, w, text):  # noqa: N802
            QTest.keyClicks(w, text)

    bot, lang = Bot(), shot.ctx.language

    def flow_at(now: dt.datetime, source=None) -> VisitFlow:
        flow = VisitFlow(make_setup(clock=Clock(now)), lang, source_factory=source or position_factory(NEAR),
                         position_timeout_ms=15_000)
        flow.resize(1100, 760)
        flow.show()
        settle(app)
        return flow

    early = flow_at(dt.datetime(2026, 2, 28, 9, 0, tzinfo=SH))
    shot(early, "visit_two_days_early")
    early.close()
    soon = flow_at(dt.datetime(2026, 3, 2, 8, 30, tzinfo=SH))
    shot(soon, "visit_early_same_day")
    soon.close()

    waiting = flow_at(dt.datetime(2026, 3, 2, 9, 5, tzinfo=SH), source=position_factory())
    click(bot, waiting, "flowNext")
    settle(app, 1.2)
    shot(waiting, "visit_checkin_countdown")
    click(bot, waiting.checkin, "skipLocation")
    waiting.checkin.address_check.setChecked(True)
    settle(app)
    shot(waiting, "visit_checkin_skipped_no_reason_chosen")
    waiting.close()

    flow = flow_at(dt.datetime(2026, 3, 2, 9, 5, tzinfo=SH))
    click(bot, flow, "flowNext")
    settle(app)
    click(bot, flow, "flowNext")
    play(bot, flow.player, TO_AGREEMENT[:3])
    settle(app)
    shot(flow, "visit_identity_check")
    play(bot, flow.player, TO_AGREEMENT[3:6])
    flow.player.notes.setPlainText("一月份失业，妻子生病。Lost his job in January; wife is ill.")
    play(bot, flow.player, TO_AGREEMENT[6:])
    settle(app)
    shot(flow, "visit_conversation_end_agreement")
    click(bot, flow, "flowNext")
    settle(app)
    shot(flow, "visit_outcome_notes_carried")
    click(bot, flow, "flowNext")
    flow.plan_builder.count_spin.setValue(60)
    settle(app)
    shot(flow, "visit_plan_refused")
    flow.close()

    ended = flow_at(dt.datetime(2026, 3, 2, 9, 5, tzinfo=SH))
    click(bot, ended, "flowNext")
    settle(app)
    click(bot, ended, "flowNext")
    play(bot, ended.player, TO_AGREEMENT[:6])
    click(bot, ended.player, "stop_distress")
    click(bot, ended.player, "confirmStop")
    while not ended.player.view().finished:
        click(bot, ended.player, "sayDone")
    settle(app)
    shot(ended, "visit_ended_distress")
    click(bot, ended, "flowNext")
    settle(app)
    shot(ended, "visit_outcome_distress")
    ended.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/fieldapp-ui-shots"))
