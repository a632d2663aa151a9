"""Server benchmarks (marker perf; run with `-m perf -s`). Each prints its time and the ratio
to a baseline measured in the same run on the same machine."""

from __future__ import annotations

import csv
import io
import time

import pytest

from fieldapp.server import admin
from fieldapp.server.db import upgrade
from fieldapp.server.importer import import_cases, read_rows
from fieldapp.server.services import sync as sync_service
from fieldapp.server.testing import LiveServer

from server.kit import Api, add_case, item, visit_payload
from server.test_import import HEADER, row


@pytest.fixture
def live(tmp_path):
    url = f"sqlite:///{tmp_path / 'perf.db'}"
    upgrade(url)
    with LiveServer(url, upgrade_db=False) as server:
        with server.session() as s, s.begin():
            admin.create_user(s, "agent1", "perf-pass-2026", "agent", "t1")
        yield server


def _timed(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def test_pull_1000_cases(live):
    with live.session() as s, s.begin():
        ids = [add_case(s, f"PERF-{i:05d}", "agent1") for i in range(1000)]
    api = Api(live.url)
    api.login("agent1", "perf-pass-2026")

    def over_http():
        body = api.get("/api/v1/sync/pull", params={"limit": 1000}).json()
        assert len(body["changes"]) == 1000

    def in_process():
        with live.session() as s:
            user = admin.find_user(s, "agent1")
            assert len(sync_service.pull(s, user, 0, 1000).changes) == 1000

    http_s, base_s = _timed(over_http), _timed(in_process)
    print(f"\npull 1000 cases over HTTP: {http_s * 1000:.0f} ms; building them in-process: "
          f"{base_s * 1000:.0f} ms; ratio {http_s / base_s:.2f}")
    assert len(ids) == 1000


def test_push_200_visits(live):
    with live.session() as s, s.begin():
        case_id = add_case(s, "PUSH-1", "agent1")
    api = Api(live.url)
    api.login("agent1", "perf-pass-2026")
    batches = [[item(case_id, visit_payload(case_id)) for _ in range(200)] for _ in range(3)]
    t = time.perf_counter()
    for batch in batches:
        assert {r["status"] for r in api.push(*batch)} == {"accepted"}
    push_s = (time.perf_counter() - t) / len(batches)
    t = time.perf_counter()
    for batch in batches:
        assert {r["status"] for r in api.push(*batch)} == {"duplicate"}
    dup_s = (time.perf_counter() - t) / len(batches)
    print(f"\npush 200 new visits: {push_s * 1000:.0f} ms; the same 200 again (duplicates, baseline): "
          f"{dup_s * 1000:.0f} ms; ratio {push_s / dup_s:.2f}")


def test_import_2000_rows(live, tmp_path):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=HEADER)
    w.writeheader()
    for i in range(2000):
        w.writerow(row(f"IMP-{i:05d}"))
    path = tmp_path / "big.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    parse_s = _timed(lambda: read_rows(path), repeat=1)
    t = time.perf_counter()
    with live.session() as s, s.begin():
        report = import_cases(s, path)
    import_s = time.perf_counter() - t
    t = time.perf_counter()
    with live.session() as s, s.begin():
        again = import_cases(s, path)
    reimport_s = time.perf_counter() - t
    assert report.created == 2000 and again.unchanged == 2000
    print(f"\nimport 2000 rows: {import_s:.2f} s; re-import (unchanged): {reimport_s:.2f} s; parsing alone "
          f"(baseline): {parse_s:.2f} s; ratio import/parse {import_s / parse_s:.1f}")
