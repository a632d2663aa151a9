"""Pull: the change log per agent, paged by cursor, with upserts and tombstones."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import select

from fieldapp.server import admin
from fieldapp.server.models import Case
from fieldapp.server.services.caseupsert import upsert_case
from fieldapp.server.services.changes import case_changed

from .kit import Api, add_case, case_row, item, make_people, visit_payload


@pytest.fixture
def world(live):
    with live.session() as s, s.begin():
        make_people(s)
        ids = [add_case(s, f"P-{i:03d}", "agent1") for i in range(25)]
        add_case(s, "Q-1", "agent2")
    return live, ids


def test_paging_by_cursor(world):
    live, ids = world
    api = Api(live.url, "agent1")
    seen, cursor, pages = [], 0, 0
    while True:
        body = api.get("/api/v1/sync/pull", params={"cursor": cursor, "limit": 10}).json()
        pages += 1
        seen += body["changes"]
        assert body["next_cursor"] >= cursor
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert pages == 3
    seqs = [c["seq"] for c in seen]
    assert seqs == sorted(seqs) and len(set(seqs)) == 25
    assert {c["case_id"] for c in seen} == set(ids)
    assert all(c["op"] == "upsert" and c["case"]["id"] == c["case_id"] for c in seen)
    again = api.get("/api/v1/sync/pull", params={"cursor": cursor}).json()
    assert again["changes"] == [] and again["next_cursor"] == cursor and not again["has_more"]


def test_upsert_carries_the_current_case(world):
    live, ids = world
    api = Api(live.url, "agent1")
    changes, _ = api.pull_all()
    case = next(c["case"] for c in changes if c["case"]["external_id"] == "P-000")
    assert case["amount_due"] == "1234.50" and case["currency"] == "CNY"
    assert case["customer"]["name"] == "王芳" and case["customer"]["location"] == {
        "lat": 32.06, "lon": 118.79, "accuracy_m": None}
    assert case["appointment"]["start"] == "2030-03-04T02:00:00Z"
    assert [n["channel"] for n in case["notifications"]] == ["sms"]
    assert case["status"] == "open" and case["visits"] == [] and case["tasks"] == []
    try:
        import fieldapp.policy as policy
        has_engine = hasattr(policy, "evaluate")
    except ImportError:  # pragma: no cover
        has_engine = False
    if has_engine:
        assert case["compliance"]["policy_id"] == "cn"
        assert isinstance(case["compliance"]["allowed"], bool)


def test_a_changed_case_moves_to_the_end_once(world):
    live, ids = world
    api = Api(live.url, "agent1")
    first, cursor = api.pull_all()
    with live.session() as s, s.begin():
        agents = {"agent1": admin.find_user(s, "agent1")}
        upsert_case(s, case_row("P-003", "agent1", amount_due=Decimal("99.90")), agents)
        upsert_case(s, case_row("P-003", "agent1", amount_due=Decimal("88.80")), agents)
    new, cursor2 = api.pull_all(cursor)
    assert [(c["op"], c["case"]["amount_due"]) for c in new] == [("upsert", "88.80")]
    assert cursor2 > cursor
    from_zero, _ = api.pull_all(0)
    assert len(from_zero) == 25  # one entry per case, the latest


def test_reassign_gives_a_tombstone_and_an_upsert(world):
    live, ids = world
    a1, a2 = Api(live.url, "agent1"), Api(live.url, "agent2")
    _, c1 = a1.pull_all()
    _, c2 = a2.pull_all()
    with live.session() as s, s.begin():
        admin.reassign_case(s, "P-007", "agent2")
    got1, _ = a1.pull_all(c1)
    got2, _ = a2.pull_all(c2)
    assert got1 == [{"seq": got1[0]["seq"], "op": "tombstone", "case_id": ids[7], "case": None,
                     "reason": "unassigned"}]
    assert [(c["op"], c["case"]["external_id"]) for c in got2] == [("upsert", "P-007")]
    assert got2[0]["seq"] > got1[0]["seq"]
    # The case is agent2's now: agent1 may no longer push to it.
    [res] = a1.push(item(ids[7], visit_payload(ids[7])))
    assert (res["status"], res["code"]) == ("rejected", "not_yours")


def test_close_gives_a_tombstone(world):
    live, ids = world
    api = Api(live.url, "agent1")
    _, cursor = api.pull_all()
    with live.session() as s, s.begin():
        admin.close_case(s, "P-001")
        admin.close_case(s, "P-001")  # closing twice changes nothing more
    got, _ = api.pull_all(cursor)
    assert [(c["op"], c["reason"], c["case_id"]) for c in got] == [("tombstone", "closed", ids[1])]


def test_leads_and_admins_have_no_case_feed(world):
    live, _ = world
    for name in ("lead1", "admin"):
        assert Api(live.url, name).pull_all() == ([], 0)


@pytest.mark.parametrize("params", [{"cursor": -1}, {"limit": 0}, {"limit": 1001}, {"cursor": "x"},
                                    {"limit": "1e3"}, {"cursor": str(2**70)}])
def test_bad_pull_parameters(world, params):
    live, _ = world
    r = Api(live.url, "agent1").get("/api/v1/sync/pull", params=params)
    assert r.status_code == 422 and r.json()["error"] == "invalid"
    assert ("cursor" in r.json()["detail"]) or ("limit" in r.json()["detail"])


def test_cursor_ahead_of_the_log_is_a_conflict(world):
    live, _ = world
    r = Api(live.url, "agent1").get("/api/v1/sync/pull", params={"cursor": 10_000})
    assert r.status_code == 409 and r.json()["error"] == "conflict"
    assert "pull again from 0" in r.json()["detail"]


def test_sequence_numbers_follow_commit_order(live):
    """A writer that has taken its number and commits late holds back later writers' numbers,
    so a reader never skips a change that commits after a higher number was seen. Numbers are
    taken at commit: the first writer is held between taking its number and its COMMIT."""
    from sqlalchemy import event

    from fieldapp.server.models import ChangeRow

    with live.session() as s, s.begin():
        make_people(s)
        a = add_case(s, "W-A", "agent1")
        b = add_case(s, "W-B", "agent1")
    committing: set[str] = set()
    first_done: list[bool] = []
    numbered = threading.Event()

    def writer(case_id: str, name: str, hold: float) -> None:
        with live.session() as s, s.begin():
            def at_commit(_conn) -> None:  # type: ignore[no-untyped-def]
                # Past its number (the counter's lock held), right before the COMMIT.
                if name == "first":
                    numbered.set()
                    time.sleep(hold)
                    committing.add(name)  # the COMMIT follows
                else:
                    first_done.append("first" in committing)

            event.listen(s.connection(), "commit", at_commit)
            case = s.get(Case, case_id)
            case.amount_due = case.amount_due + 1
            case_changed(s, case)

    t1 = threading.Thread(target=writer, args=(a, "first", 0.6))
    t1.start()
    assert numbered.wait(10)
    t2 = threading.Thread(target=writer, args=(b, "second", 0.0))
    t2.start()
    t1.join(10)
    t2.join(10)
    with live.session() as s:
        s1, s2 = (s.scalar(select(ChangeRow.seq).where(ChangeRow.case_id == c)) for c in (a, b))
    # The later writer got the higher number, and only once the first was committing: it was
    # held back until the first one's COMMIT, however the threads are scheduled.
    assert s1 < s2 and first_done == [True]


def test_a_laptop_polling_with_nothing_new_is_served_while_the_database_is_being_written(world, db_url):
    """A pull that has nothing to write (the laptop asks again from the cursor it asked from
    before) reads outside a transaction: it does not wait for a writer, here one holding
    SQLite's write lock or, on PostgreSQL, the device's row. A pull that moves the device's
    cursor writes it, once the writer is done."""
    from sqlalchemy import text

    from fieldapp.server.db import make_engine
    from fieldapp.server.models import Device

    live, _ = world
    api = Api(live.url, "agent1")
    api.client.timeout = 10  # (the SQLite busy timeout, which a waiting pull would hit, is 30 s)
    _changes, cursor = api.pull_all()
    assert api.get("/api/v1/sync/pull", params={"cursor": cursor}).status_code == 200  # notes the cursor
    with live.session() as s:
        device_pk = s.scalar(select(Device.id).where(Device.device_id == api.device_id))
    engine = make_engine(db_url)
    blocker = engine.connect()
    try:
        blocker.begin()  # on SQLite, BEGIN IMMEDIATE: the write lock, as an import holds it
        if engine.dialect.name != "sqlite":
            blocker.execute(text("SELECT id FROM devices WHERE id = :id FOR UPDATE"), {"id": device_pk})
        for _ in range(3):
            idle = api.get("/api/v1/sync/pull", params={"cursor": cursor})
            assert idle.status_code == 200 and idle.json()["changes"] == []
        moved: list[int] = []
        older = threading.Thread(target=lambda: moved.append(
            api.get("/api/v1/sync/pull", params={"cursor": 0, "limit": 5}).status_code))
        older.start()
        older.join(0.5)
        assert older.is_alive() and not moved  # it waits for the writer: it has a cursor to note
        blocker.rollback()
    finally:
        blocker.close()
        engine.dispose()
    older.join(20)
    assert moved == [200]
    with live.session() as s:
        assert s.get(Device, device_pk).pull_cursor == 0


def test_a_laptop_polling_with_nothing_new_costs_one_statement(world):
    """The sign-in reads the cursor's checks and whether the agent has any change after the
    cursor in its one statement: a laptop polling while nothing changes asks for no page.
    Once there is a change for this agent, the page is read and carries it; one for another
    agent does not make this agent's pull read a page."""
    from sqlalchemy import event

    live, ids = world
    api = Api(live.url, "agent1")
    _changes, cursor = api.pull_all()
    api.get("/api/v1/sync/pull", params={"cursor": cursor})  # notes the cursor
    statements: list[str] = []

    def counted(params: dict) -> dict:
        statements.clear()
        response = api.get("/api/v1/sync/pull", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    @event.listens_for(live.engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    try:
        body = counted({"cursor": cursor})
        assert body["changes"] == [] and body["next_cursor"] == cursor and not body["has_more"]
        assert len(statements) == 1
        with live.session() as s, s.begin():
            case_changed(s, s.scalar(select(Case).where(Case.reference == "Q-1")))  # agent2's
        assert counted({"cursor": cursor})["changes"] == [] and len(statements) == 1
        with live.session() as s, s.begin():
            case_changed(s, s.get(Case, ids[3]))
        body = counted({"cursor": cursor})
        assert [c["case_id"] for c in body["changes"]] == [ids[3]] and body["next_cursor"] > cursor
        assert len(statements) > 1
    finally:
        event.remove(live.engine, "before_cursor_execute", _count)


def test_a_page_is_read_as_one_row_and_is_the_page_its_rows_make(world):
    """On SQLite the page's changes come joined in one row (`_PAGE_JOINED`, one GIL release in
    the sqlite3 module instead of one per change) and split into the rows `_PAGE` reads:
    upserts, tombstones of a closed and of a reassigned case, a document built under another
    stamp and a missing one, in seq order. A document holding a separator (no JSON text does)
    makes the page be read as rows, and it is the same page. PostgreSQL reads the rows."""
    from sqlalchemy import event, update

    from fieldapp.server.services import sync as sync_service

    live, ids = world
    sqlite = live.engine.dialect.name == "sqlite"
    with live.session() as s, s.begin():
        user_id = admin.find_user(s, "agent1").id
        admin.close_case(s, "P-002")
        admin.reassign_case(s, "P-004", "agent2")
        s.execute(update(Case).where(Case.id == ids[5]).values(document_stamp="an earlier format"))
        s.execute(update(Case).where(Case.id == ids[6]).values(document=None))
        case_changed(s, s.get(Case, ids[1]))  # a later change of a case: its row moves to the end
    values = {"recipient": user_id, "cursor": 0, "limit": 1001}

    def read(s) -> tuple[list[tuple], list[tuple], int]:  # type: ignore[no-untyped-def]
        statements: list[str] = []

        @event.listens_for(s.connection(), "before_cursor_execute")
        def _count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
            statements.append(statement)

        joined = [tuple(row) for row in sync_service._page_rows(s, values)]
        event.remove(s.connection(), "before_cursor_execute", _count)
        assert ("aggregate" in statements[0] or "group_concat" in statements[0]) == sqlite
        rows = [tuple(row[:-1]) + (bool(row[-1]),) for row in s.connection().execute(sync_service._PAGE, values)]
        return joined, rows, len(statements)

    with live.session() as s:
        joined, rows, statements = read(s)
    assert joined == rows and statements == 1
    assert [row[0] for row in joined] == sorted(row[0] for row in joined) and len(joined) == 25
    assert {(row[1], row[3]) for row in joined} == {("upsert", None), ("tombstone", "closed"),
                                                   ("tombstone", "unassigned")}
    assert joined[-1][2] == ids[1]
    assert {row[2]: row[8] for row in joined}[ids[6]] is None

    with live.session() as s, s.begin():
        s.execute(update(Case).where(Case.id == ids[8]).values(document='{"odd": "\x1e\x1f"}'))
    with live.session() as s:
        joined, rows, statements = read(s)
    assert joined == rows and statements == (2 if sqlite else 1)
    assert {row[2]: row[8] for row in joined}[ids[8]] == '{"odd": "\x1e\x1f"}'
    page = Api(live.url, "agent1").get("/api/v1/sync/pull", params={"cursor": 0, "limit": 1000}).content
    body = json.loads(page, strict=False)  # (the odd document's raw control characters are served as stored)
    assert [c["seq"] for c in body["changes"]] == [row[0] for row in rows]
    assert body["changes"][[row[2] for row in rows].index(ids[8])]["case"] == {"odd": "\x1e\x1f"}
    served = {c["case_id"]: c for c in body["changes"]}
    assert served[ids[5]]["case"]["id"] == ids[5] and served[ids[6]]["case"]["id"] == ids[6]  # rebuilt
    assert (served[ids[2]]["op"], served[ids[2]]["reason"]) == ("tombstone", "closed")


def test_a_page_asked_for_as_lines_is_the_same_page_with_each_document_as_stored(world):
    """With `Accept: application/x-ndjson` a page comes as lines: its head, its changes
    without their cases, then each change's case, the document the server stored, byte for
    byte. Split back, it is the JSON page; an empty page is its head and []."""
    from fieldapp.protocol.v1 import PULL_LINES

    live, ids = world
    with live.session() as s, s.begin():
        admin.close_case(s, "P-002")
        stored = {case.id: case.document for case in s.scalars(select(Case).where(Case.id.in_(ids)))}
    api = Api(live.url, "agent1")
    for params in ({"cursor": 0, "limit": 10}, {"cursor": 0, "limit": 1000}):
        as_json = api.get("/api/v1/sync/pull", params=params)
        as_lines = api.get("/api/v1/sync/pull", params=params, headers={"Accept": f"{PULL_LINES}, application/json"})
        assert as_json.headers["content-type"] == "application/json" and as_json.headers["vary"] == "Accept"
        assert as_lines.headers["content-type"] == PULL_LINES and as_lines.headers["vary"] == "Accept"
        page, lines = as_json.json(), as_lines.content.split(b"\n")
        head, changes, cases = json.loads(lines[0]), json.loads(lines[1]), lines[2:]
        assert head == {k: page[k] for k in ("next_cursor", "has_more")} | {"server_time": head["server_time"]}
        assert [{**change, "case": json.loads(case)} for change, case in zip(changes, cases, strict=True)] == \
            page["changes"]
        for change, case in zip(changes, cases):
            assert case == (stored[change["case_id"]].encode() if change["op"] == "upsert" else b"null")
    assert ("tombstone", "closed") in {(c["op"], c["reason"]) for c in changes}
    for accept in (f"{PULL_LINES};q=0, application/json", "application/json", "text/html, */*;q=0.8",
                   f"{PULL_LINES};q=nonsense"):  # lines only where they are named as acceptable
        answer = api.get("/api/v1/sync/pull", params={"cursor": 0, "limit": 5}, headers={"Accept": accept})
        assert answer.headers["content-type"] == "application/json" and len(answer.json()["changes"]) == 5
    answer = api.get("/api/v1/sync/pull", params={"cursor": 0, "limit": 5},
                     headers={"Accept": f"application/json;q=0.5, {PULL_LINES.upper()} ; q=0.9"})
    assert answer.headers["content-type"] == PULL_LINES
    empty = api.get("/api/v1/sync/pull", params={"cursor": head["next_cursor"]}, headers={"Accept": PULL_LINES})
    lines = empty.content.split(b"\n")
    assert len(lines) == 2 and lines[1] == b"[]" and json.loads(lines[0])["next_cursor"] == head["next_cursor"]

    # A document stored with line breaks between its tokens (JSON allows them) is still one line.
    from sqlalchemy import update

    with live.session() as s, s.begin():
        s.execute(update(Case).where(Case.id == ids[3]).values(document=json.dumps(json.loads(stored[ids[3]]),
                                                                                      indent=1)))
    lines = api.get("/api/v1/sync/pull", params={"cursor": 0, "limit": 1000}, headers={"Accept": PULL_LINES}
                    ).content.split(b"\n")
    changes = json.loads(lines[1])
    assert len(lines) == 2 + len(changes) == 2 + 25
    assert json.loads(lines[2 + [c["case_id"] for c in changes].index(ids[3])]) == json.loads(stored[ids[3]])
