"""Store contents: pulled pages, tombstones, the outbox, tasks, drafts, wipe, two threads."""

from __future__ import annotations

import threading

import pytest
from store_records import T0, blob, case_record, task, tombstone, upsert, visit

from fieldapp.core.errors import BadInput, Conflict, NotFound
from fieldapp.protocol.v1 import PushResult, item_content_hash
from fieldapp.store import Store
from fieldapp.store import cases as case_repo
from fieldapp.store import drafts as draft_repo
from fieldapp.store import outbox as outbox_repo


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s.db")
    yield s
    s.close()


def _apply(store, changes):
    with store.write() as s:
        result = case_repo.apply_changes(s, store.cipher, changes)
    store.delete_files(result.files_to_delete)
    return result


def _record(store, case_id, attachments=None, item_id=None, notes="agreed"):
    with store.write() as s:
        return outbox_repo.record(s, store.cipher, store.files, kind="visit", case_id=case_id,
                                  payload=visit(case_id, notes=notes, visit_id=item_id).model_dump(mode="json"),
                                  attachments=attachments or {}, now=T0, item_id=item_id,
                                  case_reference="REF").id


def _rows(store):
    with store.read() as s:
        return case_repo.list_rows(s, store.cipher)


def test_a_page_is_reduced_to_the_last_change_per_case(store):
    result = _apply(store, [upsert(1, case_record(1, amount="10.00")), upsert(2, case_record(2)),
                            upsert(3, case_record(1, amount="20.00")), tombstone(4, "case-00002")])
    assert (result.upserts, result.tombstones) == (1, 0)  # case 2 never reached the store
    rows = _rows(store)
    assert [(r.id, str(r.amount)) for r in rows] == [("case-00001", "20.00")]
    row = rows[0]
    assert row.customer_name == "Zhang Wei 1" and row.address.startswith("1 Zhongshan")
    assert row.compliance_allowed is True and row.appointment_end > row.appointment_start


def test_rows_decrypt_every_field_the_table_shows(store):
    _apply(store, [upsert(i, case_record(i)) for i in range(1, 8)])
    rows = {r.id: r for r in _rows(store)}
    assert rows["case-00007"].flags == ("vulnerable",)
    assert rows["case-00003"].days_past_due == 93 and rows["case-00003"].currency == "CNY"
    assert rows["case-00003"].timezone == "Asia/Shanghai" and rows["case-00003"].tier == "A"
    assert [r.id for r in _rows(store)] == [f"case-{i:05d}" for i in range(1, 8)]  # by appointment


def test_tombstone_purges_case_tasks_and_draft(store):
    _apply(store, [upsert(1, case_record(1, tasks=[task(1)]))])
    with store.write() as s:
        draft_repo.save_draft(s, store.cipher, "case-00001", {"step": "identity"}, T0)
    result = _apply(store, [tombstone(2, "case-00001")])
    assert result.purged == ["case-00001"] and result.kept == []
    assert store.counts() == {"cases": 0, "tasks": 0, "drafts": 0, "attachments": 0}


def test_tombstone_keeps_a_case_with_unsent_work_until_it_is_settled(store):
    _apply(store, [upsert(1, case_record(1)), upsert(2, case_record(2))])
    sha, data = blob("signature png")
    item = _record(store, "case-00001", {sha: data})
    result = _apply(store, [tombstone(3, "case-00001"), tombstone(4, "case-00002")])
    assert result.kept == ["case-00001"] and result.purged == ["case-00002"]
    row = _rows(store)[0]
    assert row.withdrawn == "unassigned" and row.unsent_items == 1
    with store.write() as s:
        assert case_repo.purge_settled(s) == ([], [])  # still unsent
        outbox_repo.apply_results(s, [PushResult(id=item, status="accepted")], T0)
    with store.write() as s:
        purged, files = case_repo.purge_settled(s)
    store.delete_files(files)
    assert purged == ["case-00001"] and files == [sha]
    assert not store.files.path(sha).exists()
    with store.read() as s:
        assert outbox_repo.rows(s)[0].state == "accepted"        # the receipt stays
        assert outbox_repo.payload(s, store.cipher, item) is None  # its personal payload does not


def test_upsert_after_tombstone_brings_the_case_back(store):
    _apply(store, [upsert(1, case_record(1))])
    _record(store, "case-00001")
    _apply(store, [tombstone(2, "case-00001")])
    _apply(store, [upsert(3, case_record(1))])
    assert _rows(store)[0].withdrawn is None


def test_rejected_items_keep_their_payload_when_the_case_goes(store):
    _apply(store, [upsert(1, case_record(1))])
    item = _record(store, "case-00001", notes="kept evidence")
    _apply(store, [tombstone(2, "case-00001")])
    with store.write() as s:
        outbox_repo.apply_results(s, [PushResult(id=item, status="rejected", code="not_yours",
                                                 reason="no longer assigned to you")], T0)
    with store.write() as s:
        case_repo.purge_settled(s)
    with store.read() as s:
        row = outbox_repo.rows(s)[0]
        assert (row.state, row.code, row.reason) == ("rejected", "not_yours", "no longer assigned to you")
        assert outbox_repo.payload(s, store.cipher, item)["notes"] == "kept evidence"
    assert store.counts()["cases"] == 0


def test_tasks_survive_upserts_with_their_done_mark(store):
    _apply(store, [upsert(1, case_record(1, tasks=[task(1), task(2)]))])
    with store.write() as s:
        assert draft_repo.mark_task_done(s, "task-1", T0)
    _apply(store, [upsert(2, case_record(1, tasks=[task(1), task(2)]))])
    with store.read() as s:
        assert [t.id for t in draft_repo.task_rows(s, store.cipher)] == ["task-2"]
        rows = draft_repo.task_rows(s, store.cipher, include_done=True)
    assert {t.id: t.done_at for t in rows} == {"task-1": T0, "task-2": None}
    assert rows[0].comment == "Please add the customer's reason"
    _apply(store, [upsert(3, case_record(1, tasks=[task(2)]))])
    assert store.counts()["tasks"] == 1


def test_record_hashes_like_the_protocol_and_stores_attachments_encrypted(store):
    _apply(store, [upsert(1, case_record(1))])
    sha, data = blob("%PDF-1.7 agreement")
    item = _record(store, "case-00001", {sha: data})
    with store.read() as s:
        entry = outbox_repo.unsent(s)[0]
        wire = outbox_repo.to_wire(store.cipher, entry, outbox_repo.attachment_map(s, [item])[item])
        assert outbox_repo.not_uploaded(s, [item]) == [sha]
    assert wire.content_hash == item_content_hash("visit", "case-00001", wire.payload, [sha])
    assert wire.attachments == [sha]
    assert data not in store.files.path(sha).read_bytes()
    assert store.files.read(sha) == data


def test_recording_the_same_item_twice_is_one_item_other_content_is_a_conflict(store):
    _apply(store, [upsert(1, case_record(1))])
    first = _record(store, "case-00001", item_id="visit-0001", notes="same")
    assert _record(store, "case-00001", item_id="visit-0001", notes="same") == first
    with pytest.raises(Conflict):
        _record(store, "case-00001", item_id="visit-0001", notes="different")
    assert store.counts()["outbox_waiting"] == 1


def test_attachment_bytes_must_match_their_hash(store):
    with pytest.raises(BadInput, match="do not hash"):
        _record(store, "case-00001", {"0" * 64: b"something else"})
    assert store.counts().get("outbox_waiting", 0) == 0


def test_failed_push_goes_back_to_waiting_with_the_error(store):
    _apply(store, [upsert(1, case_record(1))])
    item = _record(store, "case-00001")
    with store.write() as s:
        outbox_repo.mark_sending(s, [item])
        outbox_repo.mark_failed(s, [item], "Cannot reach the server")
    with store.read() as s:
        row = outbox_repo.rows(s)[0]
    assert (row.state, row.attempts, row.last_error) == ("waiting", 1, "Cannot reach the server")


def test_drafts_round_trip_and_need_a_case(store):
    _apply(store, [upsert(1, case_record(1))])
    with store.write() as s:
        draft_repo.save_draft(s, store.cipher, "case-00001", {"node": "offer", "answers": {"a": 1}}, T0)
        draft_repo.save_draft(s, store.cipher, "case-00001", {"node": "end"}, T0)
        with pytest.raises(NotFound):
            draft_repo.save_draft(s, store.cipher, "case-09999", {}, T0)
    with store.read() as s:
        assert draft_repo.load_draft(s, store.cipher, "case-00001").state == {"node": "end"}
    assert _rows(store)[0].has_draft
    with store.write() as s:
        assert draft_repo.delete_draft(s, "case-00001")
        assert draft_repo.load_draft(s, store.cipher, "case-00001") is None


def test_wipe_removes_everything_and_counts_unsent_items(store):
    _apply(store, [upsert(1, case_record(1, tasks=[task(1)])), upsert(2, case_record(2))])
    sha, data = blob("signature")
    _record(store, "case-00001", {sha: data})
    accepted = _record(store, "case-00002")
    with store.write() as s:
        outbox_repo.apply_results(s, [PushResult(id=accepted, status="accepted")], T0)
        store.update_meta(s, server_url="http://x", username="a", cursor=7, user={"id": "u"})
    device = store.meta().device_id
    assert store.wipe() == 1
    assert store.counts() == {"cases": 0, "tasks": 0, "drafts": 0, "attachments": 0}
    meta = store.meta()
    assert (meta.cursor, meta.username, meta.user) == (0, None, None) and meta.device_id != device
    assert list(store.files.directory.iterdir()) == []


def test_a_reader_and_a_writer_thread_share_the_store(store):
    errors: list[BaseException] = []

    def writer():
        try:
            for n in range(40):
                _apply(store, [upsert(n + 1, case_record(n % 10, amount=f"{n}.00"))])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def other_writer():
        try:
            for n in range(40):
                _record(store, f"case-{n % 10:05d}", item_id=f"visit-{n:04d}")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def reader():
        try:
            for _ in range(40):
                _rows(store)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=f) for f in (writer, other_writer, reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.counts()["outbox_waiting"] == 40 and store.integrity_ok()
