"""Switching the language changes every visible string of every step at once: labels,
buttons, placeholders, tooltips, list items, table headers, the policy's sentences and
the script's own texts. Only data stays as it is (names, addresses, amounts, rule ids)."""

from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QAbstractButton, QComboBox, QLabel, QLineEdit, QPlainTextEdit, QTableWidget, QWidget,
)

from fieldapp.ui.visit.flow_state import Step

from .visit_drive import TO_AGREEMENT, confirm_read, make_flow, next_step, play, sign
from .visit_helpers import make_case

CJK = re.compile(r"[\u4e00-\u9fff]")
TAG = re.compile(r"<[^>]+>")
RULE_ID = re.compile(r"[a-z_]+(\.[a-z_]+)+")
MONEY = re.compile(r"[\d,.]+ [A-Z]{3}")
CASE = make_case()
DATA = {CASE.customer.name, CASE.customer.address, "cn 2026.1", "CNY", "李明"}


def visible_strings(root: QWidget) -> dict[str, str]:
    found: dict[str, str] = {}

    def add(where: str, text: str) -> None:
        text = TAG.sub("", text or "").replace("&", "").strip()
        if text and text not in DATA and not RULE_ID.fullmatch(text) and not MONEY.fullmatch(text) and not re.fullmatch(r"[\d\s\W]*", text):
            found[where] = text

    for widget in [root, *root.findChildren(QWidget)]:
        if widget is not root and not widget.isVisibleTo(root):
            continue
        name = f"{type(widget).__name__}#{widget.objectName() or id(widget)}"
        add(name + ".tooltip", widget.toolTip())
        if isinstance(widget, (QLabel, QAbstractButton)):
            add(name + ".text", widget.text())
        if isinstance(widget, (QLineEdit, QPlainTextEdit)):
            add(name + ".placeholder", widget.placeholderText())
        if isinstance(widget, QComboBox):
            for i in range(widget.count()):
                add(f"{name}.item{i}", widget.itemText(i))
        if isinstance(widget, QTableWidget):
            for c in range(widget.columnCount()):
                add(f"{name}.header{c}", widget.horizontalHeaderItem(c).text())
    return found


def check_switch(flow, language) -> int:
    english = visible_strings(flow)
    language.set_language("zh_CN")
    chinese = visible_strings(flow)
    language.set_language("en")
    assert set(chinese) == set(english), "the same widgets show text in both languages"
    untranslated = {w: t for w, t in chinese.items() if not CJK.search(t)}
    assert untranslated == {}
    unchanged = {w: t for w, t in chinese.items() if t == english[w]}
    assert unchanged == {}
    assert visible_strings(flow) == english            # and back again
    return len(english)


def test_every_step_switches_every_visible_string(qtbot, language, position):
    flow = make_flow(qtbot, language, position, [])
    seen = {}
    seen[Step.PRECHECK] = check_switch(flow, language)
    with qtbot.waitSignal(flow.checkin.checked_in):
        next_step(qtbot, flow)
    seen[Step.CHECKIN] = check_switch(flow, language)
    next_step(qtbot, flow)
    seen[Step.SCRIPT] = check_switch(flow, language)
    play(qtbot, flow.player, TO_AGREEMENT[:4])           # a required disclosure
    seen["disclosure"] = check_switch(flow, language)
    play(qtbot, flow.player, TO_AGREEMENT[4:6])
    qtbot.keyClicks(flow.player.notes, "you'll regret it")
    play(qtbot, flow.player, TO_AGREEMENT[6:7])          # held: the wording awaits "keep"
    assert flow.player.keep_wording.isVisible()
    seen["note warning"] = check_switch(flow, language)
    flow.player.keep_wording.setChecked(True)
    play(qtbot, flow.player, TO_AGREEMENT[6:8])          # an amount / count input
    seen["input"] = check_switch(flow, language)
    play(qtbot, flow.player, TO_AGREEMENT[8:])
    seen["ended"] = check_switch(flow, language)
    next_step(qtbot, flow)
    qtbot.keyClicks(flow.pages[Step.OUTCOME].notes, "he said: you'll regret it")
    seen[Step.OUTCOME] = check_switch(flow, language)
    flow.pages[Step.OUTCOME].keep.setChecked(True)
    next_step(qtbot, flow)
    seen[Step.PLAN] = check_switch(flow, language)
    flow.plan_builder.count_spin.setValue(40)            # a limit broken: the inline problem
    seen["plan problem"] = check_switch(flow, language)
    flow.plan_builder.count_spin.setValue(6)
    next_step(qtbot, flow)
    seen[Step.READ_DRAFT] = check_switch(flow, language)
    confirm_read(qtbot, flow)
    seen["read confirmed"] = check_switch(flow, language)
    next_step(qtbot, flow)
    seen[Step.SIGN_CUSTOMER] = check_switch(flow, language)
    sign(qtbot, flow.sign_page("customer").pad)
    seen["signed"] = check_switch(flow, language)
    next_step(qtbot, flow)
    sign(qtbot, flow.sign_page("agent").pad)
    next_step(qtbot, flow)
    seen[Step.PREVIEW] = check_switch(flow, language)
    next_step(qtbot, flow)
    seen[Step.DONE] = check_switch(flow, language)
    assert min(seen.values()) >= 3, seen                 # the walk really sees each page


def test_no_location_fallback_switches_too(qtbot, language, position):
    flow = make_flow(qtbot, language, position, [], source_factory=lambda parent: None)
    next_step(qtbot, flow)
    assert flow.checkin.fallback.isVisible()
    assert check_switch(flow, language) >= 8
