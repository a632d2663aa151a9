"""`fieldapp demo` and the window against the real server: a LiveServer on a temporary
SQLite file with the demo data, the real AgentService, real worker threads."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt

from fieldapp.cli import main
from fieldapp.server.testing import LiveServer
from fieldapp.sync.service import AgentService
from fieldapp.ui.app import Credentials, FieldApp, build_context
from fieldapp.ui.display import headless_reason
from fieldapp.ui.models.case_table import COMPLIANCE_ROLE, Column
from fieldapp.ui.settings import SettingsStore
from fieldapp.ui.widgets.compliance import ComplianceState

WAIT_MS = 60_000


def _headless_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return env


def test_headless_reason():
    assert headless_reason("fieldapp demo", environ={}, platform="linux").startswith("no display found")
    assert "xvfb-run fieldapp demo" in headless_reason("fieldapp demo", environ={}, platform="linux")
    assert headless_reason(environ={"DISPLAY": ":0"}, platform="linux") is None
    assert headless_reason(environ={"WAYLAND_DISPLAY": "wayland-0"}, platform="linux") is None
    assert headless_reason(environ={"QT_QPA_PLATFORM": "offscreen"}, platform="linux") is None
    assert headless_reason(environ={}, platform="win32") is None


@pytest.mark.parametrize("argv", [["demo"], []])
def test_headless_machine_gets_one_line_and_exit_2(argv):
    result = subprocess.run([sys.executable, "-m", "fieldapp", *argv], env=_headless_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no display found" in lines[0] and "xvfb-run" in lines[0]
    assert "Traceback" not in result.stderr


def test_quit_after_must_be_positive(capsys):
    assert main(["demo", "--quit-after", "0"]) == 2
    assert "--quit-after" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # argparse: not a demo user
        main(["demo", "--user", "mallory"])
    assert exit_info.value.code == 2


@pytest.fixture
def live_server(tmp_path):
    with LiveServer(f"sqlite:///{tmp_path / 'server.sqlite3'}", seed_demo=True, geocoder="none") as server:
        yield server


def test_sign_in_sync_and_see_the_cases_against_the_real_server(qtbot, tmp_path, live_server):
    service = AgentService(store_path=tmp_path / "client.sqlite3")
    ctx = build_context(service, settings_store=SettingsStore(tmp_path / "ui.json"), language="en")
    app = FieldApp(ctx)
    qtbot.addWidget(app.window)
    try:
        app.start(credentials=Credentials(live_server.url, "agent1", "demo-agent1"))
        window = app.window
        qtbot.waitUntil(lambda: window.model.total > 0 and not window.syncing, timeout=WAIT_MS)
        expected = service.list_cases()
        assert window.model.total == len(expected) > 0
        assert window.user_label.text().startswith("Signed in as ")
        assert f"{len(expected)} cases updated" in window.sync_status.message.text()
        assert window.connection.indicator.text() == "Online"
        # the demo data books some visits outside the allowed hours: they show red, with a reason
        states = [window.model.index(r, Column.COMPLIANCE).data(COMPLIANCE_ROLE)
                  for r in range(window.model.rowCount())]
        assert ComplianceState.BLOCKED in states and ComplianceState.ALLOWED in states
        blocked = states.index(ComplianceState.BLOCKED)
        assert window.model.index(blocked, Column.COMPLIANCE).data(Qt.ItemDataRole.ToolTipRole)
        # search by a customer's name finds their case
        first = expected[0]
        window.search.setText(first.customer_name)
        window.apply_search()
        assert first.reference in [window.model.index(r, Column.REFERENCE).data()
                                   for r in range(window.model.rowCount())]
        # the server goes away: the next sync says offline, the list stays
        live_server.stop()
        window.start_sync()
        qtbot.waitUntil(lambda: not window.syncing, timeout=WAIT_MS)
        assert window.sync.offline is True
        assert window.model.total == len(expected)
    finally:
        app.shutdown()
        service.close()


def test_the_badge_turns_offline_when_the_real_server_stops(qtbot, tmp_path, live_server):
    """No sync is asked for: the background probe (GET /meta on the network pool) finds out."""
    service = AgentService(store_path=tmp_path / "client.sqlite3")
    ctx = build_context(service, settings_store=SettingsStore(tmp_path / "ui.json"), language="en")
    app = FieldApp(ctx, probe_interval_ms=200)
    qtbot.addWidget(app.window)
    try:
        app.start(credentials=Credentials(live_server.url, "agent1", "demo-agent1"))
        window, status = app.window, app.window.connection
        qtbot.waitUntil(lambda: window.model.total > 0 and not window.syncing, timeout=WAIT_MS)
        assert status.indicator.text() == "Online" and status.detail.text().startswith("Last contact ")
        syncs = window.sync_status.message.text()
        live_server.stop()
        qtbot.waitUntil(lambda: status.indicator.text() == "Offline", timeout=WAIT_MS)
        assert window.offline_banner.isVisible() and window.sync_status.message.text() == syncs
        assert status.detail.text().startswith("Last contact ")
    finally:
        app.shutdown()
        service.close()


def test_wrong_password_against_the_real_server(qtbot, tmp_path, live_server):
    service = AgentService(store_path=tmp_path / "client.sqlite3")
    ctx = build_context(service, synchronous=True, settings_store=SettingsStore(tmp_path / "ui.json"),
                        language="zh_CN")
    app = FieldApp(ctx)
    qtbot.addWidget(app.window)
    try:
        app.start(credentials=Credentials(live_server.url, "agent1", "not-the-password"))
        assert app.login_dialog is not None
        assert app.login_dialog.error.text() == "用户名或密码错误。"
        app.login_dialog.reject()
    finally:
        app.shutdown()
        service.close()


def test_demo_command_runs_and_quits(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FIELDAPP_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "fieldapp", "demo", "--quit-after", "8", "--lang", "en"],
                            env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    summary = [line for line in result.stderr.splitlines() if "cases in the list" in line]
    assert summary, result.stderr[-2000:]
    count = int(summary[-1].split(":")[1].split()[0])
    assert count > 0 and "cases updated" in summary[-1]


GUI_SCRIPT = """
import argparse, sys
from fieldapp.commands import gui
parser = argparse.ArgumentParser()
gui.add_arguments(parser)
sys.exit(gui.run(parser.parse_args(sys.argv[1:])))
"""


def test_gui_command_opens_on_a_fresh_store_and_quits(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FIELDAPP_HOME": str(tmp_path),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
           "FIELDAPP_STORE_PASSPHRASE": "a passphrase for this test"}
    result = subprocess.run([sys.executable, "-c", GUI_SCRIPT, "--quit-after", "2", "--lang", "zh_CN"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert (tmp_path / "client" / "store.sqlite3").exists()  # the real store was opened
