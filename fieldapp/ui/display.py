"""Can a window be shown here? Checked before Qt is started, so a headless machine gets a
sentence instead of Qt aborting the process."""

from __future__ import annotations

import os
import sys


def headless_reason(command: str = "fieldapp", environ: dict[str, str] | None = None,
                    platform: str | None = None) -> str | None:
    """Why no window can be opened, or None when one can (or when Qt is told where to draw)."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if env.get("QT_QPA_PLATFORM"):
        return None
    if not platform.startswith("linux"):
        return None  # Windows and macOS always have their own display server
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return (f"no display found: run under a desktop session, or try `xvfb-run {command}`, "
            "or `fieldapp tour --out DIR` for screenshots")
