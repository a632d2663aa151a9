"""The app's look at start-up: shipped fonts registered, the application icon.

A CJK font ships in resources/fonts (with its licence) so Chinese renders on machines
that have none; it is registered with Qt and put behind the default family as the
fallback for characters the default font lacks.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QFontDatabase, QGuiApplication, QIcon

from fieldapp.core.errors import NotFound
from fieldapp.core.resources import resources_root

log = logging.getLogger(__name__)

FONT_SUFFIXES = (".ttf", ".ttc", ".otf")


def _resource_dir(name: str) -> Path | None:
    try:
        path = resources_root() / name
    except NotFound:
        return None
    return path if path.is_dir() else None


def register_fonts(app: QGuiApplication) -> list[str]:
    """Register every font in resources/fonts; returns the families added."""
    directory = _resource_dir("fonts")
    families: list[str] = []
    if directory is None:
        return families
    for path in sorted(directory.iterdir()):
        if path.suffix.lower() not in FONT_SUFFIXES:
            continue
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id < 0:
            log.warning("%s: Qt could not load this font", path)
            continue
        for family in QFontDatabase.applicationFontFamilies(font_id):
            if family not in families:
                families.append(family)
    if families:
        font = app.font()
        fallbacks = [f for f in font.families() if f not in families] or [font.family()]
        font.setFamilies(fallbacks + families)
        app.setFont(font)
    return families


def app_icon() -> QIcon:
    directory = _resource_dir("icons")
    if directory is not None and (directory / "fieldapp.svg").exists():
        return QIcon(str(directory / "fieldapp.svg"))
    return QIcon()
