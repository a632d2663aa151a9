"""The spec, its bundle plan and the build script are sane, checked without building:
no __init__.py in packaging/, resources and migrations listed, the server left out, the
Qt trimming keeps what the app loads, and the frozen entry point answers for the server."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
PACKAGING = TOP / "packaging"


def _load(name: str, path: Path):
    if name in sys.modules:
        return sys.modules[name]
    sys.path.insert(0, str(PACKAGING))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # the spec file imports it by this name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def plan():
    return _load("fieldapp_bundle", PACKAGING / "fieldapp_bundle.py")


@pytest.fixture(scope="module")
def build():
    return _load("fieldapp_build_script", PACKAGING / "build.py")


def test_packaging_holds_no_python_package_marker():
    assert list(PACKAGING.rglob("__init__.py")) == []


def test_the_server_stays_out_of_the_desktop_bundle(plan):
    for name in ("fieldapp.server", "fieldapp.commands.server", "fieldapp.commands.demo",
                 "fastapi", "uvicorn", "psycopg"):
        assert name in plan.EXCLUDES
    assert not plan.desktop_module("fieldapp.server.routers.sync")
    assert not plan.desktop_module("fieldapp.commands.demo")
    assert plan.desktop_module("fieldapp.commands.selftest")
    assert plan.desktop_module("fieldapp.serverless")  # a prefix match is not a module match
    for needed in plan.QT_REQUIRED:
        assert needed not in plan.EXCLUDES


def test_data_files_carry_resources_and_the_store_migrations(plan):
    datas = plan.data_files(TOP)
    shipped = {Path(src) for src, dest in datas if dest.startswith("resources")}
    for folder in ("policies", "scripts", "fonts", "translations", "icons"):
        wanted = {p for p in (TOP / "resources" / folder).rglob("*") if p.is_file()}
        assert wanted and wanted <= shipped, folder
    assert TOP / "resources" / "demo" / "terms_example.json" in shipped
    assert not any("screenshots" in p.parts for p in shipped)  # README pictures stay out
    assert all(dest == str(Path(src).parent.relative_to(TOP)).replace("\\", "/")
               for src, dest in datas if dest.startswith("resources"))
    migrations = [(Path(src), dest) for src, dest in datas if "migrations" in src]
    assert migrations and all(dest.startswith("fieldapp/store/migrations") for _, dest in migrations)
    names = {src.name for src, _ in migrations}
    assert "env.py" in names and any(n.startswith("0001") for n in names)
    assert not any("__pycache__" in str(src) or "server" in str(src) for src, _ in migrations)
    dests = {dest for _, dest in datas}
    assert any(d.startswith("reportlab") for d in dests) and any(d.startswith("holidays") for d in dests)
    import jieba as jieba_package

    site = Path(jieba_package.__file__).resolve().parent.parent
    jieba = {Path(src).resolve().relative_to(site).as_posix() for src, dest in datas if dest.startswith("jieba")}
    # the segmenter reads its dictionary and HMM tables as files; paddle, analyse, posseg stay out
    assert {"jieba/dict.txt", "jieba/finalseg/prob_emit.p"} <= jieba
    assert not [f for f in jieba if f.split("/")[1] in plan.JIEBA_UNUSED]
    assert any(dest.startswith("fieldapp") and dest.endswith((".dist-info", ".egg-info")) for _, dest in datas)


def test_qts_chinese_catalogs_are_listed_and_kept(plan):
    """The calendar popup, standard buttons and text menus speak Chinese in the bundle too."""
    listed = {Path(src).name: dest for src, dest in plan.data_files(TOP) if src.endswith(".qm")}
    assert "qtbase_zh_CN.qm" in listed and listed["qtbase_zh_CN.qm"].startswith("PySide6/")
    assert all(plan.keep_qt_file(f"{dest}/{name}") for name, dest in listed.items())
    assert not any(name.startswith("qt_help") or "_de" in name for name in listed)


def test_hidden_imports_list_every_lazily_loaded_module(plan):
    hidden = set(plan.hidden_imports())
    for name in ("fieldapp.commands.check", "fieldapp.commands.agreement", "fieldapp.commands.selftest",
                 "fieldapp.commands.gui", "fieldapp.commands.sync", "fieldapp.store.models",
                 "keyring.backends.SecretService", "keyring.backends.Windows",
                 "holidays.countries.china", "reportlab.graphics.barcode.code128",
                 "PySide6.QtPdf", "PySide6.QtPositioning", "PySide6.QtQuickWidgets", "PySide6.QtLocation"):
        assert name in hidden, name
    assert not [m for m in hidden if m.startswith("fieldapp.server")]


@pytest.mark.parametrize("dest,keep", [
    ("PySide6/Qt/lib/libQt6Gui.so.6", True),
    ("PySide6/Qt/lib/libQt6Pdf.so.6", True),
    ("PySide6/Qt/lib/libQt6Positioning.so.6", True),
    ("PySide6/Qt/lib/libQt6WaylandClient.so.6", True),  # the "d" is not a debug suffix
    ("PySide6/Qt/lib/libicudata.so.73", True),
    # the day map: Qt Quick, QML, QtLocation (fieldapp/ui/map)
    ("PySide6/Qt/lib/libQt6Quick.so.6", True),
    ("libQt6Qml.so.6", True),  # PyInstaller's top-level symlink
    ("PySide6\\Qt6QmlModels.dll", True),
    ("PySide6/Qt/lib/QtQuick.framework/Versions/A/QtQuick", True),
    ("PySide6/Qt/lib/libQt6Location.so.6", True),
    ("PySide6/Qt/lib/libQt6VirtualKeyboard.so.6", False),
    ("PySide6/Qt/lib/libQt6VirtualKeyboardQml.so.6", False),
    ("PySide6/Qt/plugins/geoservices/libqtgeoservices_osm.so", True),
    ("PySide6\\plugins\\geoservices\\qtgeoservices_osm.dll", True),
    ("PySide6/Qt/plugins/geoservices/libqtgeoservices_itemsoverlay.so", False),
    ("PySide6/Qt/plugins/qmltooling/libqmldbg_debugger.so", False),
    ("PySide6/Qt/qml/QtQuick/qmldir", True),
    ("PySide6/Qt/qml/QtQuick/libqtquick2plugin.so", True),
    ("PySide6\\qml\\QtQuick\\qtquick2plugin.dll", True),
    ("PySide6/Qt/qml/QtQuick/plugins.qmltypes", False),  # for tools, not the engine
    ("PySide6/Qt/qml/QtLocation/libdeclarative_locationplugin.so", True),
    ("PySide6/Qt/qml/QtLocation/MapView.qml", True),
    ("PySide6/Qt/qml/QtPositioning/libpositioningquickplugin.so", True),
    ("PySide6/Qt/qml/QtQml/qmldir", True),
    ("PySide6/Qt/qml/QtQml/Models/qmldir", True),
    ("PySide6/Qt/qml/QtQml/WorkerScript/qmldir", True),
    ("PySide6/Qt/qml/QtQml/XmlListModel/qmldir", False),
    ("PySide6/Qt/qml/QtQuick/Controls/qmldir", False),
    ("PySide6/Qt/qml/QtQuick/Controls/Basic/Button.qml", False),
    ("PySide6/Qt/qml/QtQuick/VirtualKeyboard/qmldir", False),
    ("PySide6/Qt/qml/QtQuick3D/qmldir", False),
    ("PySide6/Qt/qml/QtCharts/qmldir", False),
    ("PySide6/Qt/qml/builtins.qmltypes", False),
    ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
    ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
    ("PySide6\\plugins\\platforms\\qwindows.dll", True),
    ("PySide6/Qt/plugins/platforms/libqcocoa.dylib", True),
    ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
    ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),
    ("PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so", True),
    ("PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so", False),
    ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
    ("PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", True),
    ("PySide6/Qt/plugins/position/libqtposition_nmea.so", True),
    ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", True),
    ("PySide6/Qt/plugins/imageformats/libqsvg.so", True),
    ("PySide6/Qt/plugins/imageformats/libqtiff.so", False),
    ("PySide6/Qt/plugins/tls/libqopensslbackend.so", False),
    ("PySide6/Qt/translations/qtbase_zh_CN.qm", True),
    ("PySide6/Qt/translations/qt_en.qm", True),
    ("PySide6/Qt/translations/qt_de.qm", False),
    ("PySide6/Qt/translations/qt_help_zh_CN.qm", False),
    ("PySide6/Qt/translations/qt_he.qm", False),
    ("resources/policies/cn.toml", True),
    ("libcrypto.so.3", True),
    ("jieba/dict.txt", True),
    ("jieba/finalseg/prob_emit.p", True),
    ("jieba/lac_small/model_baseline/word_emb", False),  # paddle mode
    ("jieba/analyse/idf.txt", False),
    ("jieba/posseg/prob_emit.p", False),
])
def test_qt_trimming(plan, dest, keep):
    assert plan.keep_file(dest) is keep


def test_the_map_qml_and_what_its_imports_import_are_kept(plan):
    """Every module the day map's QML imports, and (through the installed qmldir files) every
    module those import or depend on, is in the bundle's QML tree."""
    import re

    import PySide6

    from fieldapp.ui.map.qml import MAP_QML

    qml_root = Path(PySide6.__file__).resolve().parent / "Qt" / "qml"
    todo = re.findall(r"^import (\S+)", MAP_QML, flags=re.M)
    assert todo == ["QtQuick", "QtLocation", "QtPositioning"]
    seen = set()
    while todo:
        module = todo.pop()
        if module in seen or module == "QML":  # QML: the engine's built-in types
            continue
        seen.add(module)
        folder = module.split(".")
        assert plan.keep_qml_file((*folder, "qmldir")), module
        qmldir = qml_root.joinpath(*folder, "qmldir").read_text(encoding="utf-8")
        todo += re.findall(r"^(?:import|depends)\s+(\S+)", qmldir, flags=re.M)
    assert {"QtQml", "QtQml.Models", "QtQml.WorkerScript"} <= seen


def test_libraries_only_dropped_plugins_needed_go_with_them(plan):
    needs = {"gtk3.so": ["libcairo.so.2", "libQt6Gui.so.6"], "libcairo.so.2": ["libpixman-1.so.0"],
             "gui.so": ["libQt6Gui.so.6", "libpng16.so.16"], "libpixman-1.so.0": [],
             "libpng16.so.16": [], "libQt6Gui.so.6": ["libpng16.so.16"], "ctypes.so": []}
    entry = {name: (f"x/{name}", name, "BINARY") for name in needs}
    kept = [entry[n] for n in ("libcairo.so.2", "libpixman-1.so.0", "gui.so", "libpng16.so.16",
                               "libQt6Gui.so.6", "ctypes.so")]
    kept.append(("libcairo.so.2", "x/libcairo.so.2", "SYMLINK"))
    result = plan.prune_orphans(kept, [entry["gtk3.so"]], needed=lambda src: needs.get(src, []))
    assert sorted(e[0] for e in result) == ["x/ctypes.so", "x/gui.so", "x/libQt6Gui.so.6", "x/libpng16.so.16"]


class _Recorder:
    """Stands in for PyInstaller's build classes while the spec file is executed."""

    calls: list = []

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.binaries = [("PySide6/Qt/lib/libQt6VirtualKeyboard.so.6", "", "BINARY"),
                         ("PySide6/Qt/lib/libQt6Core.so.6", "", "BINARY")]
        self.datas = [("PySide6/Qt/translations/qt_fr.qm", "", "DATA"), ("resources", "", "DATA"),
                      ("jieba/lac_small/word.dic", "", "DATA")]
        self.pure, self.scripts = [], []
        _Recorder.calls.append((type(self).__name__, self))


def test_the_spec_wires_the_plan_into_pyinstaller(plan, monkeypatch):
    monkeypatch.setattr(plan, "hidden_imports", lambda: ["fieldapp.commands.check"])
    monkeypatch.setattr(plan, "trim_binaries", plan.trim)  # no readelf on fake entries
    kinds = {n: type(n, (_Recorder,), {}) for n in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")}
    _Recorder.calls = []
    namespace = {"SPECPATH": str(PACKAGING), "__file__": str(PACKAGING / "fieldapp.spec"), **kinds}
    exec(compile((PACKAGING / "fieldapp.spec").read_text(), "fieldapp.spec", "exec"), namespace)
    made = {name: obj for name, obj in _Recorder.calls}
    analysis = made["Analysis"]
    assert analysis.args[0] == [str(PACKAGING / "entry.py")]
    assert ("fieldapp.server" in analysis.kwargs["excludes"]
            and (str(TOP / "resources" / "policies" / "cn.toml"), "resources/policies")
            in analysis.kwargs["datas"])
    assert [b[0] for b in analysis.binaries] == ["PySide6/Qt/lib/libQt6Core.so.6"]
    assert [d[0] for d in analysis.datas] == ["resources"]
    exe = made["EXE"]
    assert exe.kwargs["name"] == "fieldapp" and exe.kwargs["console"] is True
    assert made["COLLECT"].kwargs["name"] == "fieldapp"


def test_build_script_helpers(build, tmp_path, monkeypatch):
    assert build.check_prerequisites() == []  # the dev install has the positioning extra
    text = build.windows_version_file("1.2.3", tmp_path / "v.txt").read_text()
    ast.parse(text)  # PyInstaller evaluates it as Python
    assert "filevers=(1, 2, 3, 0)" in text and "'ProductVersion', '1.2.3'" in text
    monkeypatch.setenv("FIELDAPP_RESOURCES", str(TOP / "resources"))
    monkeypatch.setenv("PYTHONPATH", str(TOP))
    env = build.clean_env(tmp_path)
    assert "FIELDAPP_RESOURCES" not in env and "PYTHONPATH" not in env
    assert env["FIELDAPP_HOME"] == str(tmp_path) and env["QT_QPA_PLATFORM"] == "offscreen"
    assert env["PYTHON_KEYRING_BACKEND"] == "keyring.backends.fail.Keyring"
    assert build._group(Path("PySide6/Qt/plugins/platforms/libqxcb.so")) == "Qt plugins"
    assert build._group(Path("cryptography/hazmat/bindings/_rust.abi3.so")) == "cryptography"
    assert build._group(Path("pillow.libs/libjpeg.so.62")) == "pillow"


def test_the_version_comes_from_the_package_metadata(build):
    from fieldapp import __version__

    assert build.version() == __version__


def test_frozen_entry_answers_for_the_server_commands_in_one_line():
    for command in (["server", "run"], ["-v", "demo"]):
        done = subprocess.run([sys.executable, str(PACKAGING / "entry.py"), *command],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and "not part of the desktop app" in done.stderr
    done = subprocess.run([sys.executable, str(PACKAGING / "entry.py"), "--version"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("fieldapp ")


def test_windows_installer_ships_the_bundle_and_checks_it(build):
    iss = (PACKAGING / "windows" / "fieldapp.iss").read_text(encoding="utf-8")
    assert 'Source: "..\\..\\dist\\fieldapp\\*"' in iss
    assert "fieldapp-gui.exe" in iss and 'Parameters: "self-test"' in iss
    assert "ChineseSimplified.isl" in iss


def test_ffmpegs_libraries_ship_unstripped_and_the_camera_is_in(plan):
    """strip leaves FFmpeg's libraries unloadable (not page-aligned ELF segments): they go to
    the data files, same destination, so COLLECT copies them untouched; the rest is stripped."""
    binaries = [("PySide6/Qt/lib/libavcodec.so.61", "/site/libavcodec.so.61", "BINARY"),
                ("PySide6/Qt/lib/libswscale.so.8", "/site/libswscale.so.8", "BINARY"),
                ("PySide6/Qt/lib/libQt6Multimedia.so.6", "/site/libQt6Multimedia.so.6", "BINARY"),
                ("libavahi-client.so.3", "/usr/lib/libavahi-client.so.3", "BINARY")]
    keep, whole = plan.unstrippable(binaries)
    assert [e[0] for e in keep] == ["PySide6/Qt/lib/libQt6Multimedia.so.6", "libavahi-client.so.3"]
    assert whole == [("PySide6/Qt/lib/libavcodec.so.61", "/site/libavcodec.so.61", "DATA"),
                     ("PySide6/Qt/lib/libswscale.so.8", "/site/libswscale.so.8", "DATA")]
    assert "PySide6.QtMultimedia" in plan.QT_REQUIRED and "PySide6.QtMultimedia" not in plan.EXCLUDES
    assert plan.keep_file("PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so")
    spec = (Path(plan.__file__).parent / "fieldapp.spec").read_text(encoding="utf-8")
    assert "plan.unstrippable(a.binaries)" in spec and "+ whole" in spec
