"""`fieldapp self-test` in-process: passes on this installation, fails (exit 1) and goes on
when a step breaks, never touches the keyring or the user's folders, and checks that a
frozen bundle reads nothing from outside itself."""

from __future__ import annotations

import sys

import keyring
import pytest

from fieldapp.cli import main
from fieldapp.commands import selftest
from fieldapp.core.resources import resources_root


def _lines(out: str) -> dict[str, str]:
    """step -> its status word, from the printed report."""
    found = {}
    for line in out.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in ("ok", "FAILED") and words[1] in selftest.STEPS:
            found[words[1]] = words[0]
    return found


def test_every_step_passes_here_and_prints_its_time(capsys, memory_keyring, _isolated_dirs):
    assert main(["self-test"]) == 0
    out = capsys.readouterr().out
    status = _lines(out)
    assert list(status) == list(selftest.STEPS)
    assert set(status.values()) == {"ok"}, out
    assert " s  " in out.splitlines()[1]  # each line carries its time
    assert "steps ok, all passed in" in out.splitlines()[-1]
    # nothing of the user's touched: no secret in the keyring, nothing in FIELDAPP_HOME
    assert memory_keyring.store == {}
    assert keyring.get_keyring() is memory_keyring
    assert list(_isolated_dirs.iterdir()) == []


def test_a_broken_step_fails_the_run_and_the_others_still_run(capsys, monkeypatch):
    def broken(work):
        raise RuntimeError("holiday calendar missing")

    monkeypatch.setattr(selftest, "check_policy", broken)
    assert main(["self-test"]) == 1
    out = capsys.readouterr().out
    status = _lines(out)
    assert status["policy"] == "FAILED"
    assert "RuntimeError: holiday calendar missing" in out
    assert status["script"] == status["window"] == "ok"  # the run went on
    assert out.splitlines()[-1].startswith("self-test: ") and "FAILED (policy)" in out


def test_a_step_that_depends_on_a_failed_one_fails_too(capsys, monkeypatch):
    def no_pdf(work):
        raise ValueError("font not found")

    monkeypatch.setattr(selftest, "check_documents", no_pdf)
    assert main(["self-test"]) == 1
    status = _lines(capsys.readouterr().out)
    assert status["documents"] == status["pdf_view"] == "FAILED"


def test_keep_leaves_the_artefacts_for_a_look(tmp_path, capsys):
    keep = tmp_path / "kept"
    assert main(["self-test", "--keep", str(keep)]) == 0
    pdf = keep / "agreement.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert (keep / "main-window.png").stat().st_size > 1000
    assert (keep / "map" / "map.png").stat().st_size > 1000 and (keep / "map" / "map.qml").is_file()
    assert (keep / "client" / "store.sqlite3").is_file()
    assert main(["self-test", "--keep", str(keep)]) == 2  # not over an earlier run
    assert "--keep" in capsys.readouterr().err


def test_the_store_step_works_without_any_keyring(monkeypatch, tmp_path):
    """Even a keyring that would accept the key is not used: the store is passphrase-sealed."""
    work = selftest.Work(tmp_path, passphrase="pass-phrase-for-test")
    assert "wrong passphrase refused" in selftest.check_store(work)
    from fieldapp.store import PassphraseRequired, Store

    with pytest.raises(PassphraseRequired):
        Store(work.store_path)  # no passphrase: the key is not in any keyring


@pytest.fixture
def fake_frozen(monkeypatch, tmp_path):
    """Pretend to be a PyInstaller bundle whose _MEIPASS is an empty folder."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    monkeypatch.delenv("FIELDAPP_RESOURCES", raising=False)
    resources_root.cache_clear()
    yield tmp_path / "bundle"
    resources_root.cache_clear()


def test_frozen_bundle_reading_the_source_tree_fails(fake_frozen, tmp_path):
    with pytest.raises(AssertionError, match="outside the bundle"):
        selftest.check_resources(selftest.Work(tmp_path, passphrase="x"))


def test_frozen_bundle_must_not_carry_the_server_commands(fake_frozen, tmp_path):
    with pytest.raises(AssertionError, match=r"server command '(demo|server)' is in the desktop bundle"):
        selftest.check_commands(selftest.Work(tmp_path, passphrase="x"))


def test_missing_resources_fail_naming_what_is_missing(tmp_path, monkeypatch):
    fake = tmp_path / "res"
    (fake / "policies").mkdir(parents=True)
    monkeypatch.setenv("FIELDAPP_RESOURCES", str(fake))
    resources_root.cache_clear()
    try:
        with pytest.raises(AssertionError, match="fonts/wqy-microhei.ttc"):
            selftest.check_resources(selftest.Work(tmp_path, passphrase="x"))
    finally:
        resources_root.cache_clear()
