"""A pushed visit is added to its case's stored document without rebuilding the case: the
document must stay byte for byte what a full rebuild from the database writes."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from fieldapp.core.timeutil import UTC
from fieldapp.server.compliance import Assessor
from fieldapp.server.models import Appointment, Case, ChangeRow, Notification, Visit
from fieldapp.server.services.records import append_visits, case_document, load_cases, refresh_documents

from .kit import Api, add_case, item, make_people, visit_payload

START = dt.datetime(2030, 3, 4, 14, 0, tzinfo=UTC)  # 09:00 in Boston


def _visit(case_id: str, at: dt.datetime, **kw) -> dict:
    stamp = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731
    return visit_payload(case_id, agent_started_at=stamp(at), checked_in_at=stamp(at + dt.timedelta(minutes=5)),
                         ended_at=stamp(at + dt.timedelta(minutes=30)), **kw)


def _stored_and_rebuilt(live, case_id: str) -> tuple[str, str]:
    with live.session() as s:
        stored = s.scalar(select(Case.document).where(Case.id == case_id))
        rebuilt, _stamp = case_document(load_cases(s, [case_id])[case_id], Assessor())
    return stored, rebuilt


@pytest.fixture
def world(live):
    with live.session() as s, s.begin():
        make_people(s)
        case_id = add_case(s, "PD-1", "agent1", policy_id="us-ma", region="US-MA", timezone="America/New_York",
                           start=START)
    return live, case_id, Api(live.url, "agent1")


def test_pushed_visits_leave_the_document_a_full_rebuild_writes(world):
    live, case_id, api = world
    # Old history, then visits counted by the policy's 30-day limit, one push at a time and
    # several in one push; each time the stored document equals a rebuild, byte for byte.
    for days in (400, 300, 200, 100, 45):
        assert api.push(item(case_id, _visit(case_id, START - dt.timedelta(days=days))))[0]["status"] == "accepted"
        stored, rebuilt = _stored_and_rebuilt(live, case_id)
        assert stored == rebuilt
    assert '"rule":"frequency.visits"' not in stored  # nothing within 30 days yet
    returned_id = str(uuid.uuid4())
    batch = [item(case_id, _visit(case_id, START - dt.timedelta(days=d), **extra))
             for d, extra in ((20, {"visit_id": returned_id}), (10, {}), (9, {"contact_made": False}))]
    assert {r["status"] for r in api.push(*batch)} == {"accepted"}
    stored, rebuilt = _stored_and_rebuilt(live, case_id)
    assert stored == rebuilt and '"rule":"frequency.visits"' in stored
    # The lead returns one: a task; the agent's correction removes it again.
    lead = Api(live.url, "lead1")
    decision = {"visit_id": returned_id, "decision": "return", "comment": "photo missing",
                "decided_at": "2030-03-01T03:00:00Z", "expected_state": "pending"}
    assert lead.push(item(case_id, decision, kind="review_decision"))[0]["status"] == "accepted"
    stored, rebuilt = _stored_and_rebuilt(live, case_id)
    assert stored == rebuilt and '"kind":"visit_returned"' in stored
    fix = _visit(case_id, START - dt.timedelta(days=2), corrects_visit_id=returned_id)
    assert api.push(item(case_id, fix))[0]["status"] == "accepted"
    stored, rebuilt = _stored_and_rebuilt(live, case_id)
    assert stored == rebuilt and '"kind":"visit_returned"' not in stored
    # A visit older than the latest one goes in the middle: the document is rebuilt.
    assert api.push(item(case_id, _visit(case_id, START - dt.timedelta(days=50))))[0]["status"] == "accepted"
    stored, rebuilt = _stored_and_rebuilt(live, case_id)
    assert stored == rebuilt
    # The appointment's own visit (it becomes "visited").
    assert api.push(item(case_id, _visit(case_id, START)))[0]["status"] == "accepted"
    stored, rebuilt = _stored_and_rebuilt(live, case_id)
    assert stored == rebuilt
    changes, _cursor = api.pull_all()
    assert [c["op"] for c in changes] == ["upsert"]
    assert len(changes[0]["case"]["visits"]) == 11
    with live.session() as s:  # one change row per (agent, case), as before
        rows = s.execute(select(ChangeRow.op, ChangeRow.reason).where(ChangeRow.case_id == case_id)).all()
    assert [tuple(r) for r in rows] == [("upsert", None)]


def test_a_new_visit_is_appended_without_a_rebuild(world):
    live, case_id, api = world
    for days in (90, 60, 5):
        assert api.push(item(case_id, _visit(case_id, START - dt.timedelta(days=days))))[0]["status"] == "accepted"
    with live.session() as s, s.begin():
        case = s.get(Case, case_id)
        latest = s.scalars(select(Visit).where(Visit.case_id == case_id).order_by(Visit.started_at)).all()
        before = case.document
        # Appending the latest visit once more to a document without it gives the full document.
        without = before.replace("," + before[before.index('{"id":"' + latest[-1].id):before.rindex('],"tasks":[')],
                                 "", 1)
        case.document = without
        assert append_visits(s, case, [latest[-1]]) is True
        assert case.document == before
        # A visit older than the latest recorded one is not appended.
        assert append_visits(s, case, [latest[0]]) is False
        s.rollback()


@pytest.mark.parametrize("managed", [False, True], ids=["imported-appointment", "fieldapp-appointment"])
def test_an_appended_visit_keeps_the_calls_and_the_notices_a_rebuild_writes(world, managed):
    """The customer, the calls and the notices of an appended document come from the stored
    one: they must be what the rows say, also when the visit changes which notices count
    (an appointment fieldapp arranged: its own notices; one imported: those of the case)."""
    live, case_id, api = world
    call = {"attempt_id": str(uuid.uuid4()), "case_id": case_id, "channel": "call", "result": "no_answer",
            "at": (START - dt.timedelta(days=3)).isoformat(), "note": "rang twice"}
    assert api.push(item(case_id, call, kind="contact_attempt"))[0]["status"] == "accepted"
    with live.session() as s, s.begin():
        appt = s.scalar(select(Appointment).where(Appointment.case_id == case_id))
        if managed:
            appt.state, appt.state_at = "delivered", START - dt.timedelta(days=2)
        notice = Notification(case_id=case_id, channel="email", sent_at=START - dt.timedelta(days=2),
                              delivered_at=START - dt.timedelta(days=2), appointment_id=appt.id)
        s.add(notice)
        s.flush()
        refresh_documents(s, [case_id])
    assert api.push(item(case_id, _visit(case_id, START - dt.timedelta(days=1))))[0]["status"] == "accepted"
    stored, rebuilt = _stored_and_rebuilt(live, case_id)
    assert stored == rebuilt and '"channel":"call"' in stored
    assert (notice.id in stored) is managed
    # The appointment's own visit: it becomes "visited", and an imported one now counts its
    # own notices (another set than before).
    assert api.push(item(case_id, _visit(case_id, START)))[0]["status"] == "accepted"
    stored, rebuilt = _stored_and_rebuilt(live, case_id)
    assert stored == rebuilt and '"state":"visited"' in stored and '"channel":"call"' in stored
    assert notice.id in stored
