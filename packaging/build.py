"""Build the one-folder desktop bundle into dist/fieldapp/ (run as a file, not a module).

    python packaging/build.py              # bundle (+ the .tar.gz on Linux)
    python packaging/build.py --smoke      # ... then self-test and GUI start from a temp folder
    python packaging/build.py --appimage   # ... and dist/fieldapp.AppDir (+ AppImage if
                                           #     appimagetool is on PATH; see packaging/README.md)
    python packaging/build.py --no-build --smoke   # check an existing dist/fieldapp again

Version information comes from the package metadata; the application icon is rendered
from resources/icons/fieldapp.svg at build time (never committed). Prints the bundle size,
what dominates it, and checks that every Qt library a shipped plugin needs is shipped.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fieldapp_bundle as plan  # noqa: E402

TOP = plan.TOP
DIST = TOP / "dist"
BUILD = TOP / "build"
# 250 MB before the day map (Qt Quick, Qt Location: 7 MB after trimming jieba) and the camera
# (QtMultimedia with FFmpeg and the audio libraries it links: 27 MB) came in.
SIZE_TARGET_MB = 280
EXE_NAME = "fieldapp.exe" if sys.platform == "win32" else "fieldapp"

DESKTOP_ENTRY = """[Desktop Entry]
Type=Application
Name=fieldapp
Comment=Announced, lawful home visits: cases, visit guide, agreements, sync
Comment[zh_CN]=合规上门访问：案件、访问指引、还款协议、同步
Exec=fieldapp
Icon=fieldapp
Terminal=false
Categories=Office;Finance;
X-AppImage-Version={version}
"""
APPRUN = """#!/bin/sh
# AppImage entry: run the bundled executable with the arguments given.
here="$(dirname "$(readlink -f "$0")")"
exec "$here/usr/lib/fieldapp/fieldapp" "$@"
"""


def version() -> str:
    try:
        return metadata.version("fieldapp")
    except metadata.PackageNotFoundError:
        import tomllib

        return tomllib.loads((TOP / "pyproject.toml").read_text())["project"]["version"]


def check_prerequisites() -> list[str]:
    """What the bundle needs that this Python lacks (PySide6-Addons, PyInstaller)."""
    missing = [m for m in (*plan.QT_REQUIRED, "PyInstaller") if importlib.util.find_spec(m) is None]
    return missing


def windows_version_file(ver: str, path: Path) -> Path:
    nums = [int(p) for p in ver.split(".")[:3] if p.isdigit()] + [0, 0, 0, 0]
    t = tuple(nums[:4])
    path.write_text(f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={t}, prodvers={t}, mask=0x3f, flags=0x0, OS=0x40004,
                    fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[StringFileInfo([StringTable('040904B0', [
      StringStruct('CompanyName', 'fieldapp'),
      StringStruct('FileDescription', 'fieldapp field visits'),
      StringStruct('FileVersion', '{ver}'),
      StringStruct('InternalName', 'fieldapp'),
      StringStruct('OriginalFilename', 'fieldapp.exe'),
      StringStruct('ProductName', 'fieldapp'),
      StringStruct('ProductVersion', '{ver}')])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])])
""", encoding="utf-8")
    return path


def render_icon(suffix: str, out_dir: Path, size: int = 256) -> Path | None:
    """resources/icons/fieldapp.svg -> fieldapp<suffix> (.png, .ico or .icns) through Qt."""
    svg = TOP / "resources" / "icons" / "fieldapp.svg"
    if not svg.exists():
        return None
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QGuiApplication, QIcon

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841
    out = out_dir / f"fieldapp{suffix}"
    ok = QIcon(str(svg)).pixmap(QSize(size, size)).save(str(out))
    return out if ok and out.exists() else None


def real_files(path: Path):
    for root, _dirs, files in os.walk(path):  # os.walk does not follow symlinked folders
        for name in files:
            f = Path(root) / name
            if not f.is_symlink():
                yield f


def _group(rel: Path) -> str:
    """What a bundled file belongs to, for the size report (`rel` is inside _internal)."""
    parts = rel.parts
    if parts[0] in (EXE_NAME, "fieldapp-gui.exe"):
        return "executable (bootloader + compiled Python code)"
    if parts[0] == "PySide6":
        if "plugins" in parts:
            return "Qt plugins"
        if "translations" in parts:
            return "Qt translations"
        if parts[-1].startswith(("libicu", "icu")):
            return "Qt ICU data (needed by QtCore)"
        return "Qt libraries + PySide6 bindings"
    if parts[0] == "resources":
        return "resources (CJK font 5 MB)"
    if parts[0].startswith(("libpython", "python3", "base_library")):
        return "Python runtime"
    if len(parts) == 1:
        return "other shared libraries" if ".so" in parts[0] or parts[0].endswith((".dll", ".dylib")) else "other"
    return re.sub(r"(\.libs|-[\d.]+\.dist-info)$", "", parts[0])


def report(bundle: Path) -> float:
    sizes = [(f.stat().st_size, f.relative_to(bundle)) for f in real_files(bundle)]
    total = sum(s for s, _ in sizes) / 1e6
    verdict = "within" if total <= SIZE_TARGET_MB else "OVER"
    print(f"build: bundle {bundle}: {total:.1f} MB in {len(sizes)} files "
          f"({verdict} the {SIZE_TARGET_MB} MB target)")
    groups: dict[str, int] = defaultdict(int)
    for size, rel in sizes:
        inner = rel.relative_to("_internal") if rel.parts[0] == "_internal" and len(rel.parts) > 1 else rel
        groups[_group(inner)] += size
    for name, size in sorted(groups.items(), key=lambda kv: -kv[1])[:12]:
        print(f"build:   {size / 1e6:7.1f} MB  {name}")
    print("build: largest files:")
    for size, rel in sorted(sizes, reverse=True)[:8]:
        print(f"build:   {size / 1e6:7.1f} MB  {rel}")
    return total


def missing_qt_libraries(bundle: Path) -> list[str]:
    """Linux: every libQt6*/libicu* that a shipped ELF file needs must be shipped too."""
    if not sys.platform.startswith("linux") or shutil.which("readelf") is None:
        return []
    names = {p.name for p in bundle.rglob("*")}
    problems = []
    for f in real_files(bundle):
        if f.suffix == ".so" or ".so." in f.name:
            for need in plan.elf_needed(str(f)):
                if need.startswith(("libQt6", "libicu")) and need not in names:
                    problems.append(f"{f.relative_to(bundle)} needs {need}")
    return problems


def archive(bundle: Path, ver: str, icon: Path | None) -> Path:
    """dist/fieldapp-<ver>-linux-<arch>.tar.gz: the bundle plus a .desktop file and icon."""
    target = DIST / f"fieldapp-{ver}-linux-{platform.machine()}.tar.gz"
    desktop = BUILD / "fieldapp.desktop"
    desktop.write_text(DESKTOP_ENTRY.format(version=ver), encoding="utf-8")
    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=f"fieldapp-{ver}")
        tar.add(desktop, arcname=f"fieldapp-{ver}/share/fieldapp.desktop")
        if icon:
            tar.add(icon, arcname=f"fieldapp-{ver}/share/fieldapp.png")
    print(f"build: archive {target} ({target.stat().st_size / 1e6:.1f} MB)")
    return target


def appdir(bundle: Path, ver: str, icon: Path | None) -> int:
    """dist/fieldapp.AppDir, then the AppImage when appimagetool is available (exit code
    3 when it is not: the AppDir is there, the AppImage is not)."""
    target = DIST / "fieldapp.AppDir"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(bundle, target / "usr" / "lib" / "fieldapp", symlinks=True)
    (target / "AppRun").write_text(APPRUN, encoding="utf-8")
    (target / "AppRun").chmod(0o755)
    (target / "fieldapp.desktop").write_text(DESKTOP_ENTRY.format(version=ver), encoding="utf-8")
    if icon:
        shutil.copy(icon, target / "fieldapp.png")
        (target / ".DirIcon").symlink_to("fieldapp.png")
    print(f"build: AppDir {target}")
    tool = os.environ.get("APPIMAGETOOL") or shutil.which("appimagetool")
    if not tool:
        print("build: appimagetool not found (not in Debian or PyPI; see packaging/README.md): "
              "the AppImage is not built", file=sys.stderr)
        return 3
    out = DIST / f"fieldapp-{ver}-{platform.machine()}.AppImage"
    env = dict(os.environ, ARCH=platform.machine(), VERSION=ver)
    rc = subprocess.call([tool, "--no-appstream", str(target), str(out)], env=env)
    if rc == 0:
        print(f"build: AppImage {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return rc


def clean_env(home: Path) -> dict[str, str]:
    """The environment of a user who has never run fieldapp: nothing from this checkout."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FIELDAPP_", "PYTHON", "VIRTUAL_ENV", "QT_"))}
    env.update(QT_QPA_PLATFORM="offscreen", FIELDAPP_HOME=str(home), HOME=str(home),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return env


def smoke(bundle: Path) -> int:
    """Copy the bundle outside the checkout; run its self-test, then start the GUI."""
    with tempfile.TemporaryDirectory(prefix="fieldapp-smoke-") as tmp:
        copy = Path(tmp) / "fieldapp"
        shutil.copytree(bundle, copy, symlinks=True)
        env = clean_env(Path(tmp) / "home")
        exe = str(copy / EXE_NAME)
        start = time.perf_counter()
        rc = subprocess.call([exe, "self-test"], cwd=tmp, env=env)
        print(f"build: frozen self-test exit {rc} in {time.perf_counter() - start:.2f} s")
        if rc:
            return rc
        env["FIELDAPP_STORE_PASSPHRASE"] = "smoke-test-passphrase"
        start = time.perf_counter()
        gui = subprocess.run([exe, "--quit-after", "0.001"], cwd=tmp, env=env,
                             capture_output=True, text=True, timeout=120)
        print(f"build: frozen GUI started, showed its window and quit (exit {gui.returncode}) "
              f"in {time.perf_counter() - start:.2f} s")
        if gui.returncode:
            print(gui.stderr.strip()[-2000:], file=sys.stderr)
        return gui.returncode


def run_pyinstaller(ver: str) -> int:
    env = dict(os.environ, FIELDAPP_VERSION=ver)
    if sys.platform == "win32":
        env["FIELDAPP_VERSION_FILE"] = str(windows_version_file(ver, BUILD / "version_info.txt"))
        icon = render_icon(".ico", BUILD)
    else:
        icon = render_icon(".icns", BUILD) if sys.platform == "darwin" else None
    if icon:
        env["FIELDAPP_ICON"] = str(icon)
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(DIST), "--workpath", str(BUILD / "pyinstaller"),
           str(TOP / "packaging" / "fieldapp.spec")]
    rc = subprocess.call(cmd, cwd=TOP, env=env)
    if rc:
        print(f"build: PyInstaller failed with exit code {rc}", file=sys.stderr)
    else:
        print(f"build: fieldapp {ver} built in {time.perf_counter() - start:.0f} s")
    return rc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="run the bundle's self-test and start its GUI from a temporary folder")
    parser.add_argument("--no-archive", action="store_true", help="skip the Linux .tar.gz")
    parser.add_argument("--no-build", action="store_true",
                        help="skip PyInstaller: report on, package and smoke-test the existing dist/fieldapp")
    parser.add_argument("--appimage", action="store_true",
                        help="Linux: also make dist/fieldapp.AppDir and, with appimagetool, the AppImage")
    args = parser.parse_args()

    missing = check_prerequisites()
    if missing:
        print(f"build: missing {', '.join(missing)}: pip install -e '.[dev]'", file=sys.stderr)
        return 2
    ver = version()
    BUILD.mkdir(exist_ok=True)
    png = render_icon(".png", BUILD)
    bundle = DIST / "fieldapp"
    if args.no_build:
        if not (bundle / EXE_NAME).is_file():
            print(f"build: no bundle at {bundle} (run without --no-build first)", file=sys.stderr)
            return 2
    else:
        rc = run_pyinstaller(ver)
        if rc:
            return rc
    report(bundle)
    problems = missing_qt_libraries(bundle)
    if problems:
        print("build: shipped files need Qt libraries that were trimmed:\n  " + "\n  ".join(problems),
              file=sys.stderr)
        return 1
    appimage_rc = 0
    if sys.platform.startswith("linux"):
        if not args.no_archive:
            archive(bundle, ver, png)
        if args.appimage:
            appimage_rc = appdir(bundle, ver, png)
    smoke_rc = smoke(bundle) if args.smoke else 0
    return smoke_rc or appimage_rc


if __name__ == "__main__":
    sys.exit(main())
