"""What goes into the desktop bundle, in one place: read by fieldapp.spec at build time,
by build.py to check the result, and by the tests without building anything.

Kept as a plain module next to the spec (packaging/ is not a Python package, so that it
never shadows the PyPI `packaging` module).

- Subcommands are imported by name at run time (fieldapp/cli.py), so every desktop module
  is listed as a hidden import; the server and the commands that need it stay out.
- Alembic reads the store's migration scripts as files: they ship as source next to the
  bundled package (fieldapp/store/migrations), where fieldapp.store.db looks for them.
- Qt: PyInstaller's hooks collect every plugin of the modules in use. Plugins for embedded
  devices, the virtual keyboard, Qt's own network backends (the app speaks HTTP through
  httpx) and translations other than en and zh_CN are dropped; QtPdf and QtPositioning (with
  its position plugins) stay, and so does what the day map needs: QtQuick, QtQml,
  QtQuickWidgets, QtLocation with the OSM geoservices plugin, and of the QML import tree only
  the modules the map's QML imports (QtQuick, QtLocation, QtPositioning and the QtQml they
  pull in; not Controls, Dialogs, Quick3D, ...), and QtMultimedia with its FFmpeg backend for
  the camera. On Linux the shared libraries that only the
  dropped files needed go too (`prune_orphans`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable

TOP = Path(__file__).resolve().parent.parent

# Module prefixes that belong to the sync server, not to the agent/lead desktop app.
SERVER_ONLY = ("fieldapp.server", "fieldapp.commands.server", "fieldapp.commands.demo",
               "fieldapp.commands.tour")

EXCLUDES = [
    # the server stack and tools that are never used by the desktop app
    *SERVER_ONLY, "fastapi", "starlette", "uvicorn", "psycopg", "psycopg_binary", "psycopg_pool",
    "argon2", "pydantic_settings", "tkinter", "_tkinter", "IPython", "pytest", "_pytest",
    "hypothesis", "numpy", "matplotlib", "pandas", "zxingcpp", "setuptools", "pip",
    # Pillow codecs no document or signature uses
    "PIL._avif", "PIL.AvifImagePlugin", "PIL._webp", "PIL.WebPImagePlugin", "PIL.ImageTk",
    "PIL._imagingtk", "PIL.ImageQt",
    # Qt modules the app does not use (PySide6-Addons brings them along)
    # (not PySide6.QtOpenGL, 8.9 MB: the frozen map's QtQuick binding fails to load without it)
    "PySide6.QtQuick3D", "PySide6.QtQuickControls2", "PySide6.QtQuickTest",
    "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets", "PySide6.QtWebChannel",
    "PySide6.Qt3DCore", "PySide6.QtMultimediaWidgets", "PySide6.QtCharts", "PySide6.QtDataVisualization",
    "PySide6.QtGraphs", "PySide6.QtBluetooth", "PySide6.QtDesigner", "PySide6.QtHelp",
    "PySide6.QtSql", "PySide6.QtTest", "PySide6.QtOpenGLWidgets",
    "PySide6.QtSensors", "PySide6.QtSerialBus", "PySide6.QtNfc", "PySide6.QtRemoteObjects",
    "PySide6.QtScxml", "PySide6.QtTextToSpeech", "PySide6.QtSpatialAudio", "PySide6.QtUiTools",
]

# Qt modules that must be in (the lead opens agreement PDFs; check-in reads the position;
# the day map is a QQuickWidget showing QtLocation's Map, fieldapp/ui/map; photo evidence
# comes from the laptop's camera through QtMultimedia, fieldapp/ui/field/camera.py). QtLocation
# has no Python use: it is listed so that its hook brings the library and the geoservices plugins.
QT_REQUIRED = ("PySide6.QtWidgets", "PySide6.QtSvg", "PySide6.QtPdf", "PySide6.QtPositioning",
               "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets", "PySide6.QtLocation",
               "PySide6.QtMultimedia")

# Qt libraries that only dropped plugins need.
QT_DROP_LIBS = {"VirtualKeyboard", "VirtualKeyboardQml", "EglFSDeviceIntegration", "EglFsKmsSupport"}

# The QML import tree (Qt/qml/<module>/...): PyInstaller's QtQml hook collects all of it
# (31 MB: Controls, Quick3D, the virtual keyboard ...). Kept: module folder -> the sub-folders
# kept with it ("" = the folder's own files). The map's QML imports QtQuick, QtLocation and
# QtPositioning; QtQuick's qmldir imports QtQml, whose qmldir imports QtQml.Models and
# QtQml.WorkerScript. The *.qmltypes files are for tools (qmllint, Qt Creator), not the engine.
QML_MODULES: dict[str, tuple[str, ...]] = {
    "QtQml": ("", "Models", "WorkerScript"),
    "QtQuick": ("",),
    "QtLocation": ("",),
    "QtPositioning": ("",),
}
# plugin folder -> None (drop the folder) or the plugin name fragments to keep in it.
QT_PLUGINS: dict[str, tuple[str, ...] | None] = {
    "platforms": ("offscreen", "xcb", "wayland", "windows", "cocoa"),
    "platforminputcontexts": ("compose", "ibus"),
    # The GTK3 theme would load the system's GTK next to the bundled cairo/pango: the
    # desktop portal theme gives native dialogs without mixing two GTK stacks.
    "platformthemes": ("xdgdesktopportal",),
    "imageformats": ("svg", "ico", "jpeg", "gif", "pdf", "icns"),
    # the map reads the institution's tile server through the OSM plugin only
    "geoservices": ("osm",),
    # the camera: Qt's FFmpeg media backend (the only one PySide6's wheels ship)
    "multimedia": ("ffmpeg",),
    "qmltooling": None,   # QML debugger and profiler
    "qmllint": None,
    "egldeviceintegrations": None,
    "generic": None,
    "networkinformation": None,
    "tls": None,
}
QT_LANGUAGES = ("en", "zh_CN")
# jieba's models for its paddle mode, keyword extraction and part-of-speech tagging (23 MB):
# the notes check only segments (fieldapp.conduct.text), with dict.txt and finalseg's HMM.
JIEBA_UNUSED = ("lac_small", "analyse", "posseg")

_QT_LIB = re.compile(r"^(?:lib)?Qt6?(?P<name>[A-Za-z]+)$")
_TRANSLATION = re.compile(r"^(?P<domain>[a-z_]+?)_(?P<lang>[a-z]{2}(?:_[A-Z]{2})?)\.qm$")


def desktop_module(name: str) -> bool:
    return not any(name == s or name.startswith(s + ".") for s in SERVER_ONLY)


def hidden_imports() -> list[str]:
    """Every desktop fieldapp module (imported by name at run time) and the lazily loaded
    third-party modules: keyring backends, holiday calendars, reportlab's barcode widgets
    (imported when a document build resets reportlab's settings), the Qt modules we need."""
    from PyInstaller.utils.hooks import collect_submodules

    hidden = [m for m in collect_submodules("fieldapp", filter=desktop_module) if desktop_module(m)]
    hidden += collect_submodules("keyring.backends")
    hidden += collect_submodules("holidays.countries") + collect_submodules("holidays.financial")
    hidden += collect_submodules("reportlab.graphics.barcode")
    hidden += ["holidays.countries", "holidays.financial", *QT_REQUIRED]
    return sorted(set(hidden))


def data_files(top: Path = TOP) -> list[tuple[str, str]]:
    """(source, destination folder) pairs: resources/, the store's migration scripts (as
    .py files, no caches), Qt's catalogs of the app's languages, reportlab's data (fonts,
    metrics), holidays' translations, jieba's dictionary and the package metadata that
    importlib.metadata reads."""
    from PyInstaller.utils.hooks import collect_data_files, copy_metadata

    datas = []
    for entry in sorted((top / "resources").iterdir()):
        if entry.is_dir():
            for path in sorted(entry.rglob("*")):
                # README screenshots are documentation, not something the app reads.
                if path.is_file() and "screenshots" not in path.relative_to(top / "resources").parts:
                    datas.append((str(path), str(path.parent.relative_to(top)).replace("\\", "/")))
        else:
            datas.append((str(entry), "resources"))
    migrations = top / "fieldapp" / "store" / "migrations"
    for script in sorted(migrations.rglob("*.py")):
        if "__pycache__" not in script.parts:
            datas.append((str(script), str(script.parent.relative_to(top)).replace("\\", "/")))
    datas += qt_translation_files()
    datas += collect_data_files("reportlab")
    datas += collect_data_files("holidays")
    # jieba's dictionary (dict.txt) and HMM tables, read at first use (its hook collects the
    # rest too, which `trim` takes out again: see JIEBA_UNUSED)
    datas += collect_data_files("jieba", excludes=list(JIEBA_UNUSED))
    datas += copy_metadata("fieldapp")
    return datas


def qt_translation_files() -> list[tuple[str, str]]:
    """Qt's own catalogs for the app's languages (qtbase_zh_CN.qm...: calendar popups,
    standard buttons and text menus in Chinese), wherever PySide6 keeps them, listed
    explicitly so the bundle has them whatever PyInstaller's hooks collect."""
    import PySide6

    package = Path(PySide6.__file__).resolve().parent
    out = []
    for folder in (package / "Qt" / "translations", package / "translations"):
        for path in sorted(folder.glob("*.qm")) if folder.is_dir() else ():
            match = _TRANSLATION.match(path.name)
            if match and match.group("lang") in QT_LANGUAGES and match.group("domain") in ("qt", "qtbase"):
                out.append((str(path), str(path.parent.relative_to(package.parent)).replace("\\", "/")))
    return out


def _parts(dest: str) -> tuple[str, ...]:
    return PurePosixPath(dest.replace("\\", "/")).parts


def qt_library(dest: str) -> str | None:
    """'PySide6/Qt/lib/libQt6Quick.so.6' -> 'Quick' (also Qt6Quick.dll, QtQuick.framework)."""
    for part in reversed(_parts(dest)):
        match = _QT_LIB.match(part.split(".", 1)[0])
        if match:
            return match.group("name")
    return None


def keep_qt_file(dest: str) -> bool:
    """False for a collected file that the desktop app never loads (see module docstring)."""
    if qt_library(dest) in QT_DROP_LIBS:
        return False
    parts = _parts(dest)
    if not parts or parts[0] != "PySide6":
        return True
    name = parts[-1]
    if "qml" in parts:
        return keep_qml_file(parts[parts.index("qml") + 1:])
    if "plugins" in parts:
        i = parts.index("plugins")
        folder = parts[i + 1] if len(parts) > i + 2 else ""
        keep = QT_PLUGINS.get(folder, ())
        if folder in QT_PLUGINS:
            return keep is not None and any(k in name for k in keep)
        return True
    if "translations" in parts and name.endswith(".qm"):
        match = _TRANSLATION.match(name)
        return bool(match) and match.group("lang") in QT_LANGUAGES and match.group("domain") != "qt_help"
    return True


def keep_qml_file(rel: tuple[str, ...]) -> bool:
    """`rel`: a path inside Qt/qml. True for the runtime files of a module in QML_MODULES."""
    if len(rel) < 2 or rel[-1].endswith(".qmltypes"):
        return False
    keep = QML_MODULES.get(rel[0])
    return keep is not None and "/".join(rel[1:-1]) in keep


def keep_file(dest: str) -> bool:
    """False for a collected file the desktop app never loads: Qt's (`keep_qt_file`) and
    jieba's unused models."""
    parts = _parts(dest)
    if len(parts) > 2 and parts[0] == "jieba" and parts[1] in JIEBA_UNUSED:
        return False
    return keep_qt_file(dest)


def trim(toc: list) -> list:
    """A PyInstaller TOC (dest, source, kind) without the files we do not ship."""
    return [entry for entry in toc if keep_file(entry[0])]


def elf_needed(path: str) -> list[str]:
    """The DT_NEEDED names of an ELF file (readelf ships with binutils, which PyInstaller
    needs on Linux anyway); [] for anything else."""
    try:
        out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def prune_orphans(kept: list, dropped: Iterable, needed: Callable[[str], list[str]] = elf_needed) -> list:
    """`kept` without the libraries that only dropped files needed.

    A library goes when a dropped file needs it and no kept file does (checked until
    nothing changes); one that nothing needs at all was collected on purpose (ctypes,
    a hook) and stays. Entries are matched by file name, so PyInstaller's symlinks to a
    library go with it.
    """
    def name(entry) -> str:
        return PurePosixPath(entry[0].replace("\\", "/")).name

    cache: dict[str, list[str]] = {}

    def needs(entry) -> list[str]:
        if entry[1] not in cache:
            cache[entry[1]] = needed(entry[1]) if entry[1] else []
        return cache[entry[1]]

    gone = list(dropped)
    current = list(kept)
    while True:
        wanted = {lib for entry in current for lib in needs(entry)}
        orphans = {lib for entry in gone for lib in needs(entry)} - wanted
        removing = [e for e in current if name(e) in orphans]
        if not removing:
            return current
        gone += removing
        current = [e for e in current if name(e) not in orphans]


# Libraries that `strip` damages (FFmpeg's, as PySide6 ships them, come out of it with ELF
# segments the loader refuses: "load command address/offset not page-aligned"). They ship
# as they are: moved to the data files, which COLLECT copies without stripping.
UNSTRIPPABLE = re.compile(r"^(?:lib)?(?:avcodec|avformat|avutil|avfilter|avdevice|swresample|swscale)\b")


def unstrippable(binaries: list) -> tuple[list, list]:
    """(binaries to collect as usual, the same-destination DATA entries of the unstrippable)."""
    keep, whole = [], []
    for entry in binaries:
        if UNSTRIPPABLE.match(PurePosixPath(entry[0].replace("\\", "/")).name):
            whole.append((entry[0], entry[1], "DATA"))
        else:
            keep.append(entry)
    return keep, whole


def trim_binaries(binaries: list) -> list:
    """Qt trimming, then (on Linux, with readelf) the libraries left without a user."""
    kept = trim(binaries)
    if not shutil.which("readelf") or not any(".so" in PurePosixPath(e[0]).name for e in kept):
        return kept
    dropped = [e for e in binaries if not keep_file(e[0])]
    return prune_orphans(kept, dropped)
