"""fieldapp/ui/field and fieldapp/ui/map have their own catalogs (field.po, map.po): every
string they show is translated, with the same placeholders, and the catalogs hold nothing
the screens no longer say."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import fieldapp.ui.field
from fieldapp.core.i18n import parse_po
from fieldapp.core.resources import resources_root

UI = Path(fieldapp.ui.field.__file__).parent.parent


def _msgids(part: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted((UI / part).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if name in ("tr", "N_") and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value, f"{path.name}:{node.lineno}")
    return found


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.mark.parametrize("part", ["field", "map"])
def test_every_string_is_translated_and_used(part):
    path = resources_root() / "translations" / "zh_CN" / f"{part}.po"
    zh = parse_po(path.read_text(encoding="utf-8"), where=str(path))
    ids = _msgids(part)
    assert len(ids) > 10
    assert [f"{w}: {m!r}" for m, w in ids.items() if m not in zh] == []
    assert [m for m, t in zh.items() if m and _fields(m) != _fields(t)] == []
    assert sorted(m for m in zh if m and m not in ids) == []
