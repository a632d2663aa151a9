"""`fieldapp sync`: output and exit codes (0 synced, 1 items rejected, 2 no sync)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from faultproxy import dead_url
from serverdata import PASSWORD
from visitdata import visit_record

from fieldapp.cli import main


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    monkeypatch.setenv("FIELDAPP_LANG", "en")


def _run(capsys, *args):
    code = main(["sync", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_sync_prints_progress_and_a_summary(server, make_agent, tmp_path, capsys, monkeypatch):
    agent, _ = make_agent(cases=3)
    monkeypatch.setenv("FIELDAPP_PASSWORD", PASSWORD)
    code, out, err = _run(capsys, "--server", server.url, "--user", agent, "--store", str(tmp_path / "s.db"))
    assert code == 0, err
    assert "pull: 3" in err
    assert "pulled: 3 cases updated, 0 removed" in out
    assert "pushed: 0 accepted, 0 already on the server, 0 rejected" in out
    assert "clock:" in out and "5 minutes" not in out
    monkeypatch.delenv("FIELDAPP_PASSWORD")  # the stored session is used now
    code, out, err = _run(capsys, "--server", server.url + "/", "--user", agent, "--store",
                          str(tmp_path / "s.db"), "--quiet")
    assert code == 0 and err == "" and "pulled: 0 cases updated" in out


def test_rejected_items_exit_1_with_reasons(server, make_agent, make_service, tmp_path, capsys, monkeypatch):
    agent, ids = make_agent(cases=1)
    visit = visit_record(ids[0], notes="first")
    other = make_service("other.sqlite3")
    other.login(server.url, agent, PASSWORD)
    other.sync()
    other.record_visit(visit)
    other.sync()
    mine = make_service("mine.sqlite3")
    mine.login(server.url, agent, PASSWORD)
    mine.sync()
    mine.record_visit(visit.model_copy(update={"notes": "second"}))
    mine.close()
    monkeypatch.setenv("FIELDAPP_PASSWORD", PASSWORD)
    code, out, err = _run(capsys, "--server", server.url, "--user", agent, "--store", str(tmp_path / "mine.sqlite3"))
    assert code == 1, err
    assert "1 rejected" in out
    assert f"rejected {visit.visit_id}" in out and "conflict" in out and "other content" in out


@pytest.mark.parametrize("case", ["password", "offline", "url", "page", "no-password"])
def test_failures_exit_2_with_one_line(case, server, make_agent, tmp_path, capsys, monkeypatch):
    agent, _ = make_agent()
    monkeypatch.setenv("FIELDAPP_PASSWORD", PASSWORD)
    args = ["--server", server.url, "--user", agent, "--store", str(tmp_path / "s.db")]
    expected = {"password": "Wrong user name or password", "offline": "Cannot reach",
                "url": "not a server address", "page": "--page-size", "no-password": "FIELDAPP_PASSWORD"}[case]
    if case == "password":
        monkeypatch.setenv("FIELDAPP_PASSWORD", "not the password")
    elif case == "offline":
        args[1] = dead_url()
    elif case == "url":
        args[1] = "sync.example.com"
    elif case == "page":
        args += ["--page-size", "0"]
    else:
        monkeypatch.delenv("FIELDAPP_PASSWORD")
        monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    code, out, err = _run(capsys, *args)
    assert code == 2
    lines = [line for line in err.splitlines() if line]
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in err


def test_the_real_entry_point_without_a_keyring(server, make_agent, tmp_path):
    agent, _ = make_agent(cases=2)
    env = dict(os.environ, FIELDAPP_PASSWORD=PASSWORD, FIELDAPP_STORE_PASSPHRASE="entry point phrase",
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", FIELDAPP_HOME=str(tmp_path),
               FIELDAPP_LANG="en")
    cmd = [sys.executable, "-m", "fieldapp", "sync", "--server", server.url, "--user", agent]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "pulled: 2 cases updated" in first.stdout
    assert (tmp_path / "client" / "store.sqlite3").exists()
    env.pop("FIELDAPP_STORE_PASSPHRASE")
    locked = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert locked.returncode == 2 and "FIELDAPP_STORE_PASSPHRASE" in locked.stderr


def test_messages_follow_the_language(server, make_agent, tmp_path, capsys, monkeypatch):
    agent, _ = make_agent(cases=1)
    monkeypatch.setenv("FIELDAPP_LANG", "zh_CN")
    monkeypatch.setenv("FIELDAPP_PASSWORD", PASSWORD)
    code, out, err = _run(capsys, "--server", server.url, "--user", agent, "--store", str(tmp_path / "s.db"))
    assert code == 0 and "下载：更新 1 个案件" in out and "下载：1" in err
    code, out, err = _run(capsys, "--server", dead_url(), "--user", agent, "--store", str(tmp_path / "t.db"))
    assert code == 2 and "无法连接" in err
