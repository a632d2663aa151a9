"""Lead tests: the real server on loopback (a SQLite file; PostgreSQL too where the
server tests use it, FIELDAPP_TEST_PG_URL), real agent and lead laptops on disk."""

from __future__ import annotations

import functools

import pytest

from fieldapp.server import admin, auth
from fieldapp.server.testing import LiveServer
from fieldapp.sync.lead_service import LeadService
from fieldapp.sync.service import AgentService
from fieldapp.sync.transport import RetryPolicy
from fieldapp.ui.app import build_context
from fieldapp.ui.lead.window import LeadWindow
from fieldapp.ui.settings import SettingsStore
from lead.lead_world import CA_PASSPHRASE, PINNED, SHANGHAI, make_authority, make_people, password, populate
from server.conftest import pg_schema

FAST_RETRY = RetryPolicy(attempts=2, backoff_s=0.01, backoff_max_s=0.05)


@functools.lru_cache(maxsize=None)
def _cached_hash(pw: str) -> str:
    return auth.hash_password(pw)


@pytest.fixture(autouse=True)
def _reuse_password_hashes(monkeypatch):
    """Real argon2, each distinct password hashed once per run (login still verifies)."""
    monkeypatch.setattr(admin, "hash_password", _cached_hash)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def module_server(request, tmp_path_factory):
    """One live server per module, with the people of lead_world."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('leadsrv') / 'server.db'}"
        with LiveServer(url, ca_passphrase=CA_PASSPHRASE) as live:
            with live.session() as s, s.begin():
                _people(s)
                make_authority(s)
            yield live
        return
    with pg_schema("lead") as url:
        if url is None:
            pytest.skip("FIELDAPP_TEST_PG_URL is not set")
        with LiveServer(url, upgrade_db=False, ca_passphrase=CA_PASSPHRASE) as live:
            with live.session() as s, s.begin():
                _people(s)
                make_authority(s)
            yield live


def _people(session) -> None:
    original = admin.hash_password
    admin.hash_password = _cached_hash
    try:
        make_people(session)
    finally:
        admin.hash_password = original


@pytest.fixture
def server(tmp_path):
    """A fresh live server (SQLite file) with the people of lead_world."""
    with LiveServer(f"sqlite:///{tmp_path / 'server.db'}", ca_passphrase=CA_PASSPHRASE) as live:
        with live.session() as s, s.begin():
            make_people(s)
            make_authority(s)
        yield live


@pytest.fixture
def laptop(tmp_path):
    """laptop(kind, username, server): a signed-in AgentService or LeadService on its own store."""
    made: list = []

    def make(kind: str, username: str, live: LiveServer):
        path = tmp_path / f"{kind}-{username}-{len(made)}.sqlite3"
        if kind == "lead":
            svc = LeadService(store_path=path, retry=FAST_RETRY, timeout_s=10.0)
        else:
            svc = AgentService(store_path=path, retry=FAST_RETRY, timeout_s=10.0)
        made.append(svc)
        svc.login(live.url, username, password(username))
        return svc

    yield make
    for svc in made:
        svc.close()


@pytest.fixture
def world(server, laptop, app_clock):
    app_clock.set(PINNED)
    ids = populate(server, laptop)
    lead = laptop("lead", "lead1", server)
    lead.sync()
    return {"ids": ids, "lead": lead, "server": server}


@pytest.fixture
def window(qtbot, world, tmp_path):
    saved: list[str] = []
    ctx = build_context(world["lead"], synchronous=True, settings_store=SettingsStore(tmp_path / "ui.json"),
                        language="en")
    ctx.local_zone = SHANGHAI  # the lead works in the customers' zone
    ctx.user.username, ctx.user.display_name = "lead1", "Lena Lead"
    win = LeadWindow(ctx, world["lead"], save_path=lambda _p, _t, name: saved.append(name) or str(tmp_path / name))
    win.saved = saved
    qtbot.addWidget(win)
    win.show()
    win.refresh()
    yield win
    ctx.tasks.shutdown()
