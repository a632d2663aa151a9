"""`fieldapp server ca ...`: created once, its keys encrypted with a passphrase taken from the
setting or a private file; every wrong input is one line and the right exit code."""

from __future__ import annotations

import os
import stat

import pytest

from fieldapp.cli import main


@pytest.fixture
def db(tmp_path):
    return ["--db", f"sqlite:///{tmp_path / 'server.db'}"]


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err.strip()


def test_init_once_with_a_passphrase(db, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("FIELDAPP_SERVER_CA_PASSPHRASE", raising=False)
    assert main(["server", "ca", "init", *db]) == 2
    assert "set FIELDAPP_SERVER_CA_PASSPHRASE" in one_line(capsys)
    monkeypatch.setenv("FIELDAPP_SERVER_CA_PASSPHRASE", "short")
    assert main(["server", "ca", "init", *db]) == 2
    assert "shorter than 12 characters" in one_line(capsys)
    monkeypatch.setenv("FIELDAPP_SERVER_CA_PASSPHRASE", "a long test passphrase")
    assert main(["server", "ca", "init", "--institution", "Demo Bank", *db]) == 0
    assert "O=Demo Bank" in capsys.readouterr().out
    assert main(["server", "ca", "init", *db]) == 1
    assert "exists already; it is never overwritten" in one_line(capsys)
    # the keys in the database are encrypted, never PEM in clear
    import sqlite3

    rows = sqlite3.connect(db[1].removeprefix("sqlite:///")).execute("SELECT key_encrypted FROM signing_keys").fetchall()
    assert len(rows) == 3 and all(r[0].startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----") for r in rows)


def test_wrong_passphrase_and_a_passphrase_file_others_can_read(db, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FIELDAPP_SERVER_CA_PASSPHRASE", "a long test passphrase")
    assert main(["server", "ca", "init", *db]) == 0
    monkeypatch.setenv("FIELDAPP_SERVER_CA_PASSPHRASE", "another long passphrase")
    assert main(["server", "ca", "issue", "X", "-o", str(tmp_path / "x"), *db]) == 2
    assert one_line(capsys) == "fieldapp server: ca_passphrase: wrong CA passphrase: the signing CA's keys cannot be opened"
    monkeypatch.delenv("FIELDAPP_SERVER_CA_PASSPHRASE")
    secret = tmp_path / "ca.pass"
    secret.write_text("a long test passphrase\n", encoding="utf-8")
    os.chmod(secret, 0o644)
    monkeypatch.setenv("FIELDAPP_SERVER_CA_PASSPHRASE_FILE", str(secret))
    assert main(["server", "ca", "export-crl", "-o", str(tmp_path / "crl.pem"), *db]) == 2
    assert "readable by others (mode 644); chmod 600" in one_line(capsys)
    os.chmod(secret, 0o600)
    assert main(["server", "ca", "issue", "Li Qiang", "-o", str(tmp_path / "signer"), *db]) == 0
    assert stat.S_IMODE((tmp_path / "signer" / "key.pem").stat().st_mode) == 0o600
    assert main(["server", "ca", "issue", "Li Qiang", "-o", str(tmp_path / "signer"), *db]) == 2
    assert "key.pem exists already" in one_line(capsys)
    # export-root needs no passphrase
    monkeypatch.delenv("FIELDAPP_SERVER_CA_PASSPHRASE_FILE")
    assert main(["server", "ca", "export-root", "-o", str(tmp_path / "root.pem"), *db]) == 0


def test_commands_before_init_say_so(db, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FIELDAPP_SERVER_CA_PASSPHRASE", "a long test passphrase")
    assert main(["server", "ca", "export-root", "-o", str(tmp_path / "root.pem"), *db]) == 1
    assert "no signing CA on this server yet" in one_line(capsys)
    assert main(["server", "ca", "revoke", "abc", *db]) == 2
    assert "no certificate with serial abc" in one_line(capsys)


def test_revoke_device_revokes_its_certificates(db, tmp_path, monkeypatch, capsys):
    from fieldapp.core.timeutil import utcnow
    from fieldapp.documents import pki
    from fieldapp.server import admin
    from fieldapp.server.db import make_engine, session_factory
    from fieldapp.server.models import Device
    from fieldapp.server.services import signing

    monkeypatch.setenv("FIELDAPP_SERVER_CA_PASSPHRASE", "a long test passphrase")
    assert main(["server", "ca", "init", *db]) == 0
    engine = make_engine(db[1])
    with session_factory(engine)() as s, s.begin():
        user = admin.create_user(s, "wang", "pw-wang-2026-long", "agent", "t1")
        device = Device(user_id=user.id, device_id="laptop-7", created_at=utcnow())
        s.add(device)
        s.flush()
        authority = signing.open_authority(s, b"a long test passphrase")
        key = pki.new_ec_key()
        cert = signing.enrol_device(s, authority, user, device, pki.device_request(key, username="wang",
                                                                                   device_id="laptop-7"))
        again = signing.enrol_device(s, authority, user, device, pki.device_request(key, username="wang",
                                                                                    device_id="laptop-7"))
        assert again.serial_number == cert.serial_number
    assert main(["server", "revoke-device", "wang", "laptop-7", "--since", "yesterday", *db]) == 2
    assert "--since" in one_line(capsys)
    assert main(["server", "revoke-device", "wang", "laptop-7", *db]) == 0
    assert main(["server", "ca", "export-crl", "-o", str(tmp_path / "crl.pem"), *db]) == 0
    crl = pki.load_crl((tmp_path / "crl.pem").read_bytes())
    assert pki.revocation_of(crl, cert.serial_number) is not None
    engine.dispose()
