"""Every sentence the store says about itself (and `fieldapp store` prints) has a Chinese
translation with the same placeholders."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import fieldapp
from fieldapp.core.i18n import load_catalog

PACKAGE = Path(fieldapp.__file__).parent
ERRORS = {"StoreProblem", "StoreMissing", "StoreDamaged", "StoreLocked", "PassphraseRequired", "WrongPassphrase"}


def _messages() -> list[str]:
    found = []
    for path in [*(PACKAGE / "store").glob("*.py"), PACKAGE / "commands" / "store.py"]:
        if not path.exists():
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if (name in ERRORS or name == "tr") and isinstance(node.args[0].value, str):
                    found.append(node.args[0].value)
        if path.name == "errors.py":  # the sentences kept as named constants
            for node in tree.body:
                if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Constant, ast.JoinedStr)) \
                        and all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets):
                    found.append(ast.literal_eval(node.value))
    from fieldapp.store.outbox import QUARANTINE_REASONS

    return found + list(QUARANTINE_REASONS.values())


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_store_sentence_is_translated():
    catalog = load_catalog("zh_CN")
    messages = _messages()
    assert len(messages) >= 12
    assert [m for m in messages if m not in catalog] == []
    assert [m for m in messages if _fields(catalog[m]) != _fields(m)] == []
