"""The guided tour: the agent's and the team lead's apps driven through a whole day
offscreen, a screenshot of every screen in each language, and the agreement PDF it produced.

Sign in, Today's route, the case list, a blocked case, a case's full policy decision,
every step of a visit (pre-check, check-in, conversation, outcome, plan, both
signatures, agreement), the outbox before and after the sync; then the team lead's
window (the review queue, the visit's evidence with its conversation and agreement PDF,
returning it with a comment, the team figures); then the returned visit as the agent's
task, and the agent's answer to the lead. The apps run as they do for people (real worker
threads, the real server and stores given by the caller); the tour waits for conditions
(the task runner idle, a page shown, a PDF painted), never for a fixed time.

Two things are set for the tour: the app's clock, which the embedded server shares (the demo's visits are booked on
coming days: the clock is put at the appointment so check-in can succeed) and the
laptop's position (a fixed one near the customer's address).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QDate, QEventLoop, QPoint, QRect, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget

from fieldapp.core import clock as app_clock
from fieldapp.core.timeutil import utcnow, zone
from fieldapp.ui.app import FieldApp, build_context
from fieldapp.ui.positioning import FixedPosition
from fieldapp.ui.settings import SettingsStore
from fieldapp.ui.widgets.compliance import ComplianceState

TIMEOUT_S = 180.0
PAINT_TIMEOUT_S = 60.0
MIN_INK = 0.004  # share of a PDF page's pixels that are print, once QtPdf has painted it
DEMO_ZONE = "Asia/Shanghai"  # where the demo's customers live
# Preferred answers in the shipped conversation scripts, towards a signed instalment plan.
PREFERRED = ("answered", "confirmed", "yes_talk", "income_fell", "instalments", "agrees", "yes")
NOTES = "客户今年一月失业，同意分六期还款。Lost his job in January; agreed six monthly payments."
LEAD_COMMENT = "请在备注中写明客户的收入来源。Please note the customer's source of income."
AGENT_ANSWER = "客户在一家物流公司上班，月收入约六千元。He works for a logistics firm, about 6,000 a month."
AGENT_NOTES = "收入来源：物流公司工资，月收入约六千元。Source of income: wages, about 6,000 yuan a month."


class TourError(RuntimeError):
    """A step of the tour did not happen (the message names it)."""


def ink(image: QImage, rect: QRect | None = None, step: int = 3) -> float:
    """The share of sampled pixels in `rect` (default: all) dark enough to be print: about
    0 for a blank white (or grey) page, a few percent for a page of text."""
    area = (rect or image.rect()).intersected(image.rect())
    dark = total = 0
    for y in range(area.top(), area.bottom() + 1, step):
        for x in range(area.left(), area.right() + 1, step):
            total += 1
            if image.pixelColor(x, y).lightness() < 140:
                dark += 1
    return dark / total if total else 0.0


def wait_painted(widget: QWidget, what: str, *, within: QWidget | None = None,
                 timeout: float = PAINT_TIMEOUT_S) -> QImage:
    """Grab `within` (default: `widget` itself) once the area of `widget` shows print:
    QtPdf renders pages on its own threads, so a grab made as soon as the document is
    loaded may show a blank page. Raises TourError when it stays blank."""
    target = within or widget
    app = QApplication.instance()
    deadline = time.monotonic() + timeout
    while True:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        image = target.grab().toImage()
        area = QRect(widget.mapTo(target, QPoint(0, 0)), widget.size()) if target is not widget else None
        if ink(image, area) >= MIN_INK:
            return image
        if time.monotonic() > deadline:
            raise TourError(f"{what} stayed blank")
        time.sleep(0.02)


class TourClock:
    """The app's clock during the tour: set to a moment, then running at the real pace."""

    def __init__(self) -> None:
        self._base = utcnow()
        self._at = time.monotonic()

    def set(self, moment: dt.datetime) -> None:
        self._base, self._at = moment, time.monotonic()

    def __call__(self) -> dt.datetime:
        return self._base + dt.timedelta(seconds=time.monotonic() - self._at)


@dataclass
class Tour:
    out: Path
    languages: list[str]
    server_url: str
    agent: Any                      # the agent's AgentService (its own store)
    lead: Any                       # the team lead's LeadService (another store)
    agent_login: tuple[str, str] = ("agent1", "demo-agent1")
    lead_login: tuple[str, str] = ("lead1", "demo-lead1")
    progress: Callable[[str], Any] = lambda _message: None
    files: list[Path] = field(default_factory=list)
    shots: int = 0

    # ------------------------------------------------------------------ helpers
    def wait(self, condition: Callable[[], bool], what: str, timeout: float = TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        app = QApplication.instance()
        while not condition():
            if time.monotonic() > deadline:
                raise TourError(f"timed out waiting for {what}")
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.005)

    def idle(self, what: str, ctx: Any = None) -> None:
        """Until every background operation (of the agent's app, or of `ctx`'s) has
        delivered its result."""
        tasks = (ctx or self.ctx).tasks
        self.wait(lambda: tasks.pending == 0, what)
        QApplication.instance().processEvents()

    def click(self, parent: QWidget, name: str) -> None:
        button = parent.findChild(QAbstractButton, name)
        if button is None or not button.isVisible() or not button.isEnabled():
            raise TourError(f"the button {name!r} cannot be pressed")
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    def shot(self, widget: QWidget, name: str, *, ctx: Any = None, pdf: QWidget | None = None) -> None:
        """`widget` in each language (`ctx`: the app it belongs to; default the agent's);
        with `pdf`, a PDF view in it that must show its painted page, never a blank one."""
        self.shots += 1
        number = self.shots
        language = (ctx or self.ctx).language
        first = language.code
        for code in self.languages:
            language.set_language(code)
            QApplication.instance().processEvents()
            path = self.out / f"{number:02d}_{name}_{code}.png"
            image = (wait_painted(pdf, f"the PDF in {name} ({code})", within=widget) if pdf is not None
                     else widget.grab().toImage())
            if not image.save(str(path)):
                raise TourError(f"could not write {path}")
            self.files.append(path)
        language.set_language(first)
        QApplication.instance().processEvents()
        self.progress(f"{number:02d} {name}")

    # ------------------------------------------------------------------ the tour
    def run(self) -> list[Path]:
        self.out.mkdir(parents=True, exist_ok=True)
        self.clock = TourClock()
        # The embedded server runs in this process: it reads the same moved clock, so a
        # document's seal is never dated before its signing.
        previous_clock = app_clock.set_source(self.clock)
        self.position = FixedPosition()
        self.ctx = build_context(self.agent, settings_store=SettingsStore(self.out / ".tour-settings.json"),
                                 language=self.languages[0], clock=self.clock, position_source=self.position,
                                 local_zone=zone(DEMO_ZONE))
        self.app = FieldApp(self.ctx)
        self.window = self.app.window
        self.window.sync_after_visit = False  # the outbox is shown before its sync
        self.window.resize(1280, 800)
        try:
            self._sign_in()
            stop = self._today()
            self._cases()
            visit_id = self._visit(stop)
            self._outbox()
            self._documents(stop.record.id, visit_id)
            from fieldapp.ui.tour_lead import LeadPart

            lead = LeadPart(self)
            try:
                lead.review(visit_id)
                self._returned(stop.record.id)
                lead.answered(visit_id)
            finally:
                lead.close()
            self._settings()
            self._map(stop)
            self._case_map(stop)
        finally:
            self.app.shutdown()
            self.window.close()
            app_clock.set_source(previous_clock)
            for name in (".tour-settings.json", ".tour-lead-settings.json"):
                if (self.out / name).exists():
                    (self.out / name).unlink()
        return self.files

    def _sign_in(self) -> None:
        self.app.start(resume=False)
        self.wait(lambda: self.app.login_dialog is not None and self.app.login_dialog.isVisible(), "the sign-in")
        dialog = self.app.login_dialog
        dialog.server.setText(self.server_url)
        dialog.username.setText(self.agent_login[0])
        dialog.password.setText(self.agent_login[1])
        self.shot(dialog, "login")
        dialog.submit()
        self.wait(lambda: self.app.signed_in, "signing in")
        self.wait(lambda: self.window.model.total > 0 and not self.window.syncing, "the first sync")
        self.idle("the first sync's results")

    def _today(self) -> Any:
        """Put the clock on the first day with an allowed visit; returns that visit's stop."""
        rows = self.window.model.rows()
        tz = zone(DEMO_ZONE)
        days = sorted({r.appointment_start.astimezone(tz).date() for r in rows if r.appointment_start is not None})
        for day in days:
            self.clock.set(dt.datetime.combine(day, dt.time(8, 30), tz).astimezone(dt.timezone.utc))
            self.window.today.show_day(None)
            self.idle(f"the route of {day}")
            plan = self.window.today.plan
            allowed = [s for s in plan.stops if s.verdict.state is ComplianceState.ALLOWED
                       and s.record.customer.location is not None]
            if allowed and len(plan.stops) > 1:
                self.window.show_screen("today")
                self.shot(self.window, "today")
                return allowed[0]
        raise TourError("no day with an allowed visit in the demo data")

    def _map(self, stop: Any) -> None:
        """The day's route on the map, drawn from the tiles cached at sync."""
        self.window.show_screen("today")
        self.window.today.show_day(stop.start.astimezone(zone(DEMO_ZONE)).date())
        self.idle("the route of the visit's day")
        dialog = self.window.today.open_map()
        if dialog is None:
            raise TourError("the day's map cannot be opened")
        self.idle("the map's tiles")
        self.wait(lambda: dialog.map.view is not None and dialog.map.view.rootObject() is not None, "the map")
        deadline = time.monotonic() + 1.5  # the map reads its tiles from the laptop
        while time.monotonic() < deadline:
            QApplication.instance().processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        self.shot(dialog, "day_map")
        dialog.reject()

    def _case_map(self, stop: Any) -> None:
        """The visited case on its map: the address, the policy's fence and the check-in."""
        window, record = self.window, stop.record
        window.open_case(record.id)
        self.wait(lambda: window.detail.view is not None and window.detail.case_id == record.id, "the case")
        dialog = window.detail.open_map()
        if dialog is None:
            raise TourError("the case's map cannot be opened")
        self.idle("the case's check-ins and tiles")
        case_map = dialog.map
        self.wait(lambda: case_map.checkins is not None and case_map.canvas.root() is not None, "the case's map")
        if not case_map.map_checkins():
            raise TourError("the visit's check-in is not on the case's map")
        deadline = time.monotonic() + 1.5  # the map reads its tiles from the laptop
        while time.monotonic() < deadline:
            QApplication.instance().processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        self.shot(dialog, "case_map")
        dialog.reject()

    def _cases(self) -> None:
        window = self.window
        window.show_screen("cases")
        self.shot(window, "cases")
        blocked = next((r for r in window.model.rows() if r.compliance_allowed is False), None)
        if blocked is None:
            raise TourError("no blocked case in the demo data")
        window.open_case(blocked.id)
        self.wait(lambda: window.detail.view is not None and window.detail.case_id == blocked.id, "a blocked case")
        if window.detail.can_start:
            raise TourError(f"the blocked case {blocked.reference} could be started")
        self.shot(window, "case_blocked")

    def _visit(self, stop: Any) -> str:
        window, record = self.window, stop.record
        window.open_case(record.id)
        self.wait(lambda: window.detail.view is not None and window.detail.case_id == record.id, "the case")
        self.shot(window, "case_detail")
        # At the door, a few minutes after the appointment starts, 30 m from the address.
        self.clock.set(stop.start + dt.timedelta(minutes=5))
        home = record.customer.location
        self.position.fix = (home.lat + 0.00027, home.lon, 12.0)
        self.click(window.detail, "startVisit")
        self.wait(lambda: window.visit.flow is not None and window.current_screen() == "visit", "the visit")
        flow = window.visit.flow
        self.shot(window, "visit_precheck")
        self.click(flow, "flowNext")
        self.wait(lambda: flow.checkin.decision is not None, "the check-in")
        self.shot(window, "visit_checkin")
        self.click(flow, "flowNext")
        self._converse(flow, stop)
        self.click(flow, "flowNext")
        flow.pages["outcome"].notes.setPlainText(NOTES)
        self.shot(window, "visit_outcome")
        if not flow.state.needs_agreement:
            raise TourError(f"the conversation ended with {flow.state.runtime.outcome}, not an agreement")
        self.click(flow, "flowNext")
        self.wait(lambda: flow.plan_builder.plan() is not None, "a repayment plan")
        self.shot(window, "visit_plan")
        self.click(flow, "flowNext")
        reading = flow.read_page
        self.wait(lambda: reading.preview.page_count() > 0, "the draft agreement")
        self.shot(window, "visit_read_draft", pdf=reading.preview.view.viewport())
        self.click(reading, "reading_customer_read")
        self.wait(lambda: flow.state.reading is not None, "the reading confirmed")
        for role, offset in (("customer", 0), ("agent", 40)):
            self.click(flow, "flowNext")
            pad = flow.sign_page(role).pad
            self.wait(lambda pad=pad: pad.isVisible(), f"the {role}'s signature pad")
            self.shot(window, f"visit_sign_{role}_empty")
            _sign(pad, offset)
            self.wait(lambda role=role: role in flow.state.signatures, f"the {role}'s signature")
            self.shot(window, f"visit_sign_{role}")
        self.click(flow, "flowNext")
        self.wait(lambda: flow.state.agreement is not None and flow.preview.page_count() > 0, "the agreement")
        self.shot(window, "visit_agreement", pdf=flow.preview.view.viewport())
        pdf = self.out / "agreement.pdf"
        pdf.write_bytes(flow.state.agreement.pdf)
        self.files.append(pdf)
        signing = flow.state.setup.signing
        if signing is not None and signing.trust_pem:   # the root to check it with
            root = self.out / "root.pem"
            root.write_bytes(signing.trust_pem)
            self.files.append(root)
        self.click(flow, "flowNext")
        self.wait(lambda: window.visit.recorded_item is not None, "the visit in the outbox")
        self.idle("the outbox")
        return flow.state.visit_id

    def _converse(self, flow: Any, stop: Any) -> None:
        player = flow.player
        self.wait(lambda: player.view() is not None, "the conversation")
        self.shot(self.window, "visit_script")
        play_conversation(player, stop.start.astimezone(zone(stop.timezone)).date(), self.click)
        if not flow.state.runtime or not flow.state.runtime.finished:
            raise TourError("the conversation did not reach its end")
        self.shot(self.window, "visit_script_end")

    def _outbox(self) -> None:
        window = self.window
        self.wait(lambda: window.current_screen() == "outbox" and window.outbox.model.rowCount() > 0, "the outbox")
        self.shot(window, "outbox_before_sync")
        window.start_sync()
        self.wait(lambda: not window.syncing, "the sync")
        self.idle("the outbox after the sync")
        states = {window.outbox.model.row_at(i).state for i in range(window.outbox.model.rowCount())}
        if states != {"accepted"}:
            raise TourError(f"after the sync the outbox holds {sorted(states)}, not only accepted items")
        self.shot(window, "outbox_after_sync")

    def _documents(self, case_id: str, visit_id: str) -> None:
        """The customer's copy: the case's signed agreement reopened from its visit history."""
        window = self.window
        window.open_case(case_id)
        detail = window.detail
        self.wait(lambda: detail.view is not None and detail.case_id == case_id
                  and any(d.visit_id == visit_id for d in detail.view.documents), "the case's documents")
        viewer = detail.open_visit_documents(visit_id)
        if viewer is None:
            raise TourError("the visit's documents cannot be opened from the case")
        viewer.resize(1000, 800)
        self.wait(lambda: viewer.current is not None and viewer.preview.page_count() > 0, "the document viewer")
        self.shot(viewer, "case_document_viewer", pdf=viewer.preview.view.viewport())
        viewer.close()

    def _returned(self, case_id: str) -> None:
        """The visit the lead returned reaches the agent as a task; the agent answers it
        (a comment, corrected notes), and the answer is sent."""
        window = self.window
        window.start_sync()
        self.wait(lambda: not window.syncing, "the agent's sync")
        self.idle("the returned visit")
        window.show_screen("today")
        self.wait(lambda: window.today.plan is not None and window.today.plan.tasks, "the returned visit on Today")
        self.shot(window, "today_returned_task")
        window.open_case(case_id)
        self.wait(lambda: window.detail.view is not None and window.detail.view.tasks
                  and window.detail.view.record.id == case_id, "the lead's comment")
        self.shot(window, "case_returned")
        detail = window.detail
        self.click(detail, "answerReturn")
        self.wait(lambda: detail.reply_dialog is not None and detail.reply_dialog.isVisible(), "the answer")
        dialog = detail.reply_dialog
        dialog.comment.setPlainText(AGENT_ANSWER)
        notes = dialog.notes.toPlainText().strip()
        dialog.notes.setPlainText((notes + "\n" if notes else "") + AGENT_NOTES)
        self.shot(dialog, "case_answer")
        dialog.accept()
        self.wait(lambda: not any(t.case_id == case_id for t in self.agent.tasks()), "the answer recorded")
        self.wait(lambda: not window.syncing and self.ctx.tasks.pending == 0, "the answer's sync")
        if any(o.kind == "review_reply" and o.state != "accepted" for o in self.agent.outbox()):
            window.start_sync()  # a sync already under way when the answer was recorded missed it
            self.wait(lambda: not window.syncing and self.ctx.tasks.pending == 0, "the answer's sync")
        sent = [o for o in self.agent.outbox() if o.kind == "review_reply"]
        if not sent or sent[-1].state != "accepted":
            raise TourError(f"the answer to the lead was not accepted: {[o.state for o in sent]}")
        self._reviews()

    def _reviews(self) -> None:
        """A case whose earlier visit the lead approved: the agent sees the decision."""
        from PySide6.QtWidgets import QScrollArea

        window = self.window
        approved = next((r for r in window.model.rows() if r.reference.endswith("-0010")), None)
        if approved is None:
            raise TourError("no case with an approved visit in the demo data")
        window.open_case(approved.id)
        detail = window.detail
        self.wait(lambda: detail.view is not None and detail.case_id == approved.id and detail.view.record.visits,
                  "a case with an approved visit")
        self.idle("the approved visit")
        bar = detail.findChild(QScrollArea, "detailScroll").verticalScrollBar()
        bar.setValue(bar.maximum())
        self.shot(window, "case_reviews")

    def _settings(self) -> None:
        from fieldapp.ui.screens.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.ctx, self.window)
        dialog.show()
        self.idle("the settings")
        self.shot(dialog, "settings")
        dialog.reject()


def play_conversation(player: Any, day: dt.date, press: Callable[[QWidget, str], Any], *,
                      steps: int | None = None) -> int:
    """Answer the conversation as an agent whose customer agrees to instalments: the
    preferred options, 6 instalments, the first two weeks after `day`. Stops at the end
    (or after `steps` answers); returns how many answers were given."""
    given = 0
    while steps is None or given < steps:
        view = player.view()
        if view is None or view.finished or given >= 60:
            break
        if view.type == "say":
            press(player, "sayDone")
        elif view.type == "ask":
            ids = [o.id for o in view.options]
            press(player, f"option_{next((p for p in PREFERRED if p in ids), ids[0])}")
        elif view.input.kind == "yes_no":
            press(player, "answerYes")
        else:
            kind = view.input.kind
            if kind == "integer":
                player.int_spin.setValue(max(player.int_spin.minimum(), min(6, player.int_spin.maximum())))
            elif kind == "date":
                wanted = day + dt.timedelta(days=14)
                player.date_edit.setDate(QDate(wanted.year, wanted.month, wanted.day))
            else:
                player.money_edit.setText(view.input.min or "100")
            press(player, "submitInput")
        given += 1
        QApplication.instance().processEvents()
    return given


def sign(pad: QWidget, offset: int = 0) -> None:
    """Two pen strokes on a signature pad, with the mouse."""
    _sign(pad, offset)


# Two hands: the customer's and the agent's signatures must not be the same picture.
HANDS = (
    [[(40, 120), (70, 60), (100, 130), (130, 50), (170, 125), (210, 70)],
     [(230, 110), (270, 90), (320, 115), (380, 80)]],
    [[(50, 80), (90, 130), (120, 70), (150, 120), (200, 60)],
     [(60, 140), (160, 135), (260, 140)], [(280, 70), (300, 130), (340, 75), (370, 125)]],
)


def _sign(pad: QWidget, offset: int) -> None:
    """Pen strokes with the mouse: one hand for offset 0, another for any other offset."""
    strokes = HANDS[0] if offset == 0 else HANDS[1]
    for stroke in strokes:
        points = [QPoint(x + offset, y) for x, y in stroke]
        QTest.mousePress(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
        for point in points[1:]:
            QTest.mouseMove(pad, point)
        QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])
