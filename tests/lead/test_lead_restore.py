"""A lead's laptop after the server was restored from a backup: its queue cursor comes
from a history the server no longer has, so the queue is pulled again and the decisions
the server had accepted are sent again (duplicates where the backup kept them)."""

from __future__ import annotations

from sqlalchemy import select

from fieldapp.core.timeutil import utcnow
from fieldapp.server.models import Review
from fieldapp.server.services.history import open_stretch
from fieldapp.store import reviews as review_repo
from lead.lead_world import add_case, visit


def test_a_lead_resends_its_decisions_after_a_restore(server, laptop):
    with server.session() as s, s.begin():
        case_id = add_case(s, "RS-1")
    agent = laptop("agent", "agent1", server)
    agent.sync()
    v = visit(case_id)
    agent.record_visit(v)
    agent.sync()
    lead = laptop("lead", "lead1", server)
    lead.sync()
    lead.decide(v.visit_id, "approve")
    assert lead.sync().sync.pushed_accepted == 1
    # As after a restore: the server's numbers move on past a gap that holds the lead's
    # queue cursor (a history this database does not have).
    with server.session() as s, s.begin():
        last, start = open_stretch(s)
    with lead.store.write() as s:
        review_repo.set_cursor(s, (last + start) // 2, utcnow())
    lead.sync()  # 409 on the queue: pulled again, decisions queued to be sent again
    assert [r.state for r in lead.agent.outbox()] == ["waiting"]
    again = lead.sync()
    assert (again.sync.pushed_duplicate, again.sync.rejected) == (1, [])
    assert [row.state for row in lead.queue()] == ["approved"]
    with server.session() as s:
        assert s.scalar(select(Review.state).where(Review.visit_id == v.visit_id)) == "approved"
