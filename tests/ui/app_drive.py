"""Driving the whole app against the real server the way an agent does: sign in, find a
visit the policy allows, walk the visit's steps with clicks, pen strokes and typing."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QWidget

from fieldapp.core.timeutil import zone
from fieldapp.ui.app import Credentials, FieldApp, build_context
from fieldapp.ui.positioning import FixedPosition
from fieldapp.ui.settings import SettingsStore
from fieldapp.ui.tour import DEMO_ZONE, TourClock, play_conversation, sign
from fieldapp.ui.widgets.compliance import ComplianceState

WAIT_MS = 120_000
INSTITUTION = ("南京示范银行 Nanjing Demo Bank", "江苏省南京市玄武区中山路 1 号", "91320000MA1DEMO01X")


def press(qtbot, parent: QWidget, name: str) -> None:
    button = parent.findChild(QAbstractButton, name)
    assert button is not None, f"no button {name!r}"
    assert button.isVisible() and button.isEnabled(), f"button {name!r} cannot be pressed"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def make_app(qtbot, service, folder, *, clock=None, position=None, probe_interval_ms=45_000) -> FieldApp:
    ctx = build_context(service, settings_store=SettingsStore(folder / "ui.json"), language="en",
                        clock=clock or TourClock(), position_source=position or FixedPosition(),
                        local_zone=zone(DEMO_ZONE))
    ctx.settings.institution_name, ctx.settings.institution_address, ctx.settings.institution_registration = \
        INSTITUTION
    app = FieldApp(ctx, probe_interval_ms=probe_interval_ms)
    qtbot.addWidget(app.window)
    return app


def idle(qtbot, app: FieldApp) -> None:
    qtbot.waitUntil(lambda: app.ctx.tasks.pending == 0 and not app.window.syncing, timeout=WAIT_MS)


def sign_in(qtbot, app: FieldApp, url: str) -> None:
    app.start(credentials=Credentials(url, "agent1", "demo-agent1"))
    qtbot.waitUntil(lambda: app.signed_in and app.window.model.total > 0, timeout=WAIT_MS)
    idle(qtbot, app)


def allowed_stop(qtbot, app: FieldApp):
    """Put the clock on the first day with an allowed visit; that visit's route stop."""
    window, clock = app.window, app.ctx.clock
    tz = zone(DEMO_ZONE)
    days = sorted({r.appointment_start.astimezone(tz).date() for r in window.model.rows() if r.appointment_start})
    for day in days:
        clock.set(dt.datetime.combine(day, dt.time(8, 30), tz))
        window.today.show_day(None)
        idle(qtbot, app)
        stops = [s for s in window.today.plan.stops
                 if s.verdict.state is ComplianceState.ALLOWED and s.record.customer.location is not None]
        if stops:
            return stops[0]
    raise AssertionError("the demo data has no allowed visit")


def at_the_door(app: FieldApp, stop) -> None:
    """Five minutes into the appointment, 30 m from the address."""
    app.ctx.clock.set(stop.start + dt.timedelta(minutes=5))
    home = stop.record.customer.location
    app.ctx.position_source.fix = (home.lat + 0.00027, home.lon, 12.0)


def open_visit(qtbot, app: FieldApp, case_id: str):
    window = app.window
    window.open_case(case_id)
    qtbot.waitUntil(lambda: window.detail.view is not None and window.detail.case_id == case_id, timeout=WAIT_MS)
    press(qtbot, window.detail, "startVisit")
    qtbot.waitUntil(lambda: window.visit.flow is not None and window.current_screen() == "visit", timeout=WAIT_MS)
    return window.visit.flow


def to_the_conversation(qtbot, flow) -> None:
    press(qtbot, flow, "flowNext")                      # pre-check passed
    qtbot.waitUntil(lambda: flow.checkin.decision is not None, timeout=WAIT_MS)
    assert flow.checkin.decision.allowed
    press(qtbot, flow, "flowNext")                      # checked in


def converse(qtbot, flow, stop, steps=None) -> int:
    day = stop.start.astimezone(zone(stop.timezone)).date()
    return play_conversation(flow.player, day, lambda parent, name: press(qtbot, parent, name), steps=steps)


def finish_with_agreement(qtbot, flow) -> None:
    """From the end of the conversation to the confirmed agreement."""
    press(qtbot, flow, "flowNext")                      # conversation done
    flow.pages["outcome"].notes.setPlainText("Lost his job in January; agreed six monthly payments.")
    press(qtbot, flow, "flowNext")                      # outcome
    qtbot.waitUntil(lambda: flow.plan_builder.plan() is not None, timeout=WAIT_MS)
    press(qtbot, flow, "flowNext")                      # the plan: the customer reads the draft
    qtbot.waitUntil(lambda: flow.read_page.preview.page_count() > 0, timeout=WAIT_MS)
    press(qtbot, flow.read_page, "reading_customer_read")
    for role, offset in (("customer", 0), ("agent", 40)):
        press(qtbot, flow, "flowNext")
        sign(flow.sign_page(role).pad, offset)
        qtbot.waitUntil(lambda role=role: role in flow.state.signatures, timeout=WAIT_MS)
    press(qtbot, flow, "flowNext")                      # both signed
    qtbot.waitUntil(lambda: flow.state.agreement is not None and flow.preview.page_count() > 0, timeout=WAIT_MS)
    press(qtbot, flow, "flowNext")                      # confirm and finish
