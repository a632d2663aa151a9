"""The GUI's own settings, declared once with their types and defaults.

Kept in a small JSON file in the app's config folder (`FIELDAPP_HOME` when set). A value
of the wrong type, or a file that is not JSON, falls back to the default with a warning
naming the file and the key: a damaged settings file must never stop the app from
starting. The password is never stored here (the service keeps its token in the keyring).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import dataclass, fields
from pathlib import Path

from fieldapp.core.i18n import LANGUAGES, normalise_language

log = logging.getLogger(__name__)

FILE_NAME = "ui-settings.json"


def default_language(environ: dict[str, str] | None = None) -> str:
    """The language of the desktop session, when it is one we ship; else English."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        if value and value not in ("C", "POSIX"):
            return "zh_CN" if value.lower().startswith("zh") else "en"
    return "en"


def config_dir() -> Path:
    home = os.environ.get("FIELDAPP_HOME")
    if home:
        return Path(home)
    import platformdirs

    return Path(platformdirs.user_config_dir("fieldapp", appauthor=False))


@dataclass
class UiSettings:
    language: str = dataclasses.field(default_factory=default_language)
    server_url: str = ""
    username: str = ""
    window_geometry: str = ""  # hex of QWidget.saveGeometry()
    last_sync: str = ""        # ISO 8601 of the last successful sync, shown in the status line
    # The creditor named on repayment agreements (the institution's, set once per laptop).
    institution_name: str = ""
    institution_address: str = ""
    institution_registration: str = ""

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            self.language = normalise_language(self.language) if self.language else "en"


class SettingsStore:
    """Reads and writes `UiSettings` at one path (tests give a temporary one)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / FILE_NAME

    def load(self) -> UiSettings:
        defaults = UiSettings()
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return defaults
        except (OSError, ValueError) as exc:
            log.warning("%s: not readable (%s); using default settings", self.path, type(exc).__name__)
            return defaults
        if not isinstance(raw, dict):
            log.warning("%s: expected a JSON object; using default settings", self.path)
            return defaults
        values = {}
        for f in fields(UiSettings):
            if f.name not in raw:
                continue
            value = raw[f.name]
            if not isinstance(value, str):
                log.warning("%s: %s should be text, not %s; using the default", self.path, f.name,
                            type(value).__name__)
                continue
            values[f.name] = value
        try:
            return UiSettings(**values)
        except Exception:  # noqa: BLE001 - an unknown language code, say
            log.warning("%s: invalid language; using the default", self.path)
            values.pop("language", None)
            return UiSettings(**values)

    def save(self, settings: UiSettings) -> None:
        """Written whole (temporary file, then renamed), readable by this user only; the
        app's own config folder is made private too (a folder given by a caller is not)."""
        from fieldapp.core import private

        folder = self.path.parent
        private.make_private_dir(folder, restrict_existing=folder == config_dir())
        text = json.dumps(dataclasses.asdict(settings), indent=2, ensure_ascii=False)
        private.write_private(self.path, text.encode("utf-8"))
