"""Every English string the GUI shows has a Chinese translation in ui.po, with the same
placeholders; the catalog holds nothing the GUI no longer says; and where another
catalog translates the same English too (catalogs are merged), both agree.

Parts of the GUI with their own catalog (fieldapp/ui/visit -> visit.po, fieldapp/ui/lead ->
lead.po) are checked by their own tests."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import fieldapp.ui
from fieldapp.core.i18n import parse_po
from fieldapp.core.resources import resources_root

UI = Path(fieldapp.ui.__file__).parent
MARKERS = {"tr", "N_"}


def ui_msgids() -> dict[str, str]:
    """msgid -> where it is used: literal first arguments of tr(...), .tr(...) and N_(...)."""
    found: dict[str, str] = {}
    zh = resources_root() / "translations" / "zh_CN"
    for path in sorted(UI.rglob("*.py")):
        parts = path.relative_to(UI).parts
        if len(parts) > 1 and (zh / f"{parts[0]}.po").exists():
            continue  # a part with its own catalog (visit.po, lead.po) and its own test
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if name in MARKERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value, f"{path.relative_to(UI.parent.parent)}:{node.lineno}")
    return found


def catalog() -> dict[str, str]:
    path = resources_root() / "translations" / "zh_CN" / "ui.po"
    return parse_po(path.read_text(encoding="utf-8"), where=str(path))


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_the_extractor_finds_strings():
    ids = ui_msgids()
    assert "Sync" in ids and "Customer" in ids and len(ids) > 40


def test_every_ui_string_is_translated():
    zh = catalog()
    missing = [f"{where}: {msgid!r}" for msgid, where in ui_msgids().items() if msgid not in zh]
    assert missing == []


def test_translations_keep_placeholders():
    bad = [msgid for msgid, text in catalog().items() if _fields(msgid) != _fields(text)]
    assert bad == []


def test_merged_catalogs_agree():
    ours = catalog()
    zh = resources_root() / "translations" / "zh_CN"
    clashes = []
    for other in sorted(zh.glob("*.po")):
        if other.name == "ui.po":
            continue
        for msgid, text in parse_po(other.read_text(encoding="utf-8"), where=str(other)).items():
            if msgid in ours and ours[msgid] != text:
                clashes.append(f"{other.name}: {msgid!r} is {text!r} there, {ours[msgid]!r} in ui.po")
    assert clashes == []


def test_catalog_has_no_stale_entries():
    used = set(ui_msgids())
    assert sorted(set(catalog()) - used) == []
