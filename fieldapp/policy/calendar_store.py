"""What `calendar` derives from the `holidays` package, kept on disk between processes.

Importing `holidays` costs more than the rest of a `fieldapp check` call, and what the
calendar reads from it (the country codes, a country's subdivisions, a region's year of
holidays, working days and make-up days, a year's names in another language) is data
that changes only with the installed package. So each piece is kept, once computed, in
one JSON file in the user's cache folder (`$FIELDAPP_HOME/cache` when set, else the
platform's, e.g. ~/.cache/fieldapp), and a process that finds what it needs there never
imports `holidays`.

The file's name carries a key made from the installed package without importing it: its
location and the size and modification time of its `__init__.py` and `version.py`
(a frozen bundle, whose files are not on disk, uses its executable instead). A new
`holidays` means a new key, a new file; files of other keys are removed when it is
written. Dates and holiday names only, nothing about anyone.

The cache is only ever a short cut: a missing, corrupt, unreadable or unwritable file is
logged at debug level and ignored, and the answer comes from `holidays` directly.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import zlib
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT = 1
PREFIX = "calendars-"


def cache_dir() -> Path:
    home = os.environ.get("FIELDAPP_HOME")
    if home:
        return Path(home) / "cache"
    if sys.platform.startswith("linux"):  # what platformdirs answers there, without importing it
        base = os.environ.get("XDG_CACHE_HOME", "")
        return Path(base if base.strip() else os.path.expanduser("~/.cache")) / "fieldapp"  # relative: no home
    import platformdirs

    return Path(platformdirs.user_cache_dir("fieldapp", appauthor=False))


def package_key() -> str:
    """Changes whenever the installed `holidays` package does; `holidays` is not imported."""
    import importlib.util

    parts = [f"format {FORMAT}"]
    try:
        spec = importlib.util.find_spec("holidays")
    except (ImportError, ValueError):
        spec = None
    origin = spec.origin if spec is not None and spec.origin else ""
    if not origin:
        return ""  # no package to read from: nothing to keep either
    parts.append(origin)
    files = [Path(origin), Path(origin).with_name("version.py")]
    try:
        for f in files:
            st = f.stat()
            parts.append(f"{f.name} {st.st_size} {st.st_mtime_ns}")
    except OSError:  # a frozen bundle (its unpacked folder may change at every start):
        try:           # the package comes with the executable
            st = os.stat(sys.executable)
            parts = [f"format {FORMAT}", f"{sys.executable} {st.st_size} {st.st_mtime_ns}"]
        except OSError:
            return ""
    text = "\n".join(parts).encode("utf-8")
    return f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}"  # hashlib would load OpenSSL: 3 ms a call


class Store:
    """The sections of one cache file: `countries` (a list), `subdivisions` (country ->
    list), `years` ("REGION YEAR" -> {holidays, non_working, makeup}) and `localised`
    ("REGION YEAR LANGUAGE" -> {date: name})."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.Lock()  # the server's threads share one store
        self.data: dict[str, Any] = self._read() if path else {}

    def _read(self) -> dict[str, Any]:
        assert self.path is not None
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            log.debug("calendar cache %s not readable (%s)", self.path.name, type(exc).__name__)
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            log.debug("calendar cache %s is corrupt; ignored", self.path.name)
            return {}
        if type(data) is not dict or data.get("format") != FORMAT:
            log.debug("calendar cache %s has an unknown form; ignored", self.path.name)
            return {}
        return data

    def get(self, section: str, key: str) -> Any:
        part = self.data.get(section)
        return part.get(key) if type(part) is dict else None

    def put(self, section: str, key: str, value: Any) -> None:
        """Record `value` and write the file (merged with what other processes wrote)."""
        with self.lock:
            self._put(section, key, value)

    def _put(self, section: str, key: str, value: Any) -> None:
        part = self.data.get(section)
        if type(part) is not dict:
            part = self.data[section] = {}
        part[key] = value
        if self.path is None:
            return
        try:
            on_disk = self._read()
            for name, entries in on_disk.items():
                if type(entries) is dict and type(self.data.get(name)) is dict:
                    self.data[name] = {**entries, **self.data[name]}
            self.data["format"] = FORMAT
            self._write(json.dumps(self.data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        except OSError as exc:
            log.debug("calendar cache %s not written (%s)", self.path.name, type(exc).__name__)

    def _write(self, blob: bytes) -> None:
        from fieldapp.core.private import make_private_dir, write_private

        assert self.path is not None
        folder = self.path.parent
        make_private_dir(folder)
        write_private(self.path, blob, sync=False)  # a cache: losing it costs only time
        for old in folder.glob(f"{PREFIX}*.json"):
            if old.name != self.path.name:
                try:
                    old.unlink()
                except OSError as exc:
                    log.debug("old calendar cache %s not removed (%s)", old.name, type(exc).__name__)


_store: Store | None = None


def store() -> Store:
    """The cache for the current cache folder and `holidays` package (read once per process)."""
    global _store
    key = package_key()
    folder = cache_dir()
    path = folder / f"{PREFIX}{key}.json" if key and folder.is_absolute() else None
    if _store is None or _store.path != path:
        _store = Store(path)
    return _store


def forget() -> None:
    """Drop what this process has read (the file stays)."""
    global _store
    _store = None
