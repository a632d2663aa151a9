"""Build the one-folder desktop bundle into dist/fieldapp/ (run as a file, not a module).

    python packaging/build.py              # bundle + Linux archive (on Linux)
    python packaging/build.py --smoke      # ... then run its self-test from a temporary folder

Version information comes from the package metadata; the application icon from
resources/icons/ (converted to .ico/.icns-ready PNG at build time, never committed).
Prints the bundle size and what dominates it.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from importlib import metadata
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
DIST = TOP / "dist"
BUILD = TOP / "build"


def version() -> str:
    try:
        return metadata.version("fieldapp")
    except metadata.PackageNotFoundError:
        import tomllib

        return tomllib.loads((TOP / "pyproject.toml").read_text())["project"]["version"]


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
      StringStruct('ProductName', 'fieldapp'),
      StringStruct('ProductVersion', '{ver}')])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])])
""", encoding="utf-8")
    return path


def make_icon(work: Path) -> Path | None:
    """Render resources/icons/fieldapp.svg to an .ico (Windows) or .png with Qt's own SVG support."""
    svg = TOP / "resources" / "icons" / "fieldapp.svg"
    if not svg.exists():
        return None
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QGuiApplication, QIcon

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841
    suffix = ".ico" if sys.platform == "win32" else ".png"
    out = work / f"fieldapp{suffix}"
    QIcon(str(svg)).pixmap(QSize(256, 256)).save(str(out))
    return out if out.exists() else None


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def report(bundle: Path) -> None:
    total = du(bundle)
    print(f"build: bundle {bundle} is {total / 1e6:.1f} MB")
    internal = bundle / "_internal"
    sizes = []
    for child in internal.rglob("*"):
        if child.is_file() and child.stat().st_size > 2_000_000:
            sizes.append((child.stat().st_size, child.relative_to(bundle)))
    for size, rel in sorted(sizes, reverse=True)[:12]:
        print(f"build:   {size / 1e6:7.1f} MB  {rel}")


def smoke(bundle: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "fieldapp"
        shutil.copytree(bundle, copy, symlinks=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDAPP_")}
        env["QT_QPA_PLATFORM"] = "offscreen"
        env["FIELDAPP_HOME"] = str(Path(tmp) / "home")
        exe = copy / ("fieldapp.exe" if sys.platform == "win32" else "fieldapp")
        start = time.perf_counter()
        rc = subprocess.call([str(exe), "self-test"], cwd=tmp, env=env)
        print(f"build: frozen self-test exit {rc} in {time.perf_counter() - start:.2f} s")
        return rc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="run the bundle's self-test afterwards")
    parser.add_argument("--no-archive", action="store_true", help="skip the .tar.gz")
    args = parser.parse_args()

    ver = version()
    BUILD.mkdir(exist_ok=True)
    env = os.environ.copy()
    if sys.platform == "win32":
        env["FIELDAPP_VERSION_FILE"] = str(windows_version_file(ver, BUILD / "version_info.txt"))
    icon = make_icon(BUILD)
    if icon:
        env["FIELDAPP_ICON"] = str(icon)
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(DIST), "--workpath", str(BUILD / "pyinstaller"),
           str(TOP / "packaging" / "fieldapp.spec")]
    rc = subprocess.call(cmd, cwd=TOP, env=env)
    if rc:
        print(f"build: PyInstaller failed with exit code {rc}", file=sys.stderr)
        return rc
    bundle = DIST / "fieldapp"
    print(f"build: fieldapp {ver} built in {time.perf_counter() - start:.0f} s")
    report(bundle)
    if sys.platform.startswith("linux") and not args.no_archive:
        archive = DIST / f"fieldapp-{ver}-linux-{platform.machine()}.tar.gz"
        with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
            tar.add(bundle, arcname=f"fieldapp-{ver}")
        print(f"build: archive {archive} ({archive.stat().st_size / 1e6:.1f} MB)")
    if args.smoke:
        return smoke(bundle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
