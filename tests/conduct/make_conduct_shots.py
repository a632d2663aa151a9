"""Screenshots of the conduct and practice screens in English and Chinese, for looking at them.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/conduct/make_conduct_shots.py [OUT_DIR]

Not a test (nothing is asserted): the visit's outcome step with notes that the conduct
rules flag and personal numbers that will be masked; the agent's Practice screen during a
practice and after it; the lead's comment dialog with a warning; the lead's Practice table.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keyring  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from conftest import MemoryKeyring  # noqa: E402

NOTES = ("客户说再不还钱就去他单位也无所谓。He said we will tell his employer. "
         "新手机 13800138000，身份证 11010519491231002X")


def settle(app: QApplication, seconds: float = 0.2) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def shot(app: QApplication, widget, path: Path, size=(1100, 720)) -> None:
    widget.resize(*size)
    widget.show()
    settle(app)
    widget.grab().save(str(path))
    print(path)


def outcome_step(app: QApplication, out: Path, lang: str) -> None:
    from fieldapp.ui.i18n import Language
    from fieldapp.ui.visit.flow_state import FlowState, Step
    from fieldapp.ui.visit.outcome_step import OutcomePage
    from ui_visit.visit_helpers import make_setup

    state = FlowState(make_setup(), lang)
    rt = state.runtime = __import__("fieldapp.script", fromlist=["Runtime"]).Runtime(
        state.setup.script, state.setup.case_facts(), lang, clock=state.setup.clock)
    for answer in ("answered", None, None, "confirmed", None, "not_now", None):
        if rt.finished:
            break
        rt.answer(answer)
    state.step = Step.OUTCOME
    page = OutcomePage(Language(lang), state)
    page.load()
    page.notes.setPlainText(NOTES)
    shot(app, page, out / f"notes_warning_{lang}.png", (900, 640))


def practice_screen(app: QApplication, out: Path, lang: str, tmp: Path) -> None:
    from fieldapp.sync.service import AgentService
    from fieldapp.ui.app import build_context
    from fieldapp.ui.screens.practice import PracticeScreen
    from fieldapp.ui.settings import SettingsStore

    service = AgentService(store_path=tmp / f"practice-{lang}.db")
    ctx = build_context(service, synchronous=True, settings_store=SettingsStore(tmp / f"ui-{lang}.json"),
                        language=lang)
    ctx.user.display_name = "李明" if lang == "zh_CN" else "Alex Rivera"
    screen = PracticeScreen(ctx)
    screen.reload()
    screen.select("home_visit_cn" if lang == "zh_CN" else "home_visit_us")
    screen.start()
    rt = screen.runtime
    wanted = ("answered", "confirmed", "yes_talk", "income_fell", "refuses")

    def step() -> None:
        view = rt.current
        if view.type == "say":
            screen.player.answer(None)
        else:
            screen.player.answer(next(o.id for o in view.options if o.id in wanted))

    while rt.current.node != "talk_now":
        step()
    shot(app, screen, out / f"practice_running_{lang}.png")
    while not rt.finished:
        step()
    shot(app, screen, out / f"practice_done_{lang}.png")
    ctx.tasks.shutdown()
    service.close()


def lead_screens(app: QApplication, out: Path, lang: str, tmp: Path) -> None:
    from fieldapp.protocol.lead import AgentPractice, PersonRef, PracticeDone, PracticeStatusResponse, ScriptVersion
    from fieldapp.ui.app import build_context
    from fieldapp.ui.i18n import Language
    from fieldapp.ui.lead.decision_dialog import DecisionDialog
    from fieldapp.ui.lead.practice import PracticeTable
    from fieldapp.ui.settings import SettingsStore

    dialog = DecisionDialog(Language(lang), "return", "王芳 · CC-2026-0042 · 李明")
    dialog.comment.setPlainText("告诉他不还钱就曝光通讯录。客户电话 13800138000" if lang == "zh_CN" else
                                "Tell him we will contact his employer and neighbours. Mobile 13800138000")
    shot(app, dialog, out / f"lead_comment_warning_{lang}.png", (560, 420))

    ctx = build_context(None, synchronous=True, settings_store=SettingsStore(tmp / f"lead-{lang}.json"),
                        language=lang)
    table = PracticeTable(ctx, object())
    at = dt.datetime(2026, 12, 4, 2, 30, tzinfo=dt.timezone.utc)
    table.set_status(PracticeStatusResponse(
        team="nanjing-1", server_time=dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.timezone.utc),
        scripts=[ScriptVersion(id="home_visit_cn", version=2, title={"en": "Home visit (China)",
                                                                     "zh_CN": "上门拜访（中国）"}),
                 ScriptVersion(id="home_visit_us", version=2, title={"en": "Home visit (United States)",
                                                                     "zh_CN": "上门拜访（美国）"})],
        agents=[AgentPractice(agent=PersonRef(username="agent1", display_name="李明"),
                              done=[PracticeDone(script_id="home_visit_cn", version=2, completed_at=at),
                                    PracticeDone(script_id="home_visit_us", version=2, completed_at=at)]),
                AgentPractice(agent=PersonRef(username="agent2", display_name="张伟"),
                              done=[PracticeDone(script_id="home_visit_cn", version=1, completed_at=at)]),
                AgentPractice(agent=PersonRef(username="agent3", display_name="Alex Rivera"), done=[])]))
    shot(app, table, out / f"lead_practice_{lang}.png", (1000, 420))
    ctx.tasks.shutdown()


def main(out: Path) -> None:
    from fieldapp.ui.look import register_fonts

    keyring.set_keyring(MemoryKeyring())
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    register_fonts(app)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FIELDAPP_HOME"] = tmp
        for lang in ("en", "zh_CN"):
            outcome_step(app, out, lang)
            practice_screen(app, out, lang, Path(tmp))
            lead_screens(app, out, lang, Path(tmp))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("conduct-shots"))
