"""Every sentence the sync shows has a Chinese translation with the same placeholders."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import fieldapp
from fieldapp.core.i18n import load_catalog

SOURCES = [*(Path(fieldapp.__file__).parent / "sync").glob("*.py"),
           Path(fieldapp.__file__).parent / "commands" / "sync.py"]
PHASES = ["pull", "push", "attachments"]


def _messages() -> list[str]:
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name == "tr" and isinstance(node.args[0].value, str):
                    found.append(node.args[0].value)
    return found + PHASES


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_sync_message_is_translated():
    catalog = load_catalog("zh_CN")  # every domain's catalog, merged as the app sees it
    messages = _messages()
    assert len(messages) > 25
    missing = [m for m in messages if m not in catalog]
    assert missing == []
    assert [m for m in messages if _fields(catalog[m]) != _fields(m)] == []
