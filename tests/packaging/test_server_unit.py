"""The server's service unit and settings example (packaging/server): the unit passes
`systemd-analyze verify`, runs a `fieldapp server run` the command line accepts, keeps the
metrics folder in its runtime directory; the example settings load as server settings."""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fieldapp.server.settings import ServerSettings

SERVER = Path(__file__).resolve().parents[2] / "packaging" / "server"
UNIT = SERVER / "fieldapp-server.service"
ENV = SERVER / "fieldapp-server.env"


def _entries(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) of a unit file; keys may repeat (systemd allows it)."""
    out, section = [], ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        out.append((section, key.strip(), value.strip()))
    return out


def _get(entries, section: str, key: str) -> list[str]:
    return [v for s, k, v in entries if (s, k) == (section, key)]


def test_the_unit_runs_the_server_command_line():
    entries = _entries(UNIT)
    (exec_start,) = _get(entries, "Service", "ExecStart")
    argv = shlex.split(exec_start)
    assert Path(argv[0]).name == "fieldapp" and argv[1:3] == ["server", "run"]
    from fieldapp.commands import server as server_command

    parser = argparse.ArgumentParser()
    server_command.add_arguments(parser)
    args = parser.parse_args(argv[2:])
    assert (args.host, args.port, args.workers) == ("127.0.0.1", 8000, 4)
    assert _get(entries, "Service", "EnvironmentFile") == ["/etc/fieldapp/server.env"]
    environment = dict(v.split("=", 1) for v in _get(entries, "Service", "Environment"))
    (runtime,) = _get(entries, "Service", "RuntimeDirectory")
    assert environment["PROMETHEUS_MULTIPROC_DIR"].startswith(f"/run/{runtime}/")
    assert _get(entries, "Service", "User") == ["fieldapp"] and _get(entries, "Service", "NoNewPrivileges") == ["yes"]
    assert _get(entries, "Install", "WantedBy") == ["multi-user.target"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(tmp_path):
    # The venv's own `fieldapp` stands in for /opt/fieldapp/venv/bin/fieldapp.
    fieldapp = Path(sys.executable).with_name("fieldapp")
    text = UNIT.read_text(encoding="utf-8").replace("/opt/fieldapp/venv/bin/fieldapp", str(fieldapp))
    unit = tmp_path / UNIT.name
    unit.write_text(text, encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if UNIT.name in line]
    assert complaints == []


def test_the_example_settings_load(monkeypatch):
    for name in [n for n in __import__("os").environ if n.startswith("FIELDAPP_SERVER_")]:
        monkeypatch.delenv(name)
    settings = ServerSettings.load(ENV)
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert (settings.metrics_port, settings.metrics_host) == (9464, "127.0.0.1")
    assert (settings.log_format, settings.log_level, settings.trusted_proxy_header) == ("json", "info",
                                                                                       "x-forwarded-for")
