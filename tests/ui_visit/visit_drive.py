"""Drive the visit widgets the way an agent does: clicks, typing and pen strokes."""

from __future__ import annotations

from PySide6.QtCore import QDate, QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QWidget

from fieldapp.ui.visit.flow_state import Step

from .visit_helpers import NEAR, make_setup

# The CN script to an instalment agreement (option ids, values; None = "said it").
TO_AGREEMENT = ["answered", None, None, "confirmed", None, "yes_talk", "income_fell", "instalments", 6,
                "2026-03-20", None, "read_aloud"]
TO_REFUSAL = ["answered", None, None, "confirmed", None, "yes_talk", "refuses", None]


def click(qtbot, parent: QWidget, name: str) -> None:
    button = parent.findChild(QAbstractButton, name)
    assert button is not None, f"no button {name!r}"
    assert button.isVisible() and button.isEnabled(), f"button {name!r} cannot be pressed"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def answer(qtbot, player, value) -> None:
    """Answer the player's current node as an agent would."""
    view = player.view()
    if view.type == "say":
        click(qtbot, player, "sayDone")
    elif view.type == "ask":
        click(qtbot, player, f"option_{value}")
    elif view.input.kind == "yes_no":
        click(qtbot, player, "answerYes" if value else "answerNo")
    else:
        if view.input.kind == "money":
            player.money_edit.clear()
            qtbot.keyClicks(player.money_edit, str(value))
        elif view.input.kind == "integer":
            player.int_spin.setValue(int(value))
        else:
            player.date_edit.setDate(QDate.fromString(value, Qt.DateFormat.ISODate))
        click(qtbot, player, "submitInput")


def play(qtbot, player, answers) -> None:
    for value in answers:
        answer(qtbot, player, value)


def sign(qtbot, pad, offset: int = 0) -> None:
    """Two strokes of a signature with the mouse."""
    strokes = [[(40, 120), (70, 60), (100, 130), (130, 50), (170, 125), (210, 70)],
               [(230, 110), (270, 90), (320, 115), (380, 80)]]
    for stroke in strokes:
        points = [QPoint(x + offset, y) for x, y in stroke]
        qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=points[0])
        for point in points[1:]:
            qtbot.mouseMove(pad, point)
        qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=points[-1])


def make_flow(qtbot, language, position, done, setup=None, saved=None, **kwargs):
    """A shown VisitFlow (new, or resumed from `saved`); finished visits are appended to `done`."""
    from fieldapp.ui.visit.flow import VisitFlow

    setup = setup or make_setup()
    kwargs.setdefault("source_factory", position(NEAR))
    if saved is None:
        flow = VisitFlow(setup, language, on_done=lambda record, files: done.append((record, files)), **kwargs)
    else:
        flow = VisitFlow.resume(setup, language, saved, on_done=lambda r, f: done.append((r, f)), **kwargs)
    flow.resize(1000, 720)
    qtbot.addWidget(flow)
    flow.show()
    return flow


def next_step(qtbot, flow) -> Step:
    click(qtbot, flow, "flowNext")
    return flow.state.step


def confirm_read(qtbot, flow, how: str = "read_aloud") -> None:
    """At the draft step: the customer has read the whole agreement (or had it read aloud)."""
    assert flow.state.step is Step.READ_DRAFT
    click(qtbot, flow.read_page, f"reading_{how}")
