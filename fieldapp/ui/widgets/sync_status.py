"""The status bar's sync part: a progress bar while syncing, a status line saying what the
last sync did (or what went wrong, in plain words), and an online/offline light.

Every text is kept as "how to say it" rather than as a finished string, so a language
switch re-says the current status in the new language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QWidget

from fieldapp.ui.errors import Problem, describe
from fieldapp.ui.i18n import N_, Language

PHASES = {
    "push": N_("Sending visits…"),
    "attachments": N_("Sending attachments…"),
    "pull": N_("Receiving cases…"),
    "done": N_("Finishing…"),
}
DEFAULT_PHASE = N_("Syncing…")


def summary_counts(summary: Any) -> dict[str, int]:
    """The numbers of a `fieldapp.sync.SyncSummary` the status line reports."""
    rejected = getattr(summary, "rejected", ())
    return {
        "received": int(getattr(summary, "pulled_upserts", 0)),
        "removed": int(getattr(summary, "pulled_tombstones", 0)),
        "sent": int(getattr(summary, "pushed_accepted", 0)) + int(getattr(summary, "pushed_duplicate", 0)),
        "rejected": len(rejected) if isinstance(rejected, (list, tuple)) else int(rejected or 0),
        "quarantined": len(getattr(summary, "quarantined", ()) or ()),
        "attachment_errors": len(getattr(summary, "attachment_errors", ()) or ()),
        "skew_minutes": (round(abs(summary.clock_offset_s) / 60)
                         if getattr(summary, "clock_skew", False) and summary.clock_offset_s is not None else 0),
    }


def local_time_text(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


class SyncStatus(QWidget):
    def __init__(self, language: Language, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lang = language
        self._render: Callable[[], str] = lambda: self._lang.tr("Not synced yet.")
        self._offline: bool | None = None
        self._problem: tuple[BaseException, Problem] | None = None

        self.progress = QProgressBar(self)
        self.progress.setObjectName("syncProgress")
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.message = QLabel(self)
        self.message.setObjectName("syncMessage")
        self.message.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.indicator = QLabel(self)
        self.indicator.setObjectName("onlineIndicator")

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.progress)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.indicator)
        language.changed.connect(self.retranslate)
        self.retranslate()

    # ------------------------------------------------------------------ state changes
    def started(self) -> None:
        self.progress.setRange(0, 0)  # busy until the first report says how much there is
        self.progress.show()
        self._show(lambda: self._lang.tr(DEFAULT_PHASE))

    def report(self, phase: str, done: int, total: int | None) -> None:
        """One progress report of the sync engine; `total` is None while it is not known."""
        label = PHASES.get(phase, DEFAULT_PHASE)
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self._show(lambda: self._lang.tr("{phase} {done} of {total}", phase=self._lang.tr(label),
                                             done=done, total=total))
        else:
            self.progress.setRange(0, 0)  # busy: the pull does not know how much is left
            if done and phase != "done":
                self._show(lambda: self._lang.tr("{phase} {done}", phase=self._lang.tr(label), done=done))
            else:
                self._show(lambda: self._lang.tr(label))

    def finished(self, summary: Any, when: dt.datetime) -> None:
        self.progress.hide()
        self._problem = None
        self.set_offline(False)
        counts = summary_counts(summary)
        self._show(lambda: self.summary_text(counts, when))

    def failed(self, exc: BaseException) -> Problem:
        self.progress.hide()
        problem = describe(exc, self._lang)
        self._problem = (exc, problem)
        if problem.offline:
            self.set_offline(True)
        elif problem.kind not in ("input", "other"):
            self.set_offline(False)  # the server answered, even if with a refusal
        self._show(lambda: describe(exc, self._lang).message)
        return problem

    def show_last_sync(self, when: dt.datetime | None) -> None:
        if when is None:
            self._show(lambda: self._lang.tr("Not synced yet."))
        else:
            self._show(lambda: self._lang.tr("Last sync {time}.", time=local_time_text(when)))

    def show_message(self, render: Callable[[], str]) -> None:
        """Any status sentence, re-said on a language switch (`render` translates)."""
        self._show(render)

    def set_offline(self, offline: bool | None) -> None:
        self._offline = offline
        self._render_indicator()

    @property
    def offline(self) -> bool | None:
        return self._offline

    # ------------------------------------------------------------------ text
    def summary_text(self, counts: dict[str, int], when: dt.datetime) -> str:
        tr = self._lang.tr
        parts = [tr("Last sync {time}: {received} cases updated, {sent} items sent.",
                    time=local_time_text(when), received=counts["received"], sent=counts["sent"])]
        if counts["removed"]:
            parts.append(tr("{count} cases removed.", count=counts["removed"]))
        if counts["rejected"]:
            parts.append(tr("{count} items rejected: see the outbox.", count=counts["rejected"]))
        if counts.get("quarantined"):
            parts.append(tr("{count} items set aside because their data on this laptop is damaged: "
                            "see the outbox.", count=counts["quarantined"]))
        if counts["attachment_errors"]:
            parts.append(tr("{count} attachments could not be sent; they will be retried.",
                            count=counts["attachment_errors"]))
        if counts["skew_minutes"]:
            parts.append(tr("This computer's clock is off by about {minutes} minutes.",
                            minutes=counts["skew_minutes"]))
        return " ".join(parts)

    def retranslate(self, *_: object) -> None:
        self._show(self._render)
        self._render_indicator()

    def _show(self, render: Callable[[], str]) -> None:
        self._render = render
        self.message.setText(render())
        self.message.setToolTip(self.message.text())

    def _render_indicator(self) -> None:
        tr = self._lang.tr
        if self._offline is None:
            text, colour, tip = tr("Not connected"), "#757575", tr("No sync has been tried yet.")
        elif self._offline:
            text, colour, tip = tr("Offline"), "#c62828", tr("The server could not be reached at the last try.")
        else:
            text, colour, tip = tr("Online"), "#2e7d32", tr("The last sync reached the server.")
        # A pill in the state's colour: seen at a glance, and the word says it without colour.
        self.indicator.setText(text)
        self.indicator.setStyleSheet(f"QLabel {{ color: white; background: {colour}; border-radius: 8px;"
                                     f" padding: 1px 8px; font-weight: bold; }}")
        self.indicator.setToolTip(tip)
