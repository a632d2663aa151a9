"""The lead's queue on the laptop: the schema upgrade from an agent's store, one page and
its cursor in one transaction, a server reset, and forgetting the queue."""

from __future__ import annotations

import sqlite3

import pytest
from alembic import command
from sqlalchemy import func, select

from fieldapp.store import reviews as review_repo
from fieldapp.store.db import alembic_config, make_engine
from lead.lead_world import add_case, make_agreement, visit


def test_an_agents_store_at_0001_upgrades_keeping_its_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    engine = make_engine(path)
    with engine.connect() as conn, conn.begin():
        command.upgrade(alembic_config(conn), "0001")
    engine.dispose()
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO meta (id, store_id, device_id, cursor) VALUES (1, 's-1', 'd-1', 41)")
    raw.commit()
    raw.close()
    engine = make_engine(path)
    with engine.connect() as conn, conn.begin():
        command.upgrade(alembic_config(conn), "head")
        tables = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"lead_reviews", "lead_meta", "cases", "outbox"} <= tables
        assert conn.exec_driver_sql("SELECT cursor, device_id FROM meta").one() == (41, "d-1")
        command.downgrade(alembic_config(conn), "0001")  # and back, cleanly
        tables = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "lead_reviews" not in tables
    engine.dispose()


@pytest.fixture
def synced(server, laptop):
    with server.session() as s, s.begin():
        case_id = add_case(s, "ST-1")
    agent = laptop("agent", "agent1", server)
    agent.sync()
    agreement, files = make_agreement("REF-ST-1")
    v = visit(case_id, outcome="agreement_signed", agreement=agreement)
    agent.record_visit(v, files)
    agent.sync()
    return laptop("lead", "lead1", server), v


def test_a_page_and_its_cursor_commit_together(synced, monkeypatch):
    lead, v = synced

    def crash(*_a, **_k):
        raise RuntimeError("power cut between the page and its cursor")

    monkeypatch.setattr(review_repo, "set_cursor", crash)
    with pytest.raises(RuntimeError):
        lead.sync()
    assert lead.queue() == []  # nothing half-applied
    with lead.store.read() as s:
        assert review_repo.cursor(s) == 0
    monkeypatch.undo()
    assert lead.sync().queue.items == 1
    assert [r.visit_id for r in lead.queue()] == [v.visit_id]


def test_a_reset_server_is_pulled_again_from_the_start(synced):
    lead, v = synced
    lead.sync()
    with lead.store.write() as s:
        review_repo.set_cursor(s, 10**9, lead.store.now())  # the server's log is now behind us
    summary = lead.sync()
    assert summary.queue.items == 1 and [r.visit_id for r in lead.queue()] == [v.visit_id]
    with lead.store.read() as s:
        assert review_repo.cursor(s) < 10**9


def test_the_queue_is_sealed_and_forgotten_with_its_pdfs(synced):
    lead, v = synced
    lead.sync()
    pdf = v.agreement.pdf_sha256
    raw = b"".join(p.read_bytes() for p in lead.store.path.parent.glob(lead.store.path.name + "*") if p.is_file())
    assert "王芳".encode() not in raw and v.notes.encode() not in raw  # personal data is sealed
    assert lead.store.files.read(pdf).startswith(b"%PDF")
    lead.wipe_queue()
    assert lead.queue() == [] and lead.cached_figures() is None
    with pytest.raises(Exception):
        lead.store.files.read(pdf)
    with lead.store.read() as s:
        assert review_repo.cursor(s) == 0
    assert lead.sync().queue.items == 1  # and the next sync brings it all back


def test_a_revoked_laptop_forgets_the_queue(synced, server):
    from fieldapp.server import admin
    from fieldapp.sync.errors import DeviceRevoked

    lead, _v = synced
    lead.sync()
    device = lead.store.meta().device_id
    with server.session() as s, s.begin():
        admin.revoke_device(s, "lead1", device)
    with pytest.raises(DeviceRevoked):
        lead.sync()
    assert lead.queue() == []
    with lead.store.read() as s:
        assert s.scalar(select(func.count()).select_from(review_repo.LeadReview)) == 0
