"""Sync tests run against the real server on loopback (SQLite file), optionally behind a
fault-injecting proxy."""

from __future__ import annotations

import uuid

import pytest
import serverdata

from fieldapp.server.testing import LiveServer
from fieldapp.sync.service import AgentService
from fieldapp.sync.transport import RetryPolicy

FAST_RETRY = RetryPolicy(attempts=3, backoff_s=0.01, backoff_max_s=0.05)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("server")
    with LiveServer(f"sqlite:///{folder / 'server.db'}") as live:
        yield live


@pytest.fixture
def make_agent(server):
    def make(cases: int = 0, prefix: str = "C") -> tuple[str, list[str]]:
        name = f"agent-{uuid.uuid4().hex[:8]}"
        with server.session() as s, s.begin():
            serverdata.add_agent(s, name)
            ids = serverdata.add_cases(s, name, cases, prefix) if cases else []
        return name, ids
    return make


@pytest.fixture
def make_service(tmp_path):
    made: list[AgentService] = []

    def make(name: str = "store.sqlite3", **kw) -> AgentService:
        kw.setdefault("retry", FAST_RETRY)
        kw.setdefault("timeout_s", 5.0)
        svc = AgentService(store_path=tmp_path / name, **kw)
        made.append(svc)
        return svc

    yield make
    for svc in made:
        svc.close()
