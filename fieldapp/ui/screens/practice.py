"""Practice: the agent rehearses a shipped conversation script against a simulated customer.

The conversation is the visit's own (`ScriptPlayer` over a `Runtime`), on the script's
example customer; nothing reaches a case. When it ends, the completion (script, version,
time, outcome) is recorded on the laptop and put in the outbox in one transaction, so the
policy check before a visit knows at once, and the server (and the team lead) after the
next sync. The list shows, per script, whether its current version has been practised.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from fieldapp.core.errors import BadInput
from fieldapp.ui.context import AppContext
from fieldapp.ui.errors import describe
from fieldapp.ui.formatting import time_text
from fieldapp.ui.i18n import N_
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.visit.script_player import ScriptPlayer, outcome_label
from fieldapp.ui.visit.style import BLOCK, MUTED, PASS, WARN, WARN_FILL, banner, big_button, scaled_font, wrapped_label

SCRIPT_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class PracticeScript:
    """A shipped script as the list shows it: id, version, titles, when last practised."""

    id: str
    version: int
    title: dict[str, str]
    script: Any                 # fieldapp.script.Script
    practised_at: Any = None    # the latest practice of THIS version (None: not yet)
    older: tuple[int, ...] = ()  # earlier versions practised


def load_practice(service: Any) -> list[PracticeScript]:
    """The shipped scripts and what the agent practised of each (database worker)."""
    from fieldapp.script import list_shipped, load_script, validate

    runs = service.practised() if hasattr(service, "practised") else []
    out = []
    for shipped in list_shipped():
        try:
            script = load_script(shipped.path)
        except BadInput:
            continue
        if validate(script):
            continue  # an invalid script cannot be used, nor practised
        mine = [r for r in runs if r.script_id == script.id]
        current = [r.completed_at for r in mine if r.version == script.version]
        older = tuple(sorted({r.version for r in mine if r.version != script.version}))
        out.append(PracticeScript(script.id, script.version, dict(script.title), script,
                                  max(current) if current else None, older))
    return out


class PracticeScreen(QWidget):
    recorded = Signal(str)   # the outbox item id of a recorded practice

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("practiceScreen")
        self._ctx, self._lang = ctx, ctx.language
        self.scripts: list[PracticeScript] = []
        self.current: PracticeScript | None = None
        self.runtime: Any = None
        self.recorded_item: str | None = None
        self._status: tuple[str, dict[str, Any], str | None] | None = None

        self.title = QLabel(self)
        self.title.setObjectName("practiceTitle")
        self.title.setFont(scaled_font(self.title, 1.4, bold=True))
        self.intro = wrapped_label(self, "practiceIntro", colour=MUTED)
        self.list = QListWidget(self)
        self.list.setObjectName("practiceScripts")
        self.list.setMinimumWidth(300)
        self.list.setMaximumWidth(380)
        self.list.setWordWrap(True)
        self.list.currentItemChanged.connect(lambda *_: self._selected())
        self.heading = wrapped_label(self, "practiceHeading", factor=1.2, bold=True)
        self.sim_banner = wrapped_label(self, "practiceBanner")
        self.start_button = big_button(self, "startPractice", primary=True)
        self.start_button.clicked.connect(self.start)
        self.status = wrapped_label(self, "practiceStatus")
        self.player = ScriptPlayer(self._lang, self)
        self.player.finished.connect(self._finished)
        self.player.hide()

        right = QVBoxLayout()
        for widget in (self.heading, self.sim_banner, self.status, self.start_button):
            right.addWidget(widget)
        right.addWidget(self.player, 1)
        right.addStretch(0)
        body = QHBoxLayout()
        body.addWidget(self.list)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.intro)
        layout.addLayout(body, 1)
        self._lang.changed.connect(self.retranslate)
        self.retranslate()

    # ------------------------------------------------------------------ data
    def reload(self) -> None:
        if self._ctx.service is None:
            return
        from fieldapp.conduct import warm_up  # the notes check's segmenter, loaded before it is needed

        self._ctx.tasks.net(warm_up, label="conduct_warm_up").with_parent(self).start()
        (self._ctx.tasks.db(load_practice, self._ctx.service, label="practice_scripts")
         .with_parent(self)
         .success(self.set_scripts)
         .failure(lambda exc: self._set_status("{problem}", BLOCK, problem=describe(exc, self._lang).message))
         .start())

    def set_scripts(self, scripts: list[PracticeScript]) -> None:
        chosen = self.current.id if self.current else None
        self.scripts = list(scripts)
        self.list.blockSignals(True)
        self.list.clear()
        for entry in self.scripts:
            item = QListWidgetItem(self.list)
            item.setData(SCRIPT_ROLE, entry.id)
        self.list.blockSignals(False)
        self._fill_list()
        index = next((i for i, s in enumerate(self.scripts) if s.id == chosen), 0 if self.scripts else -1)
        self.list.setCurrentRow(index)
        self._selected()

    def select(self, script_id: str) -> None:
        for i, entry in enumerate(self.scripts):
            if entry.id == script_id:
                self.list.setCurrentRow(i)

    def _selected(self) -> None:
        item = self.list.currentItem()
        entry = next((s for s in self.scripts if item is not None and s.id == item.data(SCRIPT_ROLE)), None)
        same = entry is not None and self.current is not None and entry.id == self.current.id
        self.current = entry  # a reload brings fresh data for the same script: keep its conversation
        if not same:
            self.runtime = None
            self.player.set_runtime(None)
            self.player.hide()
            self._status = None
        self.retranslate()

    # ------------------------------------------------------------------ practice
    def start(self) -> None:
        """A new conversation with the simulated customer, in the agent's language."""
        from fieldapp.script.practice import start_practice

        entry = self.current
        if entry is None:
            return
        lang = self._lang.code if self._lang.code in entry.script.languages else entry.script.languages[0]
        try:
            self.runtime = start_practice(entry.script, lang, agent_name=self._ctx.user.display_name or None,
                                          clock=self._ctx.clock)
        except BadInput as exc:
            self._set_status("{problem}", BLOCK, problem=exc.reason)
            return
        self.recorded_item = None
        self._status = None
        self.player.set_runtime(self.runtime)
        self.player.show()
        self.retranslate()

    def _finished(self, outcome: str) -> None:
        from fieldapp.protocol.v1 import PracticeRecord
        from fieldapp.script.practice import completion

        rt = self.runtime
        if rt is None or self._ctx.service is None:
            return
        record = PracticeRecord.model_validate(completion(rt, practice_id=str(uuid.uuid4()), clock=self._ctx.clock))
        self._set_status(N_("Practice finished ({outcome}); recording it…"), MUTED,
                         outcome=outcome_label(outcome, self._lang.tr))
        (self._ctx.tasks.db(self._ctx.service.record_practice, record, label="record_practice")
         .with_parent(self)
         .success(lambda item: self._recorded(item, outcome))
         .failure(lambda exc: self._set_status(N_("The practice could not be recorded: {problem}"), BLOCK,
                                               problem=describe(exc, self._lang).message))
         .start())

    def _recorded(self, item_id: str, outcome: str) -> None:
        self.recorded_item = item_id
        self._set_status(N_("Practice complete ({outcome}). It is recorded on this laptop and sent with "
                            "the next sync; nothing reached any customer's case."), PASS,
                         outcome=outcome_label(outcome, self._lang.tr))
        emit(self.recorded, item_id)
        self.reload()

    # ------------------------------------------------------------------ text
    def _set_status(self, message: str, colour: str | None, **values: Any) -> None:
        self._status = (message, values, colour)
        self.retranslate()

    def _fill_list(self) -> None:
        tr, lang = self._lang.tr, self._lang.code
        for i, entry in enumerate(self.scripts):
            item = self.list.item(i)
            if item is None:
                continue
            title = entry.title.get(lang) or entry.title.get("en") or entry.id
            if entry.practised_at is not None:
                state = tr("✓ practised {when}", when=time_text(entry.practised_at))
            elif entry.older:
                state = tr("✗ version {version} not practised yet (earlier: {older})", version=entry.version,
                           older=", ".join(str(v) for v in entry.older))
            else:
                state = tr("✗ not practised yet")
            item.setText(f"{title}\n{tr('version {version}', version=entry.version)} · {state}")

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.title.setText(tr("Practice"))
        self.intro.setText(tr("Rehearse a conversation script with a simulated customer before you visit. "
                              "Nothing you do here reaches any customer or case; only that you practised "
                              "(the script and its version) is recorded and sent with the next sync."))
        self._fill_list()
        entry = self.current
        if entry is None:
            self.heading.setText(tr("No conversation script to practise."))
            self.sim_banner.hide()
            self.start_button.hide()
        else:
            lang = self._lang.code
            self.heading.setText(tr("{title} — version {version}",
                                    title=entry.title.get(lang) or entry.title.get("en") or entry.id,
                                    version=entry.version))
            case = entry.script.example_case or {}
            self.sim_banner.setText(tr("Practice mode · simulated customer: {name}. This is not a real visit.",
                                       name=case.get("customer_name", "—")))
            banner(self.sim_banner, WARN_FILL, WARN)
            self.sim_banner.show()
            running = self.runtime is not None and not self.runtime.finished
            self.start_button.setText(tr("Practise again") if self.runtime is not None else tr("Start practice"))
            self.start_button.setVisible(not running)  # no restart by a stray click mid-conversation
        if self._status is None:
            self.status.hide()
        else:
            message, values, colour = self._status
            self.status.setText(tr(message, **values) if values else tr(message))
            banner(self.status, colour) if colour in (PASS, BLOCK) else self.status.setStyleSheet(
                f"color: {colour};" if colour else "")
            self.status.show()
