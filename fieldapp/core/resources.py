"""One locator for the files in `resources/`.

It works in three situations, tried in this order:

1. a frozen PyInstaller bundle: `resources/` is collected next to the executable's
   internal files (`sys._MEIPASS/resources`, see packaging/fieldapp.spec);
2. an installed wheel (or an install from the sdist): `resources/` is mapped into the
   package as `fieldapp/_resources` (pyproject.toml, setup.py), so it sits next to this
   package in site-packages. Tried before 3, so that a stray `resources/` folder next
   to an installed package in site-packages is never taken for ours;
3. a checkout (editable install or running from source): `resources/` at the top of the
   repository, next to the `fieldapp/` package.

`FIELDAPP_RESOURCES` overrides all three (used by tests and by institutions that ship
their own policy or script folders).
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

from fieldapp.core.errors import NotFound

_MARKER = "policies"  # a folder every real resources directory has


def _candidates() -> list[Path]:
    found: list[Path] = []
    env = os.environ.get("FIELDAPP_RESOURCES")
    if env:
        found.append(Path(env))
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        found.append(Path(meipass) / "resources")
    package_dir = Path(__file__).resolve().parent.parent
    found.append(package_dir / "_resources")
    found.append(package_dir.parent / "resources")
    return found


@lru_cache(maxsize=1)
def resources_root() -> Path:
    """The directory holding policies/, scripts/, fonts/, icons/, translations/, demo/."""
    tried = _candidates()
    for path in tried:
        if (path / _MARKER).is_dir():
            return path
    raise NotFound("resources directory not found; looked in: " + ", ".join(str(p) for p in tried))


def resource_path(*parts: str) -> Path:
    """Path of a shipped resource, e.g. resource_path("policies", "cn.toml")."""
    path = resources_root().joinpath(*parts)
    if not path.exists():
        raise NotFound(f"resource {'/'.join(parts)} not found in {resources_root()}")
    return path
