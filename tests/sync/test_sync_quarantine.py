"""An outbox item whose sealed payload fails authentication (a flipped byte in the file)
is set aside, quarantined with its reason, and every other item is still sent; the sync
says so (a warning line, exit 1 the first time) and never stops on it again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from serverdata import PASSWORD
from sqlalchemy import select
from visitdata import visit_record

from fieldapp.cli import main
from fieldapp.server.models import Visit
from fieldapp.store.health import check_integrity


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    monkeypatch.setenv("FIELDAPP_LANG", "en")


def flip_payload_byte(store: Path, item_id: str) -> None:
    """Flip one byte inside the item's sealed payload, in the database file itself."""
    raw = sqlite3.connect(store)
    blob = raw.execute("SELECT payload FROM outbox WHERE id = ?", (item_id,)).fetchone()[0]
    raw.close()
    data = bytearray(store.read_bytes())
    at = data.find(blob)
    assert at > 0 and data.find(blob, at + 1) == -1, "the payload lies in one place in the file"
    data[at + len(blob) // 2] ^= 0x20
    store.write_bytes(bytes(data))


def _recorded(server, make_agent, make_service, n=5, name="s.db"):
    agent, ids = make_agent(cases=n)
    svc = make_service(name, push_batch=2)
    svc.login(server.url, agent, PASSWORD)
    svc.sync()
    visits = [visit_record(case_id) for case_id in ids]
    for v in visits:
        svc.record_visit(v)
    svc.close()
    return agent, [v.visit_id for v in visits]


def test_a_payload_that_fails_its_seal_is_set_aside_and_the_rest_is_sent(server, make_agent, make_service,
                                                                         tmp_path):
    agent, ids = _recorded(server, make_agent, make_service)
    bad = ids[0]  # the first in line: everything else waits behind it
    flip_payload_byte(tmp_path / "s.db", bad)

    svc = make_service("s.db", push_batch=2)
    check_integrity(svc.store.engine, svc.store.path)  # the file is sound: only the seal knows
    summary = svc.sync()
    assert [q.id for q in summary.quarantined] == [bad]
    assert summary.quarantined[0].code == "seal_failed"
    assert "integrity seal" in summary.quarantined[0].reason
    # a push retried after a slow answer comes back "duplicate": both mean the server has it
    assert summary.pushed_accepted + summary.pushed_duplicate == 4 and summary.pushed_rejected == 0
    with server.session() as s:
        on_server = set(s.scalars(select(Visit.id).where(Visit.id.in_(ids))))
    assert on_server == set(ids[1:])

    rows = {r.id: r for r in svc.outbox()}
    assert rows[bad].state == "quarantined" and rows[bad].code == "seal_failed"
    assert "integrity seal" in rows[bad].reason
    assert {rows[i].state for i in ids[1:]} == {"accepted"}

    again = svc.sync()  # nothing blocks, nothing is new
    assert again.quarantined == [] and again.quarantined_held == 1
    assert svc.store.counts()["outbox_quarantined"] == 1


def test_the_cli_warns_and_exits_1_then_only_reminds(server, make_agent, make_service, tmp_path, capsys,
                                                    monkeypatch):
    agent, ids = _recorded(server, make_agent, make_service, n=3)
    flip_payload_byte(tmp_path / "s.db", ids[1])
    monkeypatch.setenv("FIELDAPP_PASSWORD", PASSWORD)
    args = ["sync", "--server", server.url, "--user", agent, "--store", str(tmp_path / "s.db"), "--quiet"]
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 1, err
    assert "pushed: 2 accepted" in out
    warnings = [line for line in out.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and ids[1] in warnings[0] and "set aside" in warnings[0]
    assert "Traceback" not in err

    code = main(args)
    out, _ = capsys.readouterr()
    assert code == 0
    assert "warning:" not in out and "1 item set aside earlier" in out


def test_the_warning_is_said_in_chinese(server, make_agent, make_service, tmp_path, capsys, monkeypatch):
    agent, ids = _recorded(server, make_agent, make_service, n=2)
    flip_payload_byte(tmp_path / "s.db", ids[0])
    monkeypatch.setenv("FIELDAPP_PASSWORD", PASSWORD)
    monkeypatch.setenv("FIELDAPP_LANG", "zh_CN")
    code = main(["sync", "--server", server.url, "--user", agent, "--store", str(tmp_path / "s.db"), "--quiet"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert "警告" in out and "已隔离" in out and ids[0] in out
