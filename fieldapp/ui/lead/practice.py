"""Practice in the team: for each agent and each current conversation script, whether the
agent has practised that version (and when), so a lead sees who still has to before a
policy that requires practice lets them visit.

The table comes from the server (GET /api/v1/lead/practice, through the LeadService); it
is fetched when the screen is shown and with "Refresh".
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.context import AppContext
from fieldapp.ui.errors import describe
from fieldapp.ui.formatting import time_text
from fieldapp.ui.i18n import N_
from fieldapp.ui.lead.queue import title_font
from fieldapp.ui.lead.service import LeadServiceLike
from fieldapp.ui.visit.style import BLOCK, MUTED, PASS, WARN


def cell(agent: Any, script: Any) -> tuple[str, dict[str, Any], str]:
    """(message, values, colour) for one agent and one current script version."""
    done = agent.latest(script.id, script.version)
    if done is not None:
        return N_("✓ practised {when}"), {"when": time_text(done.completed_at)}, PASS
    older = sorted({d.version for d in agent.done if d.script_id == script.id})
    if older:
        return (N_("✗ only earlier versions ({versions})"), {"versions": ", ".join(str(v) for v in older)}, WARN)
    return N_("✗ not practised"), {}, BLOCK


class PracticeTable(QWidget):
    def __init__(self, ctx: AppContext, service: LeadServiceLike, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("leadPractice")
        self._ctx, self._service, self._lang = ctx, service, ctx.language
        self.status_response: Any = None
        self._status: tuple[str, dict[str, Any], str] | None = None
        self.loaded_once = False

        self.title = QLabel(self)
        self.title.setObjectName("practiceTitle")
        title_font(self.title)
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.intro.setStyleSheet(f"color: {MUTED};")
        self.refresh_button = QPushButton(self)
        self.refresh_button.setObjectName("practiceRefresh")
        self.refresh_button.clicked.connect(self.load)
        self.summary = QLabel(self)
        self.summary.setObjectName("practiceSummary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 0, self)
        self.table.setObjectName("practiceTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.intro)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()

    def load(self) -> None:
        reader = getattr(self._service, "practice", None)
        if reader is None:
            return
        self.loaded_once = True
        self._status = (N_("Loading…"), {}, MUTED)
        self.retranslate()
        (self._ctx.tasks.net(reader, label="lead_practice")
         .with_parent(self)
         .success(self.set_status)
         .failure(lambda exc: self._failed(exc))
         .start())

    def _failed(self, exc: Exception) -> None:
        self._status = ("{problem}", {"problem": describe(exc, self._lang).message}, BLOCK)
        self.retranslate()

    def set_status(self, response: Any) -> None:
        self.status_response = response
        self._status = None
        self.retranslate()

    def counts(self) -> tuple[int, int]:
        """(agents who practised every current script version, agents)."""
        r = self.status_response
        if r is None:
            return 0, 0
        ready = sum(all(a.latest(s.id, s.version) is not None for s in r.scripts) for a in r.agents)
        return ready, len(r.agents)

    def retranslate(self, *_: object) -> None:
        tr, lang = self._lang.tr, self._lang.code
        self.title.setText(tr("Practice"))
        self.intro.setText(tr("Who in the team has practised the current version of each conversation script. "
                              "Where the policy requires practice, an agent cannot start a visit with a script "
                              "they have not practised."))
        self.refresh_button.setText(tr("Refresh"))
        r = self.status_response
        if self._status is not None:
            message, values, colour = self._status
            self.summary.setText(tr(message, **values) if values else tr(message))
            self.summary.setStyleSheet(f"color: {colour};")
        elif r is not None:
            ready, total = self.counts()
            self.summary.setText(tr("{ready} of {total} agents have practised every current script "
                                    "(as of {time}).", ready=ready, total=total, time=time_text(r.server_time)))
            self.summary.setStyleSheet(f"color: {PASS if ready == total else WARN};")
        else:
            self.summary.setText("")
        if r is None:
            self.table.setRowCount(0)
            return
        headers = [tr("Agent")] + [tr("{title} (version {version})", title=s.title.get(lang) or s.title.get("en")
                                      or s.id, version=s.version) for s in r.scripts]
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(r.agents))
        for row, agent in enumerate(r.agents):
            who = QTableWidgetItem(f"{agent.agent.display_name} ({agent.agent.username})")
            self.table.setItem(row, 0, who)
            for col, script in enumerate(r.scripts, start=1):
                message, values, colour = cell(agent, script)
                item = QTableWidgetItem(tr(message, **values) if values else tr(message))
                item.setForeground(QColor(colour))
                item.setData(Qt.ItemDataRole.UserRole, colour)
                self.table.setItem(row, col, item)
