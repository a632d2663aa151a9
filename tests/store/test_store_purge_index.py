"""The purge after every sync finds withdrawn cases through their partial index, not by
reading the case table; and it still purges them."""

from __future__ import annotations

from sqlalchemy import select, text
from store_records import case_record, tombstone, upsert

from fieldapp.store import Store
from fieldapp.store import cases as case_repo
from fieldapp.store.models import Case


def test_the_withdrawn_lookup_uses_the_partial_index_and_purges(tmp_path):
    store = Store(tmp_path / "s.db")
    try:
        with store.write() as s:
            case_repo.apply_changes(s, store.cipher, [upsert(i, case_record(i)) for i in range(1, 51)])
            stmt = select(Case.id).where(Case.withdrawn.is_not(None))
            sql = str(stmt.compile(compile_kwargs={"literal_binds": True}))
            plan = " ".join(str(row[-1]) for row in s.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "ix_cases_withdrawn_set" in plan and "SCAN" not in plan, plan
            assert case_repo.purge_settled(s) == ([], [])
            case_repo.mark_all_withdrawn(s, "resync")
        with store.write() as s:
            purged, _files = case_repo.purge_settled(s)
        assert len(purged) == 50
        with store.write() as s:
            case_repo.apply_changes(s, store.cipher, [upsert(60, case_record(1)), tombstone(61, "case-00001")])
            assert s.scalar(select(Case.id)) is None
    finally:
        store.close()
