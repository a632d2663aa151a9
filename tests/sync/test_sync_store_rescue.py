"""The whole story on the command line: visits recorded, the store damaged, `sync` refuses
in one line (exit 2), `store rescue` copies what is readable aside the damaged files, and
the next `sync` sends every rescued visit to the server."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from serverdata import PASSWORD, agreement_visit
from sqlalchemy import select
from visitdata import visit_record

from fieldapp.cli import main
from fieldapp.server.models import Visit
from fieldapp.store.crypto import KEYRING_SERVICE


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    monkeypatch.setenv("FIELDAPP_LANG", "en")


def _cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _recorded(server, make_agent, make_service, n=6):
    agent, ids = make_agent(cases=n)
    svc = make_service("s.db")
    svc.login(server.url, agent, PASSWORD)
    svc.sync()
    visits = []
    for i, case_id in enumerate(ids):
        if i % 2:
            visits.append(svc.record_visit(visit_record(case_id, notes="n" * 800)))
        else:
            visit, files = agreement_visit(case_id)
            visits.append(svc.record_visit(visit, files))
    store_id = svc.store.meta().store_id
    svc.close()
    return agent, visits, store_id


def test_damaged_refused_rescued_then_synced(server, make_agent, make_service, tmp_path, capsys, monkeypatch):
    agent, visits, _ = _recorded(server, make_agent, make_service)
    store = tmp_path / "s.db"
    data = bytearray(store.read_bytes())
    data[0:100] = b"\xff" * 100  # the header
    store.write_bytes(bytes(data))
    digest = hashlib.sha256(bytes(data)).hexdigest()
    monkeypatch.setenv("FIELDAPP_PASSWORD", PASSWORD)
    sync = ["sync", "--server", server.url, "--user", agent, "--store", str(store), "--quiet"]

    code, out, err = _cli(capsys, *sync)
    assert code == 2 and len(err.splitlines()) == 1 and "damaged" in err and "store rescue" in err

    code, out, err = _cli(capsys, "store", "rescue", "--store", str(store))
    assert code == 0, out + err
    assert "outbox: 6 items rescued (6 unsent), 0 set aside (unreadable), 0 lost" in out
    assert "attachments: 9 rescued, 0 unreadable" in out and "account kept" in out
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("s.db.damaged-") and "." not in p.name[14:]]
    assert len(aside) == 1 and hashlib.sha256(aside[0].read_bytes()).hexdigest() == digest

    code, out, err = _cli(capsys, *sync)
    assert code == 0, err
    assert "pushed: 6 accepted" in out
    with server.session() as s:
        assert set(s.scalars(select(Visit.id).where(Visit.id.in_(visits)))) == set(visits)


def test_an_item_whose_page_is_lost_is_named(server, make_agent, make_service, tmp_path, capsys):
    _, visits, _ = _recorded(server, make_agent, make_service)
    store = tmp_path / "s.db"
    raw = sqlite3.connect(store)
    sealed = raw.execute("SELECT payload FROM outbox WHERE id = ?", (visits[3],)).fetchone()[0]
    raw.close()
    data = bytearray(store.read_bytes())
    page = data.find(sealed) // 4096
    for i in range(8):  # that page's b-tree header
        data[page * 4096 + i] ^= 0xA5
    store.write_bytes(bytes(data))
    code, out, _ = _cli(capsys, "store", "rescue", "--store", str(store), "--out", str(tmp_path / "new.db"))
    assert code == 1
    assert visits[3] in out and "not sendable" in out
    assert store.read_bytes() == bytes(data)  # --out: the damaged store stays, unchanged


def test_refusals_are_one_line_exit_2(server, make_agent, make_service, tmp_path, capsys, memory_keyring):
    _, _, store_id = _recorded(server, make_agent, make_service, n=2)
    store = tmp_path / "s.db"
    (tmp_path / "taken.db").write_bytes(b"x")
    cases = {
        "out exists": (["--store", str(store), "--out", str(tmp_path / "taken.db")], "already exists"),
        "no store": (["--store", str(tmp_path / "none.db")], "nothing to rescue"),
    }
    for name, (args, words) in cases.items():
        code, out, err = _cli(capsys, "store", "rescue", *args)
        assert code == 2 and len(err.splitlines()) == 1 and words in err, name
    before = sorted(p.name for p in tmp_path.iterdir())
    memory_keyring.delete_password(KEYRING_SERVICE, store_id)
    code, out, err = _cli(capsys, "store", "rescue", "--store", str(store))
    assert code == 2 and "2 unsent items cannot be read" in err and len(err.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing moved, nothing made
    with pytest.raises(SystemExit) as usage:
        main(["store"])
    assert usage.value.code == 2 and len(capsys.readouterr().err.splitlines()) == 1


def test_the_report_in_chinese(server, make_agent, make_service, tmp_path, capsys, monkeypatch):
    _recorded(server, make_agent, make_service, n=2)
    monkeypatch.setenv("FIELDAPP_LANG", "zh_CN")
    code, out, _ = _cli(capsys, "store", "rescue", "--store", str(tmp_path / "s.db"))
    assert code == 0 and "已抢救到" in out and "发件箱：抢救 2 条记录" in out
