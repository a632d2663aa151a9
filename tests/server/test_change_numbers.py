"""Change numbers are taken at commit: `emit` notes a change, the commit numbers it (the
counter's lock is then held for the commit alone). A savepoint rolled back drops what was
noted inside it; an ended assignment period carries the number of the tombstone that ends it."""

from __future__ import annotations

from sqlalchemy import select

from fieldapp.server.db import session_factory
from fieldapp.server.models import AssignmentPeriod, Case, ChangeRow, User
from fieldapp.server.services.changes import case_changed, emit, last_seq

from .kit import add_case, make_people


def _changes(s) -> list[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    return [(r.case_id, r.op, r.seq) for r in s.scalars(select(ChangeRow).order_by(ChangeRow.seq))]


def test_numbers_come_at_commit_and_a_rolled_back_savepoint_drops_its_changes(engine):
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        make_people(s)
        kept, dropped = add_case(s, "N-1", "agent1"), add_case(s, "N-2", "agent1")
    with sessions() as s, s.begin():
        agent = s.scalar(select(User).where(User.username == "agent1"))
        before, old = last_seq(s), {case_id: seq for case_id, _op, seq in _changes(s)}
        emit(s, agent.id, kept, "upsert")
        savepoint = s.begin_nested()
        emit(s, agent.id, dropped, "upsert")
        savepoint.rollback()
        assert last_seq(s) == before  # nothing numbered yet: the counter is untouched
    with sessions() as s:
        seqs = {case_id: seq for case_id, _op, seq in _changes(s)}
        assert seqs[kept] == last_seq(s) == before + 1  # numbered by the commit, one number
        assert seqs[dropped] == old[dropped]  # still the change from when it was added


def test_a_rolled_back_transaction_numbers_nothing(engine):
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        make_people(s)
        case_id = add_case(s, "N-3", "agent1")
    with sessions() as s:
        before = (last_seq(s), _changes(s))
        s.rollback()
    with sessions() as s:
        s.begin()
        emit(s, s.scalar(select(User.id).where(User.username == "agent1")), case_id, "tombstone", "closed")
        s.rollback()
        s.commit()  # a later commit of the same session does not number the dropped change
    with sessions() as s:
        assert (last_seq(s), _changes(s)) == before


def test_a_closed_case_s_period_ends_with_its_tombstone_s_number(engine):
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        make_people(s)
        case_id = add_case(s, "N-4", "agent1")
    with sessions() as s, s.begin():
        case = s.get(Case, case_id)
        case.status = "closed"
        case_changed(s, case)
        assert s.scalar(select(AssignmentPeriod).where(AssignmentPeriod.case_id == case_id)) is None
    with sessions() as s:
        period = s.scalar(select(AssignmentPeriod).where(AssignmentPeriod.case_id == case_id))
        (change,) = [c for c in _changes(s) if c[0] == case_id]
        assert period is not None and period.end_reason == "closed"
        assert change[1] == "tombstone" and period.end_seq == change[2] == last_seq(s)
