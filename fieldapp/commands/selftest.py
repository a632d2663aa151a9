"""`fieldapp self-test`: prove that this installation (a checkout, a wheel or the frozen
bundle) works end to end, without network, OS keyring or display.

Each step uses the real components on throw-away data in a temporary folder: the bundled
resources, the lazily imported subcommands, the keyring backends, a store opened and
migrated with a passphrase, a policy evaluation over a holiday calendar, the shipped
scripts, an agreement PDF with Chinese text rendered and verified, the main window drawn
offscreen (when there is no display), the PDF viewer engine, Qt Positioning and the day
map's QML (Qt Quick, QtLocation with the OSM plugin; no tile server is reached). Every
step prints ok or FAILED with its time, and a failed step does not stop the others; the
exit code is 0 only when every step passed. A frozen bundle is also checked to read
nothing from outside itself and to carry no server command.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from fieldapp.core.errors import BadInput

DESCRIPTION = "Check that this installation works end to end (exit 0 only when every step passes)."

# Order matters only for output; a step that needs another's product says so when it is missing.
STEPS = ("resources", "commands", "keyring", "store", "policy", "script", "documents",
         "window", "pdf_view", "positioning", "map", "camera")
# Not part of the desktop bundle (see packaging/fieldapp.spec).
SERVER_ONLY_COMMANDS = ("server", "demo", "tour")


@dataclass
class Work:
    """What the steps share: the temporary folder and what earlier steps produced."""

    root: Path
    passphrase: str
    store_path: Path = field(init=False)
    pdf: Path | None = None
    pdf_pages: int = 0
    app: Any = None

    def __post_init__(self) -> None:
        self.store_path = self.root / "client" / "store.sqlite3"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="work in DIR and keep what the steps wrote (store, PDF, pictures of the "
                             "window and the map)")
    parser.add_argument("--traceback", action="store_true", help="print the traceback of a failed step")


def frozen() -> bool:
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------------------- steps
def check_resources(work: Work) -> str:
    from fieldapp.core.i18n import load_catalog
    from fieldapp.core.resources import resources_root
    from fieldapp.store import db

    root = resources_root()
    need = ["fonts/wqy-microhei.ttc", "icons/fieldapp.svg", "demo/terms_example.json"]
    missing = [n for n in need if not (root / n).is_file()]
    policies = sorted(p.stem for p in (root / "policies").glob("*.toml"))
    scripts = sorted(p.stem for p in (root / "scripts").glob("*.yaml"))
    catalogs = sorted(p.stem for p in (root / "translations" / "zh_CN").glob("*.po"))
    if missing or not policies or not scripts or not catalogs:
        raise AssertionError(f"{root} lacks {missing or 'policies, scripts or zh_CN catalogs'}")
    if not load_catalog("zh_CN"):
        raise AssertionError("the zh_CN catalogs are empty")
    if frozen():
        bundle = Path(sys._MEIPASS)  # type: ignore[attr-defined]
        import fieldapp

        for what, path in (("resources", root), ("fieldapp package", Path(fieldapp.__file__)),
                           ("store migrations", db.MIGRATIONS)):
            if not _inside(path, bundle):
                raise AssertionError(f"{what} read from {path}, outside the bundle {bundle}")
    return (f"{root}: {len(policies)} policies, {len(scripts)} scripts, "
            f"zh_CN catalogs {', '.join(catalogs)}")


def check_commands(work: Work) -> str:
    """Every desktop subcommand imports by name, as fieldapp.cli does; server ones are
    absent from the frozen bundle and optional elsewhere."""
    import importlib

    from fieldapp.cli import COMMANDS

    loaded, absent = ["gui"], []
    importlib.import_module("fieldapp.commands.gui")
    for name, (module_name, _help) in COMMANDS.items():
        if name in SERVER_ONLY_COMMANDS:
            try:
                importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                absent.append(name)
                continue
            if frozen():
                raise AssertionError(f"the server command {name!r} is in the desktop bundle")
            loaded.append(name)
            continue
        module = importlib.import_module(module_name)
        if not (callable(getattr(module, "add_arguments", None)) and callable(getattr(module, "run", None))):
            raise AssertionError(f"{module_name} lacks add_arguments() or run()")
        loaded.append(name)
    note = f"; not installed: {', '.join(absent)}" if absent else ""
    return f"{len(loaded)} commands import ({', '.join(loaded)}){note}"


def check_keyring(work: Work) -> str:
    """The backends are bundled and discoverable; nothing is read from or written to them."""
    import importlib
    from importlib.metadata import entry_points

    import keyring.backend

    names = sorted(ep.name for ep in entry_points(group="keyring.backends"))
    if not names:
        raise AssertionError("no keyring backends registered (package metadata missing)")
    platform_backend = {"win32": "keyring.backends.Windows", "darwin": "keyring.backends.macOS"}.get(
        sys.platform, "keyring.backends.SecretService")
    importlib.import_module(platform_backend)
    viable = sorted({type(k).__module__.rsplit(".", 1)[-1] for k in keyring.backend.get_all_keyring()})
    return f"backends {', '.join(names)}; usable here: {', '.join(viable) or 'none'}"


@contextlib.contextmanager
def _no_keyring() -> Iterator[None]:
    """The store's keyring-less path, whatever keyring the machine has: nothing touches it."""
    import keyring
    import keyring.backends.fail

    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def check_store(work: Work) -> str:
    from fieldapp.store import Store, WrongPassphrase
    from fieldapp.store import db

    with _no_keyring():
        store = Store(work.store_path, passphrase=work.passphrase)
        try:
            revision = db.current_revision(store.engine)
            if revision != db.SCHEMA_HEAD or db.head_revision() != db.SCHEMA_HEAD:
                raise AssertionError(f"schema at {revision}, expected {db.SCHEMA_HEAD}")
            with store.write() as s:
                store.update_meta(s, user={"username": "self-test", "display_name": "自检"})
        finally:
            store.close()
        store = Store(work.store_path, passphrase=work.passphrase)
        try:
            meta = store.meta()
            if not meta.passphrase_mode or (meta.user or {}).get("display_name") != "自检":
                raise AssertionError("the sealed account did not survive a reopen")
            if not store.integrity_ok():
                raise AssertionError("SQLite integrity check failed")
        finally:
            store.close()
        try:
            Store(work.store_path, passphrase=work.passphrase + "x").close()
        except WrongPassphrase:
            pass
        else:
            raise AssertionError("a wrong passphrase opened the store")
    return f"schema {revision} by Alembic, sealed data reopened, wrong passphrase refused"


def _context(day: str) -> dict[str, Any]:
    start, end = f"{day}T10:00:00+08:00", f"{day}T11:00:00+08:00"
    return {"customer": {"timezone": "Asia/Shanghai", "region": "CN",
                         "location": {"lat": 32.0603, "lon": 118.7969}, "flags": []},
            "appointment": {"start": start, "end": end},
            "notifications": [{"channel": "sms", "sent_at": "2026-01-01T09:00:00+08:00",
                               "delivered_at": "2026-01-01T09:01:00+08:00"}],
            "visits": []}


def check_policy(work: Work) -> str:
    from fieldapp.policy import Context, evaluate, list_presets, load_policy

    policy = load_policy("cn-bank-home-visit")
    working = evaluate(Context.from_json(_context("2026-03-02"), where="self-test"), policy, lang="zh_CN")
    holiday = evaluate(Context.from_json(_context("2026-10-01"), where="self-test"), policy, lang="en")
    if not working.allowed:
        raise AssertionError(f"a working-day visit was blocked: {working.summary()}")
    failed = [r.category for r in holiday.results if r.blocks]
    if holiday.allowed or "holiday" not in failed:
        raise AssertionError(f"National Day (CN) was not recognised as a holiday: {holiday.summary()}")
    if not any("\u4e00" <= ch <= "\u9fff" for r in working.results for ch in r.message):
        raise AssertionError("the zh_CN rule sentences are not in Chinese")
    return f"{len(list_presets())} presets; cn-bank-home-visit: 2026-03-02 allowed, 2026-10-01 blocked (holiday)"


def check_script(work: Work) -> str:
    from fieldapp.script import list_shipped, load_script, validate

    shipped = list_shipped()
    if not shipped:
        raise AssertionError("no shipped conversation scripts")
    for item in shipped:
        problems = validate(load_script(item.path))
        if problems:
            raise AssertionError(f"{item.path.name}: {len(problems)} problem(s), first: {problems[0]}")
    return f"{len(shipped)} scripts valid ({', '.join(s.id for s in shipped)})"


def check_documents(work: Work) -> str:
    import io

    from pypdf import PdfReader

    from fieldapp.core.resources import resource_path
    from fieldapp.documents.agreement import build_agreement_pdf
    from fieldapp.documents.terms import parse_terms
    from fieldapp.core.timeutil import utcnow
    from fieldapp.documents.signing import sign_pdf
    from fieldapp.documents.verify import verify_pdf

    source = resource_path("demo", "terms_example.json")
    terms = parse_terms(json.loads(source.read_text(encoding="utf-8")), where=str(source),
                        base_dir=source.parent)
    root, signer = _throwaway_signer()
    pdf = sign_pdf(build_agreement_pdf(terms, "both", where=str(source)), signer, now=utcnow())
    result = verify_pdf(pdf, where="self-test agreement", trust=[root])
    if not result.intact:
        raise AssertionError(f"the fresh agreement does not verify: {result.problems[0]}")
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text() or ""
    if terms.customer.name not in text:
        raise AssertionError("the Chinese customer name cannot be read back from page 1")
    work.pdf = work.root / "agreement.pdf"
    work.pdf.write_bytes(pdf)
    work.pdf_pages = result.pages
    return f"{len(pdf) // 1024} KiB, {result.pages} page(s), signed and verified, Chinese text read back"


def _throwaway_signer():  # type: ignore[no-untyped-def]
    """A root and a signer made for this run only (PAdES signing and checking need both)."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from fieldapp.core.timeutil import utcnow
    from fieldapp.documents import authority, pki
    from fieldapp.documents.signing import DocumentSigner

    now = utcnow()
    root_key, root = authority.make_root("fieldapp self-test", now)
    key = pki.new_ec_key()
    cert = authority.issue_signer(root_key, root, key.public_key(), authority.Subject("self-test", "fieldapp"), now)
    crl = authority.make_crl(root_key, root, [], now, 1).public_bytes(Encoding.DER)
    return root, DocumentSigner(key, cert, (root,), (crl,))


def _qt_app() -> Any:
    from fieldapp.ui.display import headless_reason

    if headless_reason():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from fieldapp.ui.app import create_application

    return create_application()


def _not_blank(image: Any) -> bool:
    """More than two colours on a coarse grid: something was drawn, not an empty fill."""
    colours = {image.pixel(x, y) for x in range(0, image.width(), max(1, image.width() // 40))
               for y in range(0, image.height(), max(1, image.height() // 40))}
    return len(colours) > 2


def check_window(work: Work) -> str:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFontDatabase, QGuiApplication
    from PySide6.QtWidgets import QApplication

    from fieldapp.store import Store
    from fieldapp.sync.service import AgentService
    from fieldapp.ui.app import build_context
    from fieldapp.ui.screens.main_window import MainWindow
    from fieldapp.ui.settings import SettingsStore

    work.app = _qt_app()
    if "WenQuanYi Micro Hei" not in QFontDatabase.families():
        raise AssertionError("the shipped CJK font is not registered with Qt")
    if QGuiApplication.windowIcon().isNull():
        raise AssertionError("the application icon did not load")
    with _no_keyring():
        service = AgentService(Store(work.store_path, passphrase=work.passphrase))
    try:
        ctx = build_context(service, synchronous=True, language="zh_CN",
                            settings_store=SettingsStore(work.root / "ui-settings.json"))
        window = MainWindow(ctx)
        try:
            # Laid out and drawn as if shown, but never put on a real screen (the
            # installer runs this on the user's desktop).
            window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
            window.resize(900, 600)
            window.show()
            window.reload_cases()
            QApplication.processEvents()
            image = window.grab().toImage()
            if image.isNull() or not _not_blank(image):
                raise AssertionError("the main window drew nothing")
            image.save(str(work.root / "main-window.png"))
            size = f"{image.width()}x{image.height()}"
        finally:
            window.close()
            window.deleteLater()
            ctx.tasks.shutdown(wait=True)
    finally:
        service.close()
    return f"main window drawn ({size}, platform {QGuiApplication.platformName()})"


def check_pdf_view(work: Work) -> str:
    from PySide6.QtCore import QSize
    from PySide6.QtPdf import QPdfDocument

    if work.pdf is None:
        raise AssertionError("needs the agreement PDF of the documents step")
    work.app = work.app or _qt_app()
    doc = QPdfDocument(None)
    try:
        error = doc.load(str(work.pdf))
        if error != QPdfDocument.Error.None_ or doc.pageCount() != work.pdf_pages:
            raise AssertionError(f"QtPdf could not open the agreement ({error.name}, "
                                 f"{doc.pageCount()} of {work.pdf_pages} pages)")
        image = doc.render(0, QSize(420, 594))
        if image.isNull() or not _not_blank(image):
            raise AssertionError("QtPdf rendered an empty page")
    finally:
        doc.close()
    return f"QtPdf opened {work.pdf_pages} page(s) and rendered page 1"


def check_positioning(work: Work) -> str:
    from PySide6.QtPositioning import QGeoCoordinate, QGeoPositionInfoSource

    from fieldapp.geo.distance import exact_distance_m

    work.app = work.app or _qt_app()
    a, b = (32.0603, 118.7969), (32.0610, 118.7975)
    qt = QGeoCoordinate(*a).distanceTo(QGeoCoordinate(*b))
    exact = exact_distance_m(a, b)
    if not abs(qt - exact) <= 0.01 * exact:
        raise AssertionError(f"Qt distance {qt:.1f} m disagrees with geodesic {exact:.1f} m")
    sources = QGeoPositionInfoSource.availableSources()
    return f"QtPositioning loaded; position sources: {', '.join(sources) or 'none on this machine'}"


def check_map(work: Work) -> str:
    """The day map's own QML in a QQuickWidget, software-rendered as the app does it, against
    a tile server that is not there: Qt Quick, the QML modules it imports and QtLocation's OSM
    plugin load (the Map lists the plugin's map types), and the route is drawn."""
    from PySide6.QtCore import QObject, Qt, QUrl
    from PySide6.QtQml import QQmlExpression
    from PySide6.QtQuick import QQuickWindow, QSGRendererInterface
    from PySide6.QtQuickWidgets import QQuickWidget

    from fieldapp.ui.map.base import map_qml

    work.app = work.app or _qt_app()
    QQuickWindow.setGraphicsApi(QSGRendererInterface.GraphicsApi.Software)
    folder = work.root / "map"
    folder.mkdir(exist_ok=True)
    stops = [{"lat": 32.0603, "lon": 118.7969, "label": "1", "fence": 150.0},
             {"lat": 32.0650, "lon": 118.8030, "label": "2", "fence": 150.0}]
    qml = folder / "map.qml"
    # Port 9 on loopback: nothing answers there, so no tile is ever read.
    qml.write_text(map_qml("http://127.0.0.1:9/", folder / "tiles", folder / "cache", stops), encoding="utf-8")
    view = QQuickWidget()
    try:
        view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        view.setResizeMode(QQuickWidget.ResizeMode.SizeRootObjectToView)
        view.resize(480, 360)
        view.setSource(QUrl.fromLocalFile(str(qml)))
        if view.status() != QQuickWidget.Status.Ready or view.rootObject() is None:
            errors = "; ".join(e.toString() for e in view.errors()) or view.status().name
            raise AssertionError(f"the map's QML did not load: {errors}")
        root = view.rootObject()
        root.setProperty("stops", stops)
        qmap = root.findChild(QObject, "map")
        if qmap is None:
            raise AssertionError("the map's QML has no Map object")
        types = QQmlExpression(view.rootContext(), qmap, "supportedMapTypes.length").evaluate()
        types = types[0] if isinstance(types, tuple) else types
        if not types:
            raise AssertionError("the Map has no map type: QtLocation's OSM plugin did not load")
        view.show()
        work.app.processEvents()
        image = view.grab().toImage()
        if image.isNull() or not _not_blank(image):
            raise AssertionError("the map drew nothing")
        image.save(str(folder / "map.png"))
    finally:
        view.close()
        view.deleteLater()
    return f"Map loaded with the OSM plugin ({int(types)} map types), 2 stops drawn, no tile server"


def check_camera(work: Work) -> str:
    """The photo screen's camera path without a camera: a frame sent into a real
    QMediaCaptureSession (QVideoFrameInput, where a QCamera would be) reaches its video sink
    and reads back with its colours, so QtMultimedia and its FFmpeg backend load."""
    from PySide6.QtGui import QColor, QImage
    from PySide6.QtMultimedia import (QMediaCaptureSession, QMediaDevices, QVideoFrame, QVideoFrameInput,
                                      QVideoSink)

    work.app = work.app or _qt_app()
    session, sink, source = QMediaCaptureSession(), QVideoSink(), QVideoFrameInput()
    session.setVideoSink(sink)
    session.setVideoFrameInput(source)
    seen: list[QImage] = []
    sink.videoFrameChanged.connect(lambda frame: seen.append(frame.toImage()))
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(QColor(200, 30, 40))
    if not source.sendVideoFrame(QVideoFrame(image)):
        raise AssertionError("the capture session refused a video frame")
    deadline = time.monotonic() + 5
    while not seen and time.monotonic() < deadline:
        work.app.processEvents()
        time.sleep(0.01)
    if not seen or seen[-1].isNull():
        raise AssertionError("no frame reached the video sink")
    red, green, blue = QColor(seen[-1].pixel(32, 24)).getRgb()[:3]
    if abs(red - 200) > 20 or green > 60 or blue > 70:
        raise AssertionError(f"the frame came back as ({red}, {green}, {blue}), not the red sent")
    session.setVideoFrameInput(None)
    cameras = len(QMediaDevices.videoInputs())
    return f"QtMultimedia carried a frame to the preview's sink; cameras on this machine: {cameras}"


# ---------------------------------------------------------------------------- runner
@dataclass
class Outcome:
    step: str
    status: str  # ok | FAILED
    seconds: float
    detail: str


def run_steps(work: Work, *, show_traceback: bool = False,
              out: Callable[[str], None] = print) -> list[Outcome]:
    outcomes = []
    for step in STEPS:
        check = globals()[f"check_{step}"]
        start = time.perf_counter()
        try:
            status, detail = "ok", check(work)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, the run goes on
            status = "FAILED"
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip().replace("\n", " ")
            if show_traceback:
                traceback.print_exc()
        outcome = Outcome(step, status, time.perf_counter() - start, detail)
        out(f"  {outcome.status:<7} {step:<12} {outcome.seconds:6.2f} s  {outcome.detail}")
        outcomes.append(outcome)
    return outcomes


@contextlib.contextmanager
def _workspace(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        if keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
            raise BadInput("must be a new or empty folder (the store there would not open "
                           "with a new passphrase)", field="--keep", where=str(keep))
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="fieldapp-self-test-") as tmp:
        yield Path(tmp)


def run(args: argparse.Namespace) -> int:
    import platform
    import secrets

    from fieldapp import __version__

    start = time.perf_counter()
    kind = "frozen bundle" if frozen() else "Python installation"
    print(f"fieldapp {__version__} self-test: {kind}, Python {platform.python_version()}, "
          f"{sys.platform}-{platform.machine()}")
    saved_home = os.environ.get("FIELDAPP_HOME")
    with _workspace(args.keep) as root:
        os.environ["FIELDAPP_HOME"] = str(root / "home")  # nothing of the user's is touched
        try:
            work = Work(root, passphrase=secrets.token_urlsafe(16))
            outcomes = run_steps(work, show_traceback=args.traceback)
        finally:
            if saved_home is None:
                os.environ.pop("FIELDAPP_HOME", None)
            else:
                os.environ["FIELDAPP_HOME"] = saved_home
    failed = [o.step for o in outcomes if o.status == "FAILED"]
    ok = len(outcomes) - len(failed)
    verdict = f"FAILED ({', '.join(failed)})" if failed else "all passed"
    print(f"self-test: {ok} of {len(outcomes)} steps ok, {verdict} in {time.perf_counter() - start:.2f} s")
    return 1 if failed else 0
