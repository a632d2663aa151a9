"""Pages fetched ahead (fieldapp.sync.prefetch): never further than the server's rule allows,
and a page whose end names a wrong next cursor costs a request, never a page."""

from __future__ import annotations

import sqlite3
import time
from urllib.parse import parse_qs, urlsplit

import httpx
from faultproxy import FaultProxy
from serverdata import PASSWORD

from fieldapp.protocol.v1 import PULL_LINES
from fieldapp.sync.prefetch import next_cursor_hint
from fieldapp.sync.transport import Answer, cursor_part


def test_the_hint_reads_the_top_level_fields_at_the_end_of_a_page():
    assert next_cursor_hint(b'{"changes":[],"next_cursor":40,"has_more":true,"server_time":"x"}') == 40
    assert next_cursor_hint(b'{"changes": [], "next_cursor" : 7, "has_more" : true}') == 7
    assert next_cursor_hint(b'{"changes":[],"next_cursor":40,"has_more":false,"server_time":"x"}') is None
    assert next_cursor_hint(b'{"next_cursor":40,"has_more":true,"changes":[' + b'{"seq":1},' * 100 + b'{}]}') is None
    twice = b'{"changes":[{"d":{"next_cursor":3,"has_more":true}}],"next_cursor":40,"has_more":true}'
    assert next_cursor_hint(twice) is None


def test_the_next_cursor_of_a_page_as_lines_is_read_from_its_head_line():
    head = b'{"next_cursor":40,"has_more":true,"server_time":"2026-12-06T08:00:00Z"}'
    page = head + b'\n[{"seq":40,"op":"upsert","case_id":"a","reason":null}]\n{"note":"x"}'
    for ctype, part in ((PULL_LINES, head), ("application/json", page)):
        answer = Answer(httpx.Response(200, headers={"content-type": ctype}, content=page), "GET /sync/pull", 0, 0)
        assert cursor_part(answer) == part
    assert next_cursor_hint(head) == 40


def _meta_cursor(path) -> int:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute("SELECT cursor FROM meta WHERE id = 1").fetchone()[0]
    finally:
        con.close()


def test_a_pull_goes_out_only_once_the_pages_before_the_previous_pull_are_applied(
        server, make_agent, make_service, tmp_path):
    """The server takes a pull at cursor c as word that everything up to the previous pull's
    cursor is applied (withdrawal acknowledgements rest on it). A slow writer (its progress
    callback sleeps) would let an unchecked fetcher run pages ahead."""
    agent, _ = make_agent(cases=24)
    seen: list[tuple[int, int]] = []   # (cursor asked for, cursor committed on the laptop then)
    with FaultProxy(server.url) as proxy:
        svc = make_service(page_size=3)
        svc.login(proxy.url, agent, PASSWORD)
        store_file = tmp_path / "store.sqlite3"

        def note(method: str, path: str) -> None:
            if method == "GET" and path.startswith("/api/v1/sync/pull"):
                cursor = int(parse_qs(urlsplit(path).query)["cursor"][0])
                seen.append((cursor, _meta_cursor(store_file)))

        proxy.on_request = note
        summary = svc.sync(lambda phase, done, total: time.sleep(0.3) if phase == "pull" else None)
    assert summary.pulled_upserts == 24 and summary.pages == 8
    asked = [cursor for cursor, _ in seen]
    assert asked == sorted(asked) and len(set(asked)) == len(asked) >= 8
    for (previous, _), (cursor, committed) in zip(seen, seen[1:]):
        assert committed >= previous, f"pull at {cursor} sent with only {committed} applied (previous pull {previous})"
    # and pages are fetched ahead all the same: a pull goes out before the page before it is written
    assert sum(committed < cursor for cursor, committed in seen) >= 5, seen


def test_a_page_whose_end_names_a_wrong_cursor_is_fetched_again_from_the_right_one(
        server, make_agent, make_service):
    """The second page is rewritten: its top-level fields first, and a nested object at its
    end saying `"next_cursor": 1, "has_more": true`. The fetcher follows the lie; the writer
    sees the page at the wrong cursor, drops it and pulls again from its own."""
    agent, ids = make_agent(cases=9)

    def lie(body: dict) -> dict:
        changes = body["changes"]
        case = changes[-1]["case"]
        case["compliance"] = {"allowed": True, "policy_id": "cn", "policy_version": "1", "summary": "ok",
                              "decision": {"next_cursor": 1, "has_more": True}}
        return {"next_cursor": body["next_cursor"], "has_more": body["has_more"],
                "server_time": body["server_time"], "changes": changes}

    asked: list[int] = []
    with FaultProxy(server.url) as proxy:
        svc = make_service(page_size=3)
        svc.login(proxy.url, agent, PASSWORD)
        proxy.add("GET /api/v1/sync/pull", "pass")
        proxy.add("GET /api/v1/sync/pull", "rewrite", fn=lie)
        proxy.on_request = lambda method, path: asked.append(int(parse_qs(urlsplit(path).query)["cursor"][0])) \
            if path.startswith("/api/v1/sync/pull") else None
        summary = svc.sync()
    assert summary.pulled_upserts == 9 and sorted(r.id for r in svc.list_cases()) == sorted(ids)
    assert 1 in asked  # the lie was followed, then the writer's own cursor taken again
    assert asked.index(1) < len(asked) - 1 and asked[-1] > asked[1]
    again = svc.sync()
    assert (again.pulled_upserts, again.pages) == (0, 0)  # nothing skipped, nothing left behind


def test_a_page_is_parsed_only_once_the_page_before_it_is_written():
    """Parsing and writing both need the interpreter: the next page is parsed after the
    writer has written the one before it (`written`), not beside it, and may be parsed while
    that one commits (before `committed`)."""
    from fieldapp.sync.prefetch import PagePipeline

    events: list[tuple[str, int]] = []
    pages = {0: 10, 10: 20, 20: 30, 30: 40}  # cursor -> next cursor

    def fetch(at: int) -> bytes:
        return b'{"next_cursor":%d,"has_more":%s}' % (pages[at], b"true" if pages[at] < 40 else b"false")

    def prepare(body: bytes) -> bytes:
        events.append(("parse", int(body.split(b":")[1].split(b",")[0])))
        return body

    pipeline = PagePipeline(0, fetch, prepare, lambda body: body)
    cursor = 0
    try:
        while cursor < 40:
            assert pipeline.next(cursor) is not None
            time.sleep(0.05)  # writing: the next page, fetched by now, waits to be parsed
            events.append(("written", pages[cursor]))
            pipeline.written()
            time.sleep(0.05)  # committing: the next page may be parsed meanwhile
            events.append(("committed", pages[cursor]))
            pipeline.committed(pages[cursor])
            cursor = pages[cursor]
    finally:
        pipeline.close()
    assert events[0] == ("parse", 10)
    for page in (20, 30, 40):
        parsed = events.index(("parse", page))
        assert events[parsed - 1] == ("written", page - 10), events
        assert events.index(("committed", page - 10)) > parsed, events
