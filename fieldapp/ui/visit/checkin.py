"""The check-in step: where is the agent, and may the visit go ahead here and now?

The position comes from Qt Positioning (`QGeoPositionInfoSource.createDefaultSource`)
when the laptop has a source, within a timeout; the wait counts down, and the agent may
skip it. Without a fix (no source, no fix in time, access refused, skipped) the agent
confirms the customer's address and chooses why no location is recorded (nothing is
chosen for them); that reason is kept as an exception the team lead sees. Checking in
without a location always looks the same (amber): the decision below says whether the
visit may go ahead. Either way the
check-in decision (appointment time, geofence and the planning rules) is then shown
rule by rule. The position source is injectable: anything with Qt Positioning's
`positionUpdated`/`errorOccurred` signals and `requestUpdate(timeout_ms)`.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout,
    QWidget,
)

from fieldapp.core.errors import BadInput
from fieldapp.policy import Decision
from fieldapp.protocol.v1 import Location
from fieldapp.ui.i18n import N_, Language
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.visit.decision_view import DecisionView
from fieldapp.ui.visit.flow_state import LOCATION_REASONS
from fieldapp.ui.visit.style import (MUTED, PASS, WARN, WARN_FILL, banner, big_button, fill_with_scrolled,
                                     wrapped_label)

DEFAULT_TIMEOUT_MS = 15_000
SourceFactory = Callable[[QObject], Any]
CheckIn = Callable[[Location | None, str | None], Decision]


def default_position_source(parent: QObject) -> Any:
    """The platform's position source, or None (no Qt Positioning, or no source on this laptop)."""
    try:
        from PySide6.QtPositioning import QGeoPositionInfoSource
    except ImportError:
        return None
    return QGeoPositionInfoSource.createDefaultSource(parent)


def _error_code(error: Any) -> str:
    name = getattr(error, "name", str(error))
    if "Access" in name:
        return "denied"
    if "Timeout" in name:
        return "timeout"
    if "Closed" in name:
        return "unavailable"
    return "error"


def location_of(info: Any) -> Location | None:
    """A `Location` from a QGeoPositionInfo (None when it holds no valid coordinate)."""
    if info is None or not info.isValid():
        return None
    coordinate = info.coordinate()
    if not coordinate.isValid():
        return None
    accuracy = None
    from PySide6.QtPositioning import QGeoPositionInfo

    attribute = QGeoPositionInfo.Attribute.HorizontalAccuracy
    if info.hasAttribute(attribute):
        value = info.attribute(attribute)
        accuracy = None if math.isnan(value) or value < 0 else float(value)
    return Location(lat=coordinate.latitude(), lon=coordinate.longitude(), accuracy_m=accuracy)


class CheckInStep(QWidget):
    checked_in = Signal()  # a check-in decision is shown (allowed or not)

    def __init__(self, language: Language, check_in: CheckIn, address: str, parent: QWidget | None = None, *,
                 source_factory: SourceFactory = default_position_source,
                 timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        super().__init__(parent)
        self.setObjectName("checkInStep")
        self._lang = language
        self._check_in = check_in
        self._address = address
        self._factory = source_factory
        self._timeout_ms = timeout_ms
        self._source: Any = None
        self._status: tuple[str, dict[str, Any]] = (N_("Check in when you are at the door."), {})
        self._failure: str | None = None
        self._decision: Decision | None = None
        self._located: bool | None = None   # whether the decision shown was made with a position
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(lambda: self._failed("timeout"))
        self._tick = QTimer(self)  # the countdown shown while waiting
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._count_down)

        self.status = wrapped_label(self, "locationStatus", factor=1.1, bold=True)
        self.locate_button = big_button(self, "locateAgain")
        self.locate_button.clicked.connect(self.start)
        self.without_button = QPushButton(self)
        self.without_button.setObjectName("noLocation")
        self.without_button.clicked.connect(lambda: self._failed(None))
        self.skip_button = QPushButton(self)
        self.skip_button.setObjectName("skipLocation")
        self.skip_button.setMinimumHeight(40)
        self.skip_button.clicked.connect(self.skip)
        self.skip_button.hide()
        self.fallback = QWidget(self)
        self.address_check = QCheckBox(self.fallback)
        self.address_check.setObjectName("confirmAddress")
        self.reason_combo = QComboBox(self.fallback)
        self.reason_combo.setObjectName("locationReason")
        for code in LOCATION_REASONS:
            self.reason_combo.addItem("", code)
        self.reason_combo.setCurrentIndex(-1)
        self.reason_combo.currentIndexChanged.connect(lambda _i: self._update_confirm())
        self.reason_note = QLineEdit(self.fallback)
        self.reason_note.setObjectName("locationNote")
        self.reason_note.setMaxLength(300)
        self.confirm_button = big_button(self.fallback, "checkInWithout", primary=True)
        self.confirm_button.clicked.connect(self.check_in_without_location)
        self.address_check.toggled.connect(lambda _on: self._update_confirm())
        form = QFormLayout()
        self.reason_title = wrapped_label(self.fallback, "reasonTitle")
        self.note_title = wrapped_label(self.fallback, "noteTitle")
        form.addRow(self.reason_title, self.reason_combo)
        form.addRow(self.note_title, self.reason_note)
        column = QVBoxLayout(self.fallback)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.address_check)
        column.addLayout(form)
        column.addWidget(self.confirm_button)
        self.decision_view = DecisionView(language, self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.locate_button, 1)
        buttons.addWidget(self.skip_button)
        buttons.addWidget(self.without_button)
        content = QWidget(self)
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.status)
        column.addLayout(buttons)
        column.addWidget(self.fallback)
        column.addWidget(self.decision_view)
        column.addStretch(1)
        fill_with_scrolled(self, content)
        self.fallback.hide()
        self.confirm_button.setEnabled(False)
        language.changed.connect(self.retranslate)
        self.retranslate()

    # ------------------------------------------------------------------ public
    @property
    def decision(self) -> Decision | None:
        return self._decision

    def show_decision(self, decision: Decision | None, *, located: bool | None = None) -> None:
        """Show a decision made earlier (a resumed visit); `located`: with a position or not."""
        self._decision, self._located = decision, located
        if decision is not None:
            self._status = (N_("Checked in.") if located is not False else
                            N_("Checked in without a location; the reason is recorded for the team lead."), {})
        self.retranslate()

    def start(self) -> None:
        """Ask the position source for one fix; fall back to the address after the timeout."""
        self._failure = None
        self.fallback.hide()
        if self._source is None:
            self._source = self._factory(self)
            if self._source is not None:
                self._source.positionUpdated.connect(self._on_position)
                self._source.errorOccurred.connect(self._on_error)
        if self._source is None:
            self._failed("unavailable")
            return
        self._timer.start(self._timeout_ms)
        self._tick.start()
        self._count_down()
        self._source.requestUpdate(self._timeout_ms)

    @property
    def waiting(self) -> bool:
        return self._timer.isActive()

    def skip(self) -> None:
        """Stop waiting for a position: check in without one, saying why."""
        if self.waiting:
            self._failed("skipped")

    def check_in_without_location(self) -> None:
        code = self.reason_combo.currentData()
        if not self.address_check.isChecked() or code is None:
            return
        note = self.reason_note.text().strip()
        self._judge(None, f"{code}: {note}" if note else code)

    # ------------------------------------------------------------------ source
    def _on_position(self, info: Any) -> None:
        if not self._timer.isActive():
            return  # an answer after the timeout: the agent is already on the fallback
        location = location_of(info)
        if location is None:
            self._failed("error")
            return
        self._stop_waiting()
        self._judge(location, None)

    def _on_error(self, error: Any) -> None:
        if self._timer.isActive():
            self._stop_waiting()
            self._failed(_error_code(error))

    def _count_down(self) -> None:
        if not self._timer.isActive():
            self._tick.stop()
            return
        # Ticks fall on whole seconds of the wait; a coarse timer is a few ms off either way.
        seconds = min(round(max(0, self._timer.remainingTime()) / 1000), math.ceil(self._timeout_ms / 1000))
        self._status = (N_("Finding your location… {seconds} s left"), {"seconds": seconds})
        self.retranslate()

    def _stop_waiting(self) -> None:
        self._timer.stop()
        self._tick.stop()

    def _failed(self, code: str | None) -> None:
        """No position (`code` says why; None: the agent chose to confirm the address)."""
        self._stop_waiting()
        self._failure = code or "asked"
        if code == "skipped":
            self._status = (N_("You skipped the location search. Confirm that you are at the customer's "
                               "address and say why there is no location."), {})
        elif code is None:
            self._status = (N_("Confirm that you are at the customer's address and say why there is no "
                               "location."), {})
        else:
            self._status = (N_("No location: {reason}. Confirm that you are at the customer's address."),
                            {"reason": LOCATION_REASONS.get(code, LOCATION_REASONS["error"])})
        self.reason_combo.setCurrentIndex(-1)  # the agent says why; nothing is chosen for them
        self.fallback.show()
        self._update_confirm()
        self.retranslate()

    def _update_confirm(self) -> None:
        self.confirm_button.setEnabled(self.address_check.isChecked() and self.reason_combo.currentData() is not None)

    def _judge(self, location: Location | None, exception: str | None) -> None:
        try:
            self._decision = self._check_in(location, exception)
        except BadInput as exc:
            self._status = (N_("Check-in failed: {reason}"), {"reason": exc.reason})
            self.retranslate()
            return
        if location is not None:
            accuracy = "?" if location.accuracy_m is None else f"{location.accuracy_m:.0f}"
            self._status = (N_("Location found: {lat}, {lon} (±{accuracy} m)."),
                            {"lat": f"{location.lat:.5f}", "lon": f"{location.lon:.5f}", "accuracy": accuracy})
        else:
            self._status = (N_("Checked in without a location; the reason is recorded for the team lead."), {})
        self._located = location is not None
        self.fallback.hide()
        self.retranslate()
        emit(self.checked_in)

    # ------------------------------------------------------------------ text
    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        template, values = self._status
        values = {k: tr(v) if k == "reason" and v in LOCATION_REASONS.values() else v for k, v in values.items()}
        self.status.setText(tr(template, **values))
        # The line says where the agent is: green with a position, amber without one (the
        # same whatever the decision, which the rules below state in their own colours).
        colour = None
        if self._decision is not None:
            colour = WARN_FILL if self._located is False else PASS
        elif self._failure is not None:
            colour = WARN_FILL
        banner(self.status, colour, WARN if colour == WARN_FILL else None)
        waiting = self.waiting
        self.locate_button.setText(tr("Finding your location…") if waiting else
                                   tr("Find my location") if self._decision is None and self._failure is None
                                   else tr("Try the location again"))
        self.locate_button.setEnabled(not waiting)
        self.skip_button.setText(tr("Skip: check in without a location"))
        self.skip_button.setVisible(waiting)
        self.without_button.setText(tr("No location? Confirm the address"))
        self.without_button.setVisible(self._decision is None and self.fallback.isHidden() and not waiting)
        self.without_button.setStyleSheet(f"color: {MUTED};")
        self.address_check.setText(tr("I am at the customer's address: {address}", address=self._address))
        self.reason_title.setText(tr("Why is there no location?"))
        self.note_title.setText(tr("Details (optional)"))
        self.reason_note.setPlaceholderText(tr("e.g. basement flat, no signal"))
        for i in range(self.reason_combo.count()):
            self.reason_combo.setItemText(i, tr(LOCATION_REASONS[self.reason_combo.itemData(i)]))
        self.reason_combo.setPlaceholderText(tr("Choose why…"))
        self.confirm_button.setText(tr("Check in without a location"))
        self.decision_view.set_decision(self._decision)
        self.decision_view.setVisible(self._decision is not None)
