"""The probe's case: six unsent visits, the store emptied to 0 bytes, then `fieldapp sync`.
It must not make a new store and report success: exit 2, one line, the file untouched."""

from __future__ import annotations

import pytest
from serverdata import PASSWORD
from visitdata import visit_record

from fieldapp.cli import main


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    monkeypatch.setenv("FIELDAPP_LANG", "en")


def _six_unsent(server, make_agent, make_service, name="s.db"):
    agent, ids = make_agent(cases=6)
    svc = make_service(name)
    svc.login(server.url, agent, PASSWORD)
    svc.sync()
    for case_id in ids:
        svc.record_visit(visit_record(case_id))
    assert svc.store.counts()["outbox_waiting"] == 6
    svc.close()
    return agent


def test_an_emptied_store_stops_the_sync_with_one_line(server, make_agent, make_service, tmp_path,
                                                       capsys, monkeypatch):
    agent = _six_unsent(server, make_agent, make_service)
    store = tmp_path / "s.db"
    store.write_bytes(b"")
    monkeypatch.setenv("FIELDAPP_PASSWORD", PASSWORD)
    code = main(["sync", "--server", server.url, "--user", agent, "--store", str(store)])
    out, err = capsys.readouterr()
    assert code == 2, out
    lines = err.splitlines()
    assert len(lines) == 1 and "empty" in lines[0] and str(store) in lines[0] and "Traceback" not in err
    assert store.stat().st_size == 0  # not replaced by a new, empty store


def test_a_deleted_store_whose_key_file_remains_stops_the_sync(server, make_agent, make_service, tmp_path,
                                                              capsys, monkeypatch):
    agent = _six_unsent(server, make_agent, make_service)
    (tmp_path / "s.db").unlink()
    monkeypatch.setenv("FIELDAPP_PASSWORD", PASSWORD)
    code = main(["sync", "--server", server.url, "--user", agent, "--store", str(tmp_path / "s.db")])
    _, err = capsys.readouterr()
    assert code == 2
    assert len(err.splitlines()) == 1 and "missing" in err and "s.db.key" in err
    assert not (tmp_path / "s.db").exists()
