"""Screenshots of every lead screen in English and Chinese, for looking at the layout.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/lead/make_lead_shots.py [OUT_DIR]

Not a test (nothing is asserted): a live server on a temporary SQLite file, two agents'
visits, a lead laptop synced, and the real `LeadWindow` driven through each screen.
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


def settle(app: QApplication, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def main(out: Path) -> None:
    from fieldapp.core import clock as app_clock
    from fieldapp.server.testing import LiveServer
    from fieldapp.sync.lead_service import LeadService
    from fieldapp.sync.service import AgentService
    from fieldapp.ui.app import build_context
    from fieldapp.ui.lead.window import LeadWindow
    from fieldapp.ui.look import register_fonts
    from fieldapp.ui.settings import SettingsStore
    from lead.lead_world import add_case, make_people, password, populate, scripted_transcript, visit

    keyring.set_keyring(MemoryKeyring())
    work = Path(tempfile.mkdtemp(prefix="lead-shots-"))
    os.environ["FIELDAPP_HOME"] = str(work / "home")
    app = QApplication.instance() or QApplication([])
    register_fonts(app)
    out.mkdir(parents=True, exist_ok=True)
    made = []

    def laptop(kind, user, live):
        cls = LeadService if kind == "lead" else AgentService
        svc = cls(store_path=work / f"{kind}-{user}-{len(made)}.sqlite3")
        svc.login(live.url, user, password(user))
        made.append(svc)
        return svc

    with LiveServer(f"sqlite:///{work / 'server.db'}") as live:
        with live.session() as s, s.begin():
            make_people(s)
        ids = populate(live, laptop)
        with live.session() as s, s.begin():
            conv_case = add_case(s, "SHOTS-CONV", "agent1")
        talker = laptop("agent", "agent1", live)
        talker.sync()
        started = app_clock.now() - dt.timedelta(hours=3)
        for lang in ("zh_CN", "en"):
            v = visit(conv_case, started=started, outcome="agreement_signed" if lang == "zh_CN" else "refused")
            v.transcript = scripted_transcript(lang, started, stop_after=None if lang == "zh_CN" else 9)
            talker.record_visit(v)
            ids[f"conversation_{lang}"] = v.visit_id
        talker.sync()
        lead = laptop("lead", "lead1", live)
        lead.sync()
        ctx = build_context(lead, synchronous=True, settings_store=SettingsStore(work / "ui.json"), language="en")
        ctx.user.username, ctx.user.display_name = "lead1", "Lena Lead"
        window = LeadWindow(ctx, lead, save_path=lambda *_: None)
        window.resize(1280, 800)
        window.show()
        window.refresh()
        settle(app)

        def shot(widget, name: str, wait: float = 0.15) -> None:
            for code in ("en", "zh_CN"):
                ctx.language.set_language(code)
                settle(app, wait)
                widget.grab().save(str(out / f"lead_{name}_{code}.png"))
            ctx.language.set_language("en")

        shot(window, "01_queue")
        window.queue.exception.setCurrentIndex(window.queue.exception.findData("any"))
        settle(app)
        shot(window, "02_queue_filtered")
        window.queue.clear_filters()
        window.open_visit(ids["far"])
        for tab, name in enumerate(("policy", "conversation", "notes")):
            window.evidence.tabs.setCurrentIndex(tab)
            shot(window, f"03_evidence_{tab}_{name}")
        for lang in ("zh_CN", "en"):
            window.open_visit(ids[f"conversation_{lang}"])
            window.evidence.tabs.setCurrentIndex(1)
            shot(window, f"03_evidence_conversation_held_in_{lang}")
        window.open_visit(ids["rude"])
        window.evidence.tabs.setCurrentIndex(2)
        shot(window, "04_evidence_notes_warning")
        window.open_visit(ids["no_location"])
        window.evidence.tabs.setCurrentIndex(0)
        shot(window, "05_evidence_no_location")
        window.open_visit(ids["agreement"])
        window.evidence.tabs.setCurrentIndex(3)
        shot(window, "06_evidence_pdf", wait=0.6)
        window.open_visit(ids["rude"])
        escalate = window.ask_decision(ids["rude"], "escalate")
        escalate.comment.setPlainText(" ")
        shot(escalate, "07a_escalate_needs_a_comment")
        escalate.reject()
        window.open_visit(ids["far"])
        dialog = window.ask_decision(ids["far"], "return")
        settle(app)
        shot(dialog, "07_return_dialog")
        dialog.comment.setPlainText("签到距离 812 米：请说明原因或重新拜访。")
        dialog.accept()
        settle(app)
        window.open_visit(ids["far"])
        window.evidence.tabs.setCurrentIndex(4)
        shot(window, "08_evidence_returned_history")
        window.show_screen("figures")
        window.figures.zone_name = "Asia/Shanghai"
        today = app_clock.today("Asia/Shanghai")
        window.figures.set_period(today - dt.timedelta(days=10), today)
        window.figures.load()
        shot(window, "09_figures")
        window.resize(900, 800)
        settle(app)
        bar = window.figures.table.horizontalScrollBar()
        bar.setValue(bar.maximum())
        shot(window, "10_figures_scrolled")
        window.resize(1280, 800)
        window.close()
        for svc in made:
            svc.close()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/shots"))
