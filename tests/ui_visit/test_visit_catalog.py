"""Every string the visit screens show has a Chinese translation with the same
placeholders; visit.po holds nothing unused, no entry twice, and never gives a word
another catalog already translates a different meaning (catalogs are merged)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import fieldapp.ui.visit
from fieldapp.core.i18n import load_catalog, parse_po
from fieldapp.core.resources import resources_root

VISIT = Path(fieldapp.ui.visit.__file__).parent
ZH = resources_root() / "translations" / "zh_CN"


def visit_msgids() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(VISIT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if name in ("tr", "N_") and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value, f"{path.name}:{node.lineno}")
    return found


def visit_po_text() -> str:
    return (ZH / "visit.po").read_text(encoding="utf-8")


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_the_extractor_sees_the_visit_screens():
    ids = visit_msgids()
    assert "Start the visit" in ids and "Sign above the line" in ids and len(ids) > 100


def test_every_visit_string_is_translated():
    merged = load_catalog("zh_CN")
    assert [f"{where}: {msgid!r}" for msgid, where in visit_msgids().items() if msgid not in merged] == []


def test_visit_catalog_has_no_stale_or_repeated_entries():
    ids = re.findall(r'^msgid "(.+)"$', visit_po_text(), flags=re.M)
    assert len(ids) == len(set(ids))
    assert sorted(set(parse_po(visit_po_text())) - set(visit_msgids())) == []


def test_translations_keep_placeholders():
    catalog = parse_po(visit_po_text())
    assert [m for m, t in catalog.items() if _fields(m) != _fields(t)] == []


def test_no_entry_overrides_another_catalog():
    mine = parse_po(visit_po_text())
    clashes = []
    for po in sorted(ZH.glob("*.po")):
        if po.name == "visit.po":
            continue
        for msgid, text in parse_po(po.read_text(encoding="utf-8")).items():
            if msgid in mine and mine[msgid] != text:
                clashes.append(f"{po.name}: {msgid!r}")
    assert clashes == []
