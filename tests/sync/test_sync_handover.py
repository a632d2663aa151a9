"""The real app and server: a visit (with a signed agreement) recorded offline while the case
was the agent's reaches the server after the case was reassigned or closed."""

from __future__ import annotations

import datetime as dt

import pytest
from serverdata import PASSWORD, agreement_visit, visit_record
from sqlalchemy import select

from fieldapp.server import admin
from fieldapp.server.models import Agreement, Case, Visit


@pytest.fixture
def offline_visit(server, make_agent, make_service, app_clock):
    """An agent with two cases pulled to the laptop; two hours later a signed agreement is
    recorded on the first, offline; then the office reassigns it."""
    app_clock.tick = False
    agent, ids = make_agent(cases=2)
    other, _ = make_agent()
    svc = make_service()
    svc.login(server.url, agent, PASSWORD)
    svc.sync()
    app_clock.advance(hours=2)
    visit, files = agreement_visit(ids[0])  # begun an hour ago: the case was the agent's
    svc.record_visit(visit, files)
    app_clock.advance(minutes=30)
    return {"svc": svc, "visit": visit, "ids": ids, "agent": agent, "other": other, "clock": app_clock}


def _external(server, case_id):
    with server.session() as s:
        return s.get(Case, case_id).external_id


@pytest.mark.parametrize("how", ["reassign", "close"])
def test_the_visit_is_accepted_after_the_case_moved_on(server, offline_visit, how):
    w = offline_visit
    with server.session() as s, s.begin():
        if how == "reassign":
            admin.reassign_case(s, _external(server, w["ids"][0]), w["other"])
        else:
            admin.close_case(s, _external(server, w["ids"][0]))
    w["clock"].advance(hours=5)  # back online in the evening
    summary = w["svc"].sync()
    assert summary.pushed_accepted == 1 and summary.rejected == [], summary.rejected
    with server.session() as s:
        v = s.get(Visit, w["visit"].visit_id)
        assert v.late == ("unassigned" if how == "reassign" else "closed")
        assert s.scalar(select(Agreement.visit_id).where(Agreement.visit_id == v.id)) == v.id
    # The case left the laptop once its work was delivered.
    assert {r.id for r in w["svc"].list_cases()} == {w["ids"][1]}
    [row] = w["svc"].outbox()
    assert row.state == "accepted"


def test_the_visit_is_accepted_even_if_the_laptop_pulled_the_change_first(server, offline_visit):
    """The push of that sync failed (say): the pull brought the tombstone and the case stays
    on the laptop for its unsent visit, which the next sync delivers."""
    from fieldapp.sync.engine import SyncEngine, SyncSummary

    w = offline_visit
    with server.session() as s, s.begin():
        admin.reassign_case(s, _external(server, w["ids"][0]), w["other"])
    svc = w["svc"]
    SyncEngine(svc.store, svc._transport_for(server.url), svc._token).pull(SyncSummary(), lambda *a: None)
    assert {r.id: r.withdrawn for r in svc.list_cases()}[w["ids"][0]] == "unassigned"
    w["clock"].advance(hours=1)
    summary = svc.sync()
    assert summary.pushed_accepted == 1 and summary.rejected == [], summary.rejected
    with server.session() as s:
        assert s.get(Visit, w["visit"].visit_id).late == "unassigned"


def test_a_visit_begun_after_the_reassignment_is_refused_with_the_reason(server, offline_visit):
    w = offline_visit
    with server.session() as s, s.begin():
        admin.reassign_case(s, _external(server, w["ids"][1]), w["other"])
    w["clock"].advance(hours=2)
    late = visit_record(w["ids"][1])  # begun an hour ago, after the case was taken away
    w["svc"].record_visit(late)
    summary = w["svc"].sync()
    assert summary.pushed_accepted == 1  # the agreement, recorded on the case still held
    [rejected] = summary.rejected
    assert rejected.code == "not_yours" and "when this visit began" in rejected.reason
    with server.session() as s:
        assert s.get(Visit, late.visit_id) is None
    assert dt.timedelta(0) < w["clock"]() - late.agent_started_at
