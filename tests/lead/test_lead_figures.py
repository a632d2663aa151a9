"""Team figures checked against a hand-built month of visits (Asia/Shanghai, March 2026)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest

from fieldapp.protocol.lead import FiguresResponse
from fieldapp.protocol.v1 import item_content_hash
from lead.lead_world import add_case, make_agreement, password, visit
from server.kit import Api

UTC = dt.timezone.utc


def at(day: int, hour_local: int, minute: int = 0, month: int = 3) -> dt.datetime:
    """A moment given in Shanghai local time, as UTC."""
    local = dt.datetime(2026, month, day, hour_local, minute, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return local.astimezone(UTC)


def _push(api: Api, case_id: str, payload: dict, kind: str = "visit", attachments=()) -> None:
    attachments = sorted(attachments)
    [res] = api.push({"id": str(uuid.uuid4()), "kind": kind, "case_id": case_id,
                      "created_at": "2026-03-31T10:00:00Z", "payload": payload, "attachments": attachments,
                      "content_hash": item_content_hash(kind, case_id, payload, attachments)})
    assert res["status"] == "accepted", res


@pytest.fixture(scope="module")
def month(module_server):
    live = module_server
    tag = uuid.uuid4().hex[:6]
    with live.session() as s, s.begin():
        c1 = add_case(s, f"FIG-1-{tag}", "agent1")
        c2 = add_case(s, f"FIG-2-{tag}", "agent1")
        c3 = add_case(s, f"FIG-3-{tag}", "agent2")
        c4 = add_case(s, f"FIG-4-{tag}", "agent3")
    apis = {}
    for name in ("agent1", "agent2", "agent3", "lead1", "lead2"):
        apis[name] = Api(live.url)
        apis[name].login(name, password(name))

    def send(who, case_id, v, files=None):
        for data in (files or {}).values():
            apis[who].upload(data)
        _push(apis[who], case_id, v.model_dump(mode="json"))
        return v

    a1 = apis["agent1"]
    # agent1: a promise kept by a later payment; a payment; nobody home without location;
    # an agreement outside the geofence, returned and corrected; a refusal with an abusive
    # phrase one minute into March; one visit a minute before March (not counted).
    send("agent1", c1, visit(c1, started=at(2, 10), promise=("500.00", dt.date(2026, 3, 10))))
    send("agent1", c1, visit(c1, outcome="paid", started=at(9, 15)))
    send("agent1", c2, visit(c2, outcome="not_home", started=at(5, 9), location=False))
    agreement, files = make_agreement(f"REF-FIG-2-{tag}", total="1200.00")
    first = send("agent1", c2, visit(c2, outcome="agreement_signed", started=at(6, 11), geofence="far",
                                     agreement=agreement), files)
    _push(apis["lead1"], c2, {"visit_id": first.visit_id, "decision": "return", "comment": "位置超出范围",
                              "decided_at": "2026-03-06T08:00:00Z", "expected_state": "pending"},
          kind="review_decision")
    again, files = make_agreement(f"REF-FIG-2-{tag}", total="1000.00")
    send("agent1", c2, visit(c2, outcome="agreement_signed", started=at(7, 11), agreement=again,
                             corrects=first.visit_id), files)
    send("agent1", c1, visit(c1, outcome="refused", started=at(1, 0, 1), note_warnings=["insult"]))
    send("agent1", c1, visit(c1, outcome="refused", started=at(28, 23, 59, month=2)))
    # agent2: a promise broken (due 2026-03-05, no payment), a promise not yet due.
    send("agent2", c3, visit(c3, started=at(3, 14), promise=("300.00", dt.date(2026, 3, 5))))
    send("agent2", c3, visit(c3, started=at(31, 23, 59), promise=("200.00", dt.date(2099, 1, 1))))
    # another team's agent: never in team t1's figures
    send("agent3", c4, visit(c4, started=at(10, 10)))
    yield apis
    for api in apis.values():
        api.close()


URL = "/api/v1/lead/figures?from=2026-03-01&to=2026-03-31&tz=Asia/Shanghai"


def test_figures_match_the_hand_count(month):
    body = FiguresResponse.model_validate(month["lead1"].get(URL).json())
    assert body.team == "t1" and (body.date_from, body.date_to) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    by = {row.agent.username: row for row in body.agents}
    assert list(by) == ["agent1", "agent2"]
    a1, a2, total = by["agent1"], by["agent2"], body.total
    # agent1: promise, paid, not home, corrected agreement (the returned one is replaced), refusal
    assert (a1.visits, a1.contacts) == (5, 4)
    assert (a1.promises, a1.promises_due, a1.promises_kept) == (1, 1, 1)
    assert a1.promised_amounts == {"CNY": "500.00"}
    assert (a1.agreements, a1.agreement_amounts) == (1, {"CNY": "1000.00"})
    assert a1.visits_with_exceptions == 2
    assert a1.exceptions == {"location_missing": 1, "warnings": 1, "abusive_phrases": 1}
    assert {k.value: n for k, n in a1.outcomes.items()} == {
        "promise_to_pay": 1, "paid": 1, "not_home": 1, "agreement_signed": 1, "refused": 1}
    assert (a2.visits, a2.contacts, a2.promises, a2.promises_due, a2.promises_kept) == (2, 2, 2, 1, 0)
    assert a2.promised_amounts == {"CNY": "500.00"} and a2.agreements == 0 and a2.visits_with_exceptions == 0
    assert (total.visits, total.contacts, total.promises, total.promises_due, total.promises_kept) == (7, 6, 3, 2, 1)
    assert total.promised_amounts == {"CNY": "1000.00"} and total.agreement_amounts == {"CNY": "1000.00"}


def test_the_period_follows_the_zone(month):
    """In UTC, the visit at 00:01 on 1 March in Shanghai is still 28 February; the one at
    23:59 on 31 March in Shanghai (15:59 UTC) stays in March."""
    body = month["lead1"].get("/api/v1/lead/figures?from=2026-03-01&to=2026-03-31&tz=UTC").json()
    by = {row["agent"]["username"]: row for row in body["agents"]}
    assert (by["agent1"]["visits"], by["agent2"]["visits"]) == (4, 2)
    one_day = month["lead1"].get("/api/v1/lead/figures?from=2026-03-09&to=2026-03-09&tz=Asia/Shanghai").json()
    assert one_day["total"]["visits"] == 1 and one_day["total"]["outcomes"] == {"paid": 1}


def test_the_csv_export(month):
    r = month["lead1"].get(URL + "&format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="team-figures-2026-03-01-2026-03-31.csv"' in r.headers["content-disposition"]
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:5] == ["Agent", "Name", "Visits", "Contacts", "Contact rate"]
    assert rows[1][:9] == ["agent1", "Wang Agent", "5", "4", "80.0%", "1", "1", "1", "100.0%"]
    assert rows[1][9:18] == ["500.00 CNY", "1", "1000.00 CNY", "2", "1", "0", "1", "1", "0"]
    assert rows[3][:5] == ["Team total", "", "7", "6", "85.7%"] and len(rows) == 4
    zh = month["lead1"].get(URL + "&format=csv", headers={"Accept-Language": "zh-CN"})
    header = next(csv.reader(io.StringIO(zh.content.decode("utf-8")[1:])))
    assert header[:3] == ["外访专员", "姓名", "拜访记录"]


def test_the_lead_service_fetches_keeps_and_exports_figures(module_server, laptop, tmp_path, month):
    lead = laptop("lead", "lead1", module_server)
    got = lead.figures(dt.date(2026, 3, 1), dt.date(2026, 3, 31), "Asia/Shanghai")
    assert got.total.visits == 7
    assert lead.cached_figures() == got  # kept for offline
    path = lead.export_figures_csv(got, tmp_path / "figures.csv")
    assert path.read_bytes().startswith("\ufeff".encode()) and b"agent1" in path.read_bytes()
