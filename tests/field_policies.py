"""An institution's own policy folder for tests of work in the field (FIELDAPP_RESOURCES):
the shipped presets, plus `cn-contacts` (cn with at most 3 contact attempts in 7 days) and
`cn-photos` (cn that forbids photos of people and inside homes)."""

from __future__ import annotations

import shutil
from pathlib import Path

from fieldapp.core import resources

CONTACTS = "cn-contacts"
PHOTOS = "cn-photos"
LIMIT = """
[frequency]
max_attempts = 3
per_days = 7
basis.max_attempts = { status = "institution_choice", sources = ["gb-t-45251"], note = "calls, messages and visits together" }
"""
PHOTO_RULES = """
[photos]
people = false
inside_homes = false
keep_position = true
"""


def _variant(text: str, new_id: str, frequency: str | None = None, extra: str = "") -> str:
    if frequency is not None:
        head, rest = text.split("[frequency]", 1)
        text = head + frequency + "\n[" + rest.split("\n[", 1)[1]
    return text.replace('id = "cn"', f'id = "{new_id}"', 1) + extra


def install(tmp_path: Path, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    real = resources.resources_root()
    root = tmp_path / "resources"
    root.mkdir()
    for entry in real.iterdir():
        if entry.name != "policies":
            (root / entry.name).symlink_to(entry)
    shutil.copytree(real / "policies", root / "policies")
    cn = (real / "policies" / "cn.toml").read_text(encoding="utf-8")
    (root / "policies" / f"{CONTACTS}.toml").write_text(_variant(cn, CONTACTS, LIMIT), encoding="utf-8")
    (root / "policies" / f"{PHOTOS}.toml").write_text(_variant(cn, PHOTOS, extra=PHOTO_RULES), encoding="utf-8")
    monkeypatch.setenv("FIELDAPP_RESOURCES", str(root))
    resources.resources_root.cache_clear()
    return root


def uninstall(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("FIELDAPP_RESOURCES", raising=False)
    resources.resources_root.cache_clear()
