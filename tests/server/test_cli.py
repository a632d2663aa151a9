"""`fieldapp server ...` through fieldapp.cli.main, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from fieldapp.cli import main
from fieldapp.server.db import current_revision, head_revision, make_engine, session_factory
from fieldapp.server.models import Case, Device, User

from .nominatim_stub import NominatimStub
from .test_import import HEADER, row


def _db(url):
    engine = make_engine(url)
    return engine, session_factory(engine)


def test_init_creates_the_default_sqlite_file(_isolated_dirs, capsys):
    assert main(["server", "init"]) == 0
    path = _isolated_dirs / "server.db"
    assert path.exists() and str(path) in capsys.readouterr().out
    engine = make_engine(f"sqlite:///{path}")
    assert current_revision(engine) == head_revision()
    engine.dispose()
    assert main(["server", "init"]) == 0  # upgrading again is harmless


def test_init_creates_missing_folders(tmp_path):
    url = f"sqlite:///{tmp_path / 'a' / 'b' / 'server.db'}"
    assert main(["server", "init", "--db", url]) == 0
    assert (tmp_path / "a" / "b" / "server.db").exists()


def test_create_user(db_url, monkeypatch, capsys):
    monkeypatch.setenv("FIELDAPP_PASSWORD", "lead-pass-2026")
    assert main(["server", "create-user", "wang", "--role", "lead", "--team", "nanjing-1",
                 "--db", db_url]) == 0
    assert "created lead wang" in capsys.readouterr().out
    assert main(["server", "create-user", "wang", "--role", "lead", "--team", "x", "--db", db_url]) == 1
    assert "already exists" in capsys.readouterr().err
    engine, sessions = _db(db_url)
    with sessions() as s:
        user = s.scalar(select(User).where(User.username == "wang"))
        assert user.team.name == "nanjing-1" and user.password_hash.startswith("$argon2id$")
    engine.dispose()


@pytest.mark.parametrize("pw,why", [("", "empty"), ("short", "shorter"), ("aaaaaaaaaa", "different"),
                                    ("zhangsan1", None)])
def test_create_user_refuses_weak_passwords(tmp_path, monkeypatch, capsys, pw, why):
    url = f"sqlite:///{tmp_path / 's.db'}"
    monkeypatch.setenv("FIELDAPP_PASSWORD", pw)
    name = "zhangsan1" if why is None else "zhangsan"
    code = main(["server", "create-user", name, "--role", "agent", "--db", url])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert (why or "equals the user name") in err


def test_create_user_needs_a_password_source(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("FIELDAPP_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["server", "create-user", "li", "--role", "agent", "--db", f"sqlite:///{tmp_path}/s.db"]) == 2
    assert "FIELDAPP_PASSWORD" in capsys.readouterr().err


def test_lead_needs_a_team(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FIELDAPP_PASSWORD", "lead-pass-2026")
    assert main(["server", "create-user", "li", "--role", "lead", "--db", f"sqlite:///{tmp_path}/s.db"]) == 2
    assert "team" in capsys.readouterr().err


def test_seed_demo_twice(db_url, capsys):
    assert main(["server", "seed-demo", "--db", db_url]) == 0
    assert "60 cases" in capsys.readouterr().out
    assert main(["server", "seed-demo", "--db", db_url]) == 0
    assert "nothing changed" in capsys.readouterr().out


def test_import_cases_with_geocoder_url(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FIELDAPP_PASSWORD", "agent-pass-2026")
    assert main(["server", "create-user", "agent1", "--role", "agent", "--db", db_url]) == 0
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=HEADER)
    w.writeheader()
    w.writerow(row("CLI-1"))
    w.writerow(row("CLI-2", lat="", lon="", address="南京市建邺区江东中路5号"))
    path = tmp_path / "cases.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    with NominatimStub({"南京市建邺区江东中路5号": (32.004, 118.733)}) as stub:
        code = main(["server", "import-cases", str(path), "--db", db_url,
                     "--geocoder-url", f"http://{stub.domain}"])
    out = capsys.readouterr().out
    assert code == 0 and "2 created" in out and "1 geocoded" in out
    assert main(["server", "import-cases", str(path), "--db", db_url, "--geocoder", "none"]) == 0
    assert "2 unchanged" in capsys.readouterr().out


def test_import_bad_file_exit_2_row_by_row(db_url, tmp_path, capsys):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=HEADER)
    w.writeheader()
    w.writerow(row("E-1", agent="", amount_due="abc"))
    w.writerow(row("E-2", agent="", currency=""))
    path = tmp_path / "bad.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    assert main(["server", "import-cases", str(path), "--db", db_url, "--geocoder", "none"]) == 2
    out, err = capsys.readouterr()
    rows = out.splitlines()  # the rows' problems are the report; stderr has the one-line reason
    assert rows[0].endswith("line 2, column amount_due: 'abc' is not a number")
    assert "line 3, column currency" in rows[1]
    assert err.count("\n") == 1 and "nothing imported" in err
    engine, sessions = _db(db_url)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0
    engine.dispose()


def test_admin_subcommands(db_url, capsys):
    assert main(["server", "seed-demo", "--db", db_url]) == 0
    assert main(["server", "reassign", "DEMO-0001", "agent3", "--db", db_url]) == 0
    assert main(["server", "close-case", "DEMO-0002", "--db", db_url]) == 0
    assert main(["server", "close-case", "NOPE", "--db", db_url]) == 2
    assert main(["server", "revoke-device", "agent1", "laptop-1", "--db", db_url]) == 2
    engine, sessions = _db(db_url)
    with sessions() as s, s.begin():
        agent1 = s.scalar(select(User).where(User.username == "agent1"))
        s.add(Device(user_id=agent1.id, device_id="laptop-1"))
    engine.dispose()
    assert main(["server", "revoke-device", "agent1", "laptop-1", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "assigned to agent3" in out and "closed" in out and "revoked" in out


@pytest.mark.parametrize("argv", [["server"], ["server", "fly"], ["server", "init", "--db", "mysql://x/y"],
                                  ["server", "init", "--db", "::::"],
                                  ["server", "run", "--workers", "0", "--db", "sqlite:///x.db"],
                                  ["server", "create-user", "x", "--role", "boss"]])
def test_usage_errors_exit_2(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.strip() and "Traceback" not in err


def test_config_file(tmp_path, monkeypatch, capsys):
    db = tmp_path / "from-config.db"
    cfg = tmp_path / "server.toml"
    cfg.write_text(f'database_url = "sqlite:///{db}"\ntoken_ttl_days = 3\n', encoding="utf-8")
    assert main(["server", "init", "--config", str(cfg)]) == 0
    assert db.exists()
    cfg.write_text("token_ttl_days = 'soon'\n", encoding="utf-8")
    assert main(["server", "init", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "server.toml" in err and "token_ttl_days" in err
