"""Screenshots of every visit step in English and Chinese, for looking at the layout.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui_visit/make_shots.py [OUT_DIR]

Not a test (nothing is asserted); it drives the real widgets the way the tests do.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from fieldapp.ui.i18n import Language  # noqa: E402
from fieldapp.ui.look import register_fonts  # noqa: E402
from fieldapp.ui.visit.flow import VisitFlow  # noqa: E402
from ui_visit.visit_drive import TO_AGREEMENT  # noqa: E402
from ui_visit.visit_helpers import NEAR, make_case, make_setup  # noqa: E402


class Bot:
    """The few qtbot calls visit_drive uses, on plain QTest."""

    def mouseClick(self, w, b, pos=None):  # noqa: N802
        QTest.mouseClick(w, b, Qt.KeyboardModifier.NoModifier, pos or w.rect().center())

    def mousePress(self, w, b, pos):  # noqa: N802
        QTest.mousePress(w, b, Qt.KeyboardModifier.NoModifier, pos)

    def mouseMove(self, w, pos):  # noqa: N802
        QTest.mouseMove(w, pos)

    def mouseRelease(self, w, b, pos):  # noqa: N802
        QTest.mouseRelease(w, b, Qt.KeyboardModifier.NoModifier, pos)

    def keyClicks(self, w, text):  # noqa: N802
        QTest.keyClicks(w, text)


def settle(app: QApplication, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def main(out: Path) -> None:
    from ui_visit.visit_drive import click, play, sign
    from ui_visit.fake_position import position_factory

    app = QApplication.instance() or QApplication([])
    register_fonts(app)
    out.mkdir(parents=True, exist_ok=True)
    bot = Bot()
    language = Language("en")
    count = [0]

    def shot(widget, name: str) -> None:
        count[0] += 1
        for code in ("en", "zh_CN"):
            language.set_language(code)
            settle(app, 0.4 if "preview" in name else 0.1)
            widget.grab().save(str(out / f"visit_{count[0]:02d}_{name}_{code}.png"))
        language.set_language("en")

    def new_flow(setup=None, factory=None):
        flow = VisitFlow(setup or make_setup(), language, source_factory=factory or position_factory(NEAR))
        flow.resize(1000, 720)
        flow.show()
        settle(app)
        return flow

    blocked = new_flow(make_setup(make_case(flags=["cease_contact"], notified_hours=5)))
    shot(blocked, "precheck_blocked")
    blocked.close()
    bare = new_flow(factory=lambda parent: None)
    shot(bare, "precheck")
    click(bot, bare, "flowNext")
    shot(bare, "checkin_no_location")
    bare.close()

    flow = new_flow()
    click(bot, flow, "flowNext")
    settle(app)
    shot(flow, "checkin")
    click(bot, flow, "flowNext")
    play(bot, flow.player, TO_AGREEMENT[:1])
    shot(flow, "script_say")
    play(bot, flow.player, TO_AGREEMENT[1:3])
    shot(flow, "script_identity")
    play(bot, flow.player, TO_AGREEMENT[3:4])
    shot(flow, "script_disclosure")
    play(bot, flow.player, TO_AGREEMENT[4:6])
    bot.keyClicks(flow.player.notes, "Lost his job. You'll regret it")
    click(bot, flow.player, "option_income_fell")
    shot(flow, "script_notes_warning")
    flow.player.keep_wording.setChecked(True)
    click(bot, flow.player, "option_income_fell")
    play(bot, flow.player, TO_AGREEMENT[7:8])
    shot(flow, "script_integer")
    click(bot, flow.player, "stop_asked_to_leave")
    shot(flow, "script_stop_confirm")
    click(bot, flow.player, "cancelStop")
    play(bot, flow.player, TO_AGREEMENT[8:10])
    shot(flow, "script_say_confirm")
    play(bot, flow.player, TO_AGREEMENT[10:])
    shot(flow, "script_end")
    click(bot, flow, "flowNext")
    bot.keyClicks(flow.pages["outcome"].notes, "Lost his job in January. Agreed six monthly payments.")
    shot(flow, "outcome")
    click(bot, flow, "flowNext")
    shot(flow, "plan")
    flow.plan_builder.count_spin.setValue(40)
    shot(flow, "plan_limit")
    flow.plan_builder.count_spin.setValue(6)
    click(bot, flow, "flowNext")
    shot(flow, "read_draft")
    click(bot, flow.read_page, "reading_read_aloud")
    click(bot, flow, "flowNext")
    shot(flow, "sign_customer_empty")
    sign(bot, flow.sign_page("customer").pad)
    shot(flow, "sign_customer")
    click(bot, flow, "flowNext")
    sign(bot, flow.sign_page("agent").pad, offset=40)
    shot(flow, "sign_agent")
    click(bot, flow, "flowNext")
    shot(flow, "preview")
    click(bot, flow, "flowNext")
    shot(flow, "done")
    print(f"{count[0] * 2} screenshots in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/shots"))
