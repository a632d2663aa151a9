"""The fast pull path end to end: server documents -> raw pages -> pages parsed on the
fetch thread -> one driver-level upsert per page. The laptop must hold exactly what the
server's records say, in the sealed data and in the clear columns used for sorting."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from decimal import Decimal

import pytest

from serverdata import PASSWORD, add_cases, touch_cases, visible_cases
from sqlalchemy import select

from fieldapp.protocol.v1 import PULL_LINES
from fieldapp.server import admin
from fieldapp.server.compliance import Assessor
from fieldapp.server.services.records import case_record
from fieldapp.store import cases as case_repo
from fieldapp.store.models import Case as LocalCase


def _server_records(server, agent):
    with server.session() as s:
        assessor = Assessor()
        return {cid: case_record(case, assessor) for cid, case in visible_cases(s, agent).items()}


def _laptop(svc):
    with svc.store.read() as s:
        rows = {r.id: r for r in s.scalars(select(LocalCase))}
        records = {cid: case_repo.get_record(s, svc.store.cipher, cid) for cid in rows}
    return rows, records


def _assert_same(server, agent, svc):
    expected = _server_records(server, agent)
    rows, records = _laptop(svc)
    assert set(records) == set(expected)
    for cid, record in expected.items():
        assert json.loads(records[cid].model_dump_json()) == json.loads(record.model_dump_json())
        row = rows[cid]
        assert (row.reference, row.status, row.days_past_due, row.tier, row.currency) == (
            record.reference, record.status, record.days_past_due, record.tier, record.currency)
        assert row.updated_at == record.updated_at and row.updated_at.tzinfo is not None
        assert row.appointment_start == record.appointment.start
        assert row.amount_minor == int(Decimal(record.amount_due) * 100)
        assert row.withdrawn is None


def test_many_pages_arrive_exactly_as_the_server_builds_them(server, make_agent, make_service):
    agent, ids = make_agent(cases=45)
    svc = make_service(page_size=7)
    svc.login(server.url, agent, PASSWORD)
    pages = []
    summary = svc.sync(lambda phase, done, total: pages.append(done) if phase == "pull" else None)
    assert (summary.pulled_upserts, summary.pages) == (45, 7)
    assert pages == [7, 14, 21, 28, 35, 42, 45]
    assert gc.isenabled()  # the collector paused for the pages is back on
    _assert_same(server, agent, svc)
    listed = [r.appointment_start for r in svc.list_cases()]
    assert listed == sorted(listed)

    with server.session() as s, s.begin():  # updates go through the upsert's conflict branch
        touch_cases(s, ids[:10], Decimal("0.25"))
        admin.close_case(s, s.get(admin.Case, ids[10]).external_id)
        ids += add_cases(s, agent, 3, prefix="N")
    summary = svc.sync()
    assert (summary.pulled_upserts, summary.pulled_tombstones, summary.purged) == (13, 1, 1)
    _assert_same(server, agent, svc)
    assert svc.get_case(ids[0]).amount_due == "1234.75"
    assert svc.sync().pulled_upserts == 0


def test_a_page_the_server_got_wrong_stops_on_the_fetch_thread_and_commits_nothing(
        server, make_agent, make_service, monkeypatch):
    agent, _ = make_agent(cases=9)
    svc = make_service(page_size=4)
    svc.login(server.url, agent, PASSWORD)
    from fieldapp.sync.errors import ProtocolError
    from fieldapp.sync.transport import Transport

    real = Transport.fetch_pull
    calls = []

    def second_page_broken(self, token, cursor, limit):
        answer = real(self, token, cursor, limit)
        calls.append(cursor)
        if len(calls) == 2:
            answer.response._content = answer.response.content.replace(b'"amount_due":"', b'"amount_due":"x', 1)
        return answer

    monkeypatch.setattr(Transport, "fetch_pull", second_page_broken)
    try:
        svc.sync()
    except ProtocolError as exc:
        assert "amount_due" in str(exc)
    else:
        raise AssertionError("a page with a malformed amount was accepted")
    assert len(svc.list_cases()) == 4 and svc.store.meta().cursor == calls[1]
    assert gc.isenabled()
    monkeypatch.setattr(Transport, "fetch_pull", real)
    assert svc.sync().pulled_upserts == 5
    _assert_same(server, agent, svc)


def test_each_document_is_kept_as_the_server_sent_it(server, make_agent, make_service):
    """Pages come as lines (PULL_LINES): each case's document is sealed as the bytes the
    server stored and sent, not parsed and written again."""
    agent, ids = make_agent(cases=12)
    svc = make_service(page_size=5)
    svc.login(server.url, agent, PASSWORD)
    assert svc.sync().pulled_upserts == 12
    with server.session() as s:
        stored = {case.id: case.document.encode() for case in visible_cases(s, agent).values()}
    with svc.store.read() as s:
        kept = {cid: svc.store.cipher.open(blob, case_repo.case_label(cid))
                for cid, blob in s.execute(select(LocalCase.id, LocalCase.data))}
    assert kept == stored and set(kept) == set(ids)
    _assert_same(server, agent, svc)


def _broken_second_page(monkeypatch, change: Callable[[bytes], bytes]) -> list[int]:
    from fieldapp.sync.transport import Transport

    real = Transport.fetch_pull
    calls: list[int] = []

    def second_page_broken(self, token, cursor, limit):  # type: ignore[no-untyped-def]
        answer = real(self, token, cursor, limit)
        calls.append(cursor)
        if len(calls) == 2:
            assert answer.response.headers["content-type"] == PULL_LINES
            answer.response._content = change(answer.response.content)
        return answer

    monkeypatch.setattr(Transport, "fetch_pull", second_page_broken)
    return calls


@pytest.mark.parametrize("change, message", [
    # A document whose value is not in its wire type (kept as sent, it would be read as it is).
    (lambda page: page.replace(b'"days_past_due":', b'"days_past_due":"', 1).replace(b',"tier"', b'","tier"', 1),
     r"GET /sync/pull \(line 3\): the answer does not match protocol v1: days_past_due: Input should be a valid "
     r"integer"),
    (lambda page: page.rsplit(b"\n", 1)[0], r"4 changes and 3 case lines"),
    (lambda page: page.replace(b"\n", b"\n\n", 1), r"\(line 2\): the server answered invalid JSON"),
])
def test_a_page_of_lines_that_breaks_the_protocol_names_its_line_and_commits_nothing(
        server, make_agent, make_service, monkeypatch, change, message):
    from fieldapp.sync.errors import ProtocolError

    agent, _ = make_agent(cases=9)
    svc = make_service(page_size=4)
    svc.login(server.url, agent, PASSWORD)
    calls = _broken_second_page(monkeypatch, change)
    with pytest.raises(ProtocolError, match=message):
        svc.sync()
    assert len(svc.list_cases()) == 4 and svc.store.meta().cursor == calls[1]
    monkeypatch.undo()
    assert svc.sync().pulled_upserts == 5
    _assert_same(server, agent, svc)


def test_a_pull_starts_with_a_small_page_and_doubles_it_up_to_the_page_size(
        server, make_agent, make_service, monkeypatch):
    """The laptop waits for the server to build the first page only: a small one, then
    pages twice as large as the one before, up to the page size."""
    from itertools import islice

    from fieldapp.sync.engine import _ramp
    from fieldapp.sync.transport import Transport

    assert list(islice(_ramp(1000), 6)) == [100, 200, 400, 800, 1000, 1000]
    assert list(islice(_ramp(150), 3)) == [100, 150, 150] and list(islice(_ramp(7), 2)) == [7, 7]
    agent, _ = make_agent(cases=330)
    svc = make_service(page_size=1000)
    svc.login(server.url, agent, PASSWORD)
    real, limits = Transport.fetch_pull, []

    def noted(self, token, cursor, limit):  # type: ignore[no-untyped-def]
        limits.append(limit)
        return real(self, token, cursor, limit)

    monkeypatch.setattr(Transport, "fetch_pull", noted)
    summary = svc.sync()
    assert (summary.pulled_upserts, summary.pages, limits) == (330, 3, [100, 200, 400])
    _assert_same(server, agent, svc)
