"""The visit screens' shared look: large type and big touch targets, for a laptop held at
a doorstep, and the three verdict colours (never the only signal: a word goes with each)."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

PASS = "#2e7d32"
WARN = "#8a6100"        # dark amber: readable as text on white
WARN_FILL = "#f9a825"
BLOCK = "#c62828"
MUTED = "#5f6368"
BUTTON_HEIGHT = 48
BIG_TEXT_PT = 17


def scaled_font(widget: QWidget, factor: float, *, bold: bool = False) -> QFont:
    font = QFont(widget.font())
    size = font.pointSizeF() if font.pointSizeF() > 0 else 10.0
    font.setPointSizeF(size * factor)
    font.setBold(bold)
    return font


def big_button(parent: QWidget, name: str, *, primary: bool = False) -> QPushButton:
    button = QPushButton(parent)
    button.setObjectName(name)
    button.setMinimumHeight(BUTTON_HEIGHT)
    button.setFont(scaled_font(button, 1.15, bold=primary))
    button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    if primary:
        button.setDefault(True)
    return button


def wrapped_label(parent: QWidget, name: str, *, factor: float = 1.0, bold: bool = False,
                  colour: str | None = None) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    if factor != 1.0 or bold:
        label.setFont(scaled_font(label, factor, bold=bold))
    if colour:
        label.setStyleSheet(f"color: {colour};")
    return label


# How an outcome looks: green where something was agreed or paid, amber where the visit
# ended on a stop or a refusal (the lead will read why), grey where nobody was reached.
GOOD_OUTCOMES = frozenset({"paid", "promise_to_pay", "agreement_signed", "partial_payment"})
ENDED_OUTCOMES = frozenset({"visit_aborted_distress", "asked_to_leave", "refused", "dispute_raised"})


def outcome_colours(code: str | None) -> tuple[str | None, str | None]:
    """(frame, text) colours of an outcome banner: see `banner`."""
    value = getattr(code, "value", code)
    if value in GOOD_OUTCOMES:
        return PASS, None
    if value in ENDED_OUTCOMES:
        return WARN_FILL, WARN
    return (MUTED, None) if value else (None, None)


def banner(label: QLabel, colour: str | None, text_colour: str | None = None) -> None:
    """Frame `label` as a coloured notice (None: plain)."""
    if colour is None:
        label.setStyleSheet("")
        return
    label.setStyleSheet(f"QLabel {{ border: 2px solid {colour}; border-radius: 6px; padding: 8px;"
                        f" color: {text_colour or colour}; background: white; }}")


def fill_with_scrolled(page: QWidget, content: QWidget) -> None:
    """Give `page` a frameless, edge-to-edge scroll area showing `content` (pages whose rule
    lists can outgrow a small laptop screen)."""
    scroll = QScrollArea(page)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(content)
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(scroll)
