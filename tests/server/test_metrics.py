"""Prometheus metrics: the text parses with prometheus_client's own parser; pushes are
counted by result and rejection reason, requests by route template and status, imports
by outcome once committed, throttled sign-ins; several workers add up (multiprocess mode)
on a listener of its own, never on the API port."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from fieldapp.server.db import make_engine, session_factory
from fieldapp.server.importer import import_cases
from fieldapp.server.observability import metrics
from fieldapp.server.testing import LiveServer

from .kit import Api, add_case, item, make_people, visit_payload
from .ops_kit import ServerProcess, free_port
from .test_import import row, write


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before: dict, after: dict, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@pytest.fixture
def world(live):
    with live.session() as s, s.begin():
        make_people(s)
        mine = add_case(s, "M-1", "agent1")
        theirs = add_case(s, "M-2", "agent2")
    return live, mine, theirs


def _pushes(api: Api, mine: str, theirs: str) -> list[dict]:
    accepted = item(mine, visit_payload(mine))
    results = []
    results += api.push(accepted)
    results += api.push(accepted)                                          # duplicate
    results += api.push(item(theirs, visit_payload(theirs)))               # not_yours
    results += api.push(item(mine, visit_payload(mine), content_hash_override="0" * 64))  # hash_mismatch
    return results


def test_a_push_is_counted_by_result_and_reason(world):
    live, mine, theirs = world
    api = Api(live.url, "agent1")
    before = parse(metrics.render())
    results = _pushes(api, mine, theirs)
    assert [(r["status"], r.get("code")) for r in results] == [
        ("accepted", None), ("duplicate", None), ("rejected", "not_yours"), ("rejected", "hash_mismatch")]
    after = parse(metrics.render())
    items = "fieldapp_push_items_total"
    assert delta(before, after, items, kind="visit", result="accepted", reason="") == 1
    assert delta(before, after, items, kind="visit", result="duplicate", reason="") == 1
    assert delta(before, after, items, kind="visit", result="rejected", reason="not_yours") == 1
    assert delta(before, after, items, kind="visit", result="rejected", reason="hash_mismatch") == 1
    route = {"method": "POST", "route": "/api/v1/sync/push"}
    assert delta(before, after, "fieldapp_http_requests_total", status="200", **route) == 4
    assert delta(before, after, "fieldapp_http_request_duration_seconds_count", **route) == 4
    assert delta(before, after, "fieldapp_http_request_duration_seconds_bucket", le="+Inf", **route) == 4
    api.get("/api/v1/cases/" + theirs)  # 403, by template: no case id in any label
    after2 = parse(metrics.render())
    assert delta(after, after2, "fieldapp_http_requests_total", method="GET", route="/api/v1/cases/{case_id}",
                 status="403") == 1
    assert not any(theirs in str(key) for key in after2)
    assert value(after2, "fieldapp_db_pool_connections_in_use") == 0  # every connection went back
    assert value(after2, "fieldapp_db_pool_connections_max") > 0


def test_import_rows_count_once_committed(world, tmp_path):
    live, _, _ = world
    path = write(tmp_path / "cases.csv", [row("IMP-1"), row("IMP-2"), row("IMP-3")])
    before = parse(metrics.render())
    with live.session() as s:
        with s.begin():
            report = import_cases(s, path)
            assert report.created == 3
            s.rollback()  # not applied after all
    assert delta(before, parse(metrics.render()), "fieldapp_import_rows_total", outcome="created") == 0
    with live.session() as s, s.begin():
        import_cases(s, path)
    with live.session() as s, s.begin():
        import_cases(s, write(tmp_path / "again.csv", [row("IMP-1"), row("IMP-4")]))
    after = parse(metrics.render())
    assert delta(before, after, "fieldapp_import_rows_total", outcome="created") == 4
    assert delta(before, after, "fieldapp_import_rows_total", outcome="unchanged") == 1


def test_throttled_sign_ins_are_counted(tmp_path):
    with LiveServer(f"sqlite:///{tmp_path / 's.db'}", login_max_failures=2) as server:
        with server.session() as s, s.begin():
            make_people(s)
        before = parse(metrics.render())
        api = Api(server.url)
        statuses = [api.login("agent1", "wrong password").status_code for _ in range(4)]
        after = parse(metrics.render())
    assert statuses[:2] == [401, 401] and 429 in statuses
    assert delta(before, after, "fieldapp_login_throttled_total") == statuses.count(429)
    assert delta(before, after, "fieldapp_http_requests_total", method="POST", route="/api/v1/auth/login",
                 status="429") == statuses.count(429)


def test_notice_metrics_are_ready_for_the_notice_worker():
    before = parse(metrics.render())
    metrics.notice("queued", "sms")
    metrics.notice("sent", "sms")
    metrics.notice("failed", "email")
    after = parse(metrics.render())
    assert delta(before, after, "fieldapp_notices_total", channel="sms", event="queued") == 1
    assert delta(before, after, "fieldapp_notices_total", channel="sms", event="sent") == 1
    assert delta(before, after, "fieldapp_notices_total", channel="email", event="failed") == 1
    with pytest.raises(ValueError):
        metrics.notice("delivered", "sms")


def test_two_workers_add_up_on_the_metrics_port(db_url, tmp_path):
    engine = make_engine(db_url)
    with session_factory(engine)() as s, s.begin():
        make_people(s)
        mine = add_case(s, "W-1", "agent1")
        theirs = add_case(s, "W-2", "agent2")
    engine.dispose()
    metrics_port = free_port()
    stale = tmp_path / "metrics-folder"
    stale.mkdir()
    (stale / "counter_1.db").write_bytes(b"left over from an earlier run")
    env = {"FIELDAPP_SERVER_METRICS_PORT": str(metrics_port), "PROMETHEUS_MULTIPROC_DIR": str(stale)}
    with ServerProcess(db_url, tmp_path, workers=2, env=env) as server:
        assert not (stale / "counter_1.db").exists()  # emptied at start
        assert httpx.get(server.url + "/metrics").status_code == 404  # never on the API port
        apis = [Api(server.url, "agent1") for _ in range(3)]  # new connections: both workers serve
        results = []
        for api in apis:
            results += api.push(item(mine, visit_payload(mine)))
            results += api.push(item(theirs, visit_payload(theirs)))
        text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        processes = {p.name for p in stale.glob("histogram_*.db")}  # one file per worker that answered
    samples = parse(text)
    assert [r["status"] for r in results] == ["accepted", "rejected"] * 3
    assert value(samples, "fieldapp_push_items_total", kind="visit", result="accepted", reason="") == 3
    assert value(samples, "fieldapp_push_items_total", kind="visit", result="rejected", reason="not_yours") == 3
    assert value(samples, "fieldapp_http_requests_total", method="POST", route="/api/v1/auth/login",
                 status="200") == 3
    assert value(samples, "fieldapp_http_requests_total", method="POST", route="/api/v1/sync/push",
                 status="200") == 6
    assert value(samples, "fieldapp_http_request_duration_seconds_count", method="POST",
                 route="/api/v1/sync/push") == 6
    assert processes  # which worker took which connection is the kernel's choice; the sums hold either way


def test_a_named_metrics_folder_is_made_even_with_metrics_off(tmp_path):
    """The service unit always names PROMETHEUS_MULTIPROC_DIR; with metrics off the server
    must still start (the workers write there) and serve no metrics port."""
    folder = tmp_path / "run" / "metrics"
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    engine.dispose()
    with ServerProcess(f"sqlite:///{tmp_path / 's.db'}", tmp_path, env={"PROMETHEUS_MULTIPROC_DIR": str(folder)}) as server:
        assert httpx.get(server.url + "/readyz", timeout=30).status_code == 200
        assert folder.is_dir() and any(folder.glob("counter_*.db"))
