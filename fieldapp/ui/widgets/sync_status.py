"""The status bar's sync part: a progress bar while syncing and a status line saying what
the last sync did (or what went wrong, in plain words). Whether the server can be reached
now is the connection badge's business (`fieldapp.ui.widgets.connection`).

Every text is kept as "how to say it" rather than as a finished string, so a language
switch re-says the current status in the new language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QWidget

from fieldapp.ui.errors import Problem, describe
from fieldapp.ui.formatting import time_text
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


class SyncStatus(QWidget):
    def __init__(self, language: Language, parent: QWidget | None = None, *,
                 zone: Callable[[], dt.tzinfo] | None = None) -> None:
        super().__init__(parent)
        self._lang = language
        self._zone = zone  # the user's zone for the times said (None: this computer's)
        self._render: Callable[[], str] = lambda: self._lang.tr("Not synced yet.")
        self._problem: tuple[BaseException, Problem] | None = None

        self.progress = QProgressBar(self)
        self.progress.setObjectName("syncProgress")
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.message = QLabel(self)
        self.message.setObjectName("syncMessage")
        self.message.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.progress)
        layout.addWidget(self.message, 1)
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
        counts = summary_counts(summary)
        self._show(lambda: self.summary_text(counts, when))

    def failed(self, exc: BaseException) -> Problem:
        self.progress.hide()
        problem = describe(exc, self._lang)
        self._problem = (exc, problem)
        self._show(lambda: describe(exc, self._lang).message)
        return problem

    def show_last_sync(self, when: dt.datetime | None) -> None:
        if when is None:
            self._show(lambda: self._lang.tr("Not synced yet."))
        else:
            self._show(lambda: self._lang.tr("Last sync {time}.", time=self.time_text(when)))

    def show_message(self, render: Callable[[], str]) -> None:
        """Any status sentence, re-said on a language switch (`render` translates)."""
        self._show(render)

    # ------------------------------------------------------------------ text
    def time_text(self, when: dt.datetime) -> str:
        return time_text(when, self._zone() if self._zone is not None else None)

    def summary_text(self, counts: dict[str, int], when: dt.datetime) -> str:
        tr = self._lang.tr
        parts = [tr("Last sync {time}: {received} cases updated, {sent} items sent.",
                    time=self.time_text(when), received=counts["received"], sent=counts["sent"])]
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

    def _show(self, render: Callable[[], str]) -> None:
        self._render = render
        self.message.setText(render())
        self.message.setToolTip(self.message.text())
