"""The house rules on imports (DESIGN.md: imports flow one way)."""

from __future__ import annotations

import ast
from pathlib import Path

import fieldapp

PACKAGE = Path(fieldapp.__file__).parent
PURE = ("core", "policy", "script", "documents", "geo", "protocol", "conduct")
FORBIDDEN_IN_PURE = ("PySide6", "fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "httpx",
                     "fieldapp.ui", "fieldapp.server", "fieldapp.store", "fieldapp.sync")
FORBIDDEN_IN_UI = ("sqlalchemy", "httpx", "fieldapp.server")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _breaches(layers, forbidden):
    out = []
    for layer in layers:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            for lineno, name in _imports(path):
                if any(name == f or name.startswith(f + ".") for f in forbidden):
                    out.append(f"{path.relative_to(PACKAGE.parent)}:{lineno} imports {name}")
    return out


def test_pure_layers_import_no_qt_server_or_store():
    assert _breaches(PURE, FORBIDDEN_IN_PURE) == []


def test_ui_runs_no_sql_or_http_itself():
    assert _breaches(("ui",), FORBIDDEN_IN_UI) == []


def test_core_imports_only_core():
    assert _breaches(("core",), ("fieldapp.policy", "fieldapp.script", "fieldapp.documents",
                                  "fieldapp.geo", "fieldapp.protocol", "fieldapp.conduct")) == []


def test_conduct_builds_on_core_only():
    """Scripts, notes, comments and notices all use the conduct checker, so it uses none of them."""
    assert _breaches(("conduct",), ("fieldapp.policy", "fieldapp.script", "fieldapp.documents",
                                     "fieldapp.geo", "fieldapp.protocol")) == []


def test_packaging_is_not_a_python_package():
    assert not (PACKAGE.parent / "packaging" / "__init__.py").exists()
