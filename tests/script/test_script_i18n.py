"""Every message the script engine shows has a Chinese translation with the same placeholders."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import fieldapp.script
from fieldapp.core.i18n import parse_po
from fieldapp.core.resources import resource_path
from fieldapp.script.model import STOP_LABELS

SOURCES = sorted(Path(fieldapp.script.__file__).parent.glob("*.py")) + [
    Path(fieldapp.script.__file__).parent.parent / "commands" / "script.py"]


def _messages() -> set[str]:
    found = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name == "issue" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                found.add(node.args[1].value)
            if name == "tr" and node.args and isinstance(node.args[0], ast.Constant):
                found.add(node.args[0].value)
    return found


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_is_translated_with_the_same_placeholders():
    catalog = {**parse_po(resource_path("translations", "zh_CN", "script.po").read_text(encoding="utf-8")),
               **parse_po(resource_path("translations", "zh_CN", "conduct.po").read_text(encoding="utf-8"))}
    wanted = _messages() | set(STOP_LABELS.values())
    from fieldapp.conduct import KINDS, rules
    from fieldapp.script.validate import _TYPE_WORDS

    wanted |= set(rules().labels.values()) | set(_TYPE_WORDS.values()) | set(KINDS.values())
    wanted |= {"Possibly {category}: “{matched}”", "{kind} ({masked}) is stored masked"}
    assert len(wanted) > 90
    missing = sorted(m for m in wanted if m not in catalog)
    assert missing == []
    for message in wanted:
        assert _fields(catalog[message]) == _fields(message), message
