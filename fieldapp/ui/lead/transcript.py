"""The conversation as the lead reads it: one compact row per thing said or asked, with the
answer in words.

The transcript stores codes (option ids, yes/no as booleans, the stop's kind) beside the
sentences as they were said. The script is data, so an answer's words are looked up in it
by node and option, in the language the visit was held in (found from the sentence the
agent read out); annotations of the app itself (a step taken back, a stop) are in the
lead's language. Internal branching (`check`) is not shown: nothing was said there.
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import Translator
from fieldapp.script.model import STOP_LABELS
from fieldapp.ui.formatting import NONE, money_text, time_text
from fieldapp.ui.lead.labels import outcome_label

ANSWER_WIDTH = 0.3  # of the table's width; the sentence takes the rest
EXCERPT = 40


@dataclass(frozen=True)
class Row:
    when: str
    text: str
    answer: str


@lru_cache(maxsize=8)
def _script(script_id: str) -> Any:
    from fieldapp.script import load_script

    try:
        return load_script(script_id)
    except BadInput:
        return None


def _literals(template: str) -> list[str]:
    try:
        return [lit.strip() for lit, _f, _s, _c in string.Formatter().parse(template) if lit.strip()]
    except ValueError:
        return []


def said_in(node: Any, said: str, fallback: str) -> str:
    """The language of `said`: the one whose template of `node`'s text it matches."""
    texts = getattr(node, "text", None) or {}
    for lang, template in texts.items():
        parts = _literals(template)
        if parts and all(part in said for part in parts):
            return lang
    if any("\u4e00" <= ch <= "\u9fff" for ch in said):
        return "zh_CN"
    return fallback


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT - 1] + "…"


class TranscriptReader:
    """Rows of a visit's transcript for a lead reading in `tr`'s language."""

    def __init__(self, script_id: str | None, currency: str, timezone: str, tr: Callable[..., str],
                 lead_lang: str) -> None:
        self.script = _script(script_id) if script_id else None
        self.currency, self.timezone, self.tr, self.lead_lang = currency, timezone, tr, lead_lang
        self.visit_lang = lead_lang

    def rows(self, entries: list[dict[str, Any]]) -> list[Row]:
        out: list[Row] = []
        for entry in entries:
            row = self._row(entry)
            if row is not None:
                out.append(row)
        return out

    def _node(self, node_id: Any) -> Any:
        return self.script.nodes.get(node_id) if self.script is not None and isinstance(node_id, str) else None

    def _row(self, entry: dict[str, Any]) -> Row | None:
        event, tr = entry.get("event"), self.tr
        node = self._node(entry.get("node"))
        text = str(entry.get("text") or "")
        if text:
            self.visit_lang = said_in(node, text, self.visit_lang)
        answer = ""
        if event == "check":
            return None
        if event == "back":
            target = self._node(entry.get("to"))
            words = (target.text or {}).get(self.visit_lang) if target is not None and target.text else None
            text = tr("Went back to “{node}”", node=_excerpt(words) if words else str(entry.get("to") or NONE))
        elif event == "stop":
            kind = str(entry.get("kind") or "")
            text = tr("The agent stopped the conversation: {reason}",
                      reason=tr(STOP_LABELS[kind]) if kind in STOP_LABELS else kind or NONE)
        elif event == "end":
            text = text or tr("The conversation has ended.")
            answer = tr("Outcome: {outcome}", outcome=outcome_label(entry.get("outcome"), tr)) \
                if entry.get("outcome") else ""
        elif event == "answer":
            answer = self._answer(node, entry)
        if entry.get("note"):
            text = (text + "\n" if text else "") + tr("Note: {note}", note=entry["note"])
        if not text.strip() and not answer:
            return None
        return Row(self._when(entry.get("at")), text or NONE, answer)

    def _answer(self, node: Any, entry: dict[str, Any]) -> str:
        value = entry.get("answer")
        if value is None:
            return ""
        said = Translator.for_language(self.visit_lang)
        if node is not None and node.type == "ask":
            option = next((o for o in node.options if o.id == value), None)
            words = (option.text or {}).get(self.visit_lang) if option is not None else None
            if words and "{" not in words:
                return words
            return str(entry.get("answer_text") or value)
        if entry.get("answer_text"):
            return str(entry["answer_text"])
        kind = node.input.kind if node is not None and node.input is not None else None
        if isinstance(value, bool) or kind == "yes_no":
            yes = value is True or str(value).strip().lower() in ("true", "yes", "1")
            return said("Yes") if yes else said("No")
        if kind == "money":
            try:
                return money_text(value, self.currency)
            except (ArithmeticError, ValueError, TypeError):
                return str(value)
        return str(value)

    def _when(self, value: Any) -> str:
        try:
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
        except ValueError:
            moment = None
        return time_text(moment, self.timezone) if moment else NONE


class TranscriptTable(QTableWidget):
    """Three columns (time, sentence, answer); rows as tall as their wrapped text at the
    columns' real widths, so a long sentence takes a few lines, never a screen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self.setObjectName("transcript")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head = self.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        head.setStretchLastSection(False)

    def set_rows(self, rows: list[Row]) -> None:
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate((row.when, row.text, row.answer)):
                item = QTableWidgetItem(value)
                item.setTextAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
                if c == 2 and value:
                    item.setToolTip(value)
                self.setItem(r, c, item)
        self._fit()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        width = self.viewport().width()
        if width > 200:
            self.setColumnWidth(2, int(width * ANSWER_WIDTH))
