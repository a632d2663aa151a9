"""Every sentence of the lead's screens, sync and server answers has a Chinese translation
in lead.po with the same placeholders; lead.po holds nothing unused; and where another
catalog translates the same English (catalogs are merged), both agree."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import fieldapp
from fieldapp.core.i18n import parse_po
from fieldapp.core.resources import resources_root
from fieldapp.protocol.lead import CSV_COLUMNS, TOTAL_LABEL

PACKAGE = Path(fieldapp.__file__).parent
SOURCES = [*sorted((PACKAGE / "ui" / "lead").glob("*.py")), PACKAGE / "sync" / "lead.py",
           PACKAGE / "sync" / "lead_service.py"]
MARKERS = {"tr", "N_"}
CONFLICT = "{who} already decided this visit ({state}) at {when}."


def used() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                first = node.args[0]
                if name in MARKERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.setdefault(first.value, f"{path.name}:{node.lineno}")
    for column in (*CSV_COLUMNS, TOTAL_LABEL):
        found.setdefault(column, "protocol/lead.py (CSV)")
    push = (PACKAGE / "server" / "services" / "push.py").read_text(encoding="utf-8")
    assert CONFLICT in push  # the refusal a second lead gets (values from services/review.py)
    found.setdefault(CONFLICT, "server/services/push.py")
    return found


def catalog(name: str = "lead.po") -> dict[str, str]:
    path = resources_root() / "translations" / "zh_CN" / name
    return parse_po(path.read_text(encoding="utf-8"), where=str(path))


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_the_extractor_finds_the_strings():
    ids = used()
    assert "Review queue" in ids and "Approve" in ids and "Team total" in ids and len(ids) > 100


def test_every_lead_string_is_translated_with_its_placeholders():
    zh = catalog()
    assert [f"{where}: {m!r}" for m, where in used().items() if m not in zh] == []
    assert [m for m, text in zh.items() if _fields(m) != _fields(text)] == []


def test_lead_po_holds_nothing_unused():
    assert sorted(set(catalog()) - set(used())) == []


def test_merged_catalogs_agree():
    ours = catalog()
    clashes = []
    for other in sorted((resources_root() / "translations" / "zh_CN").glob("*.po")):
        if other.name == "lead.po":
            continue
        for msgid, text in catalog(other.name).items():
            if msgid in ours and ours[msgid] != text:
                clashes.append(f"{other.name}: {msgid!r} is {text!r} there, {ours[msgid]!r} here")
    assert clashes == []
