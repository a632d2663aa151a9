"""Practice mode: any shipped script against a simulated customer, from the command line too;
the completion says which script version was practised and nothing about anyone."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fieldapp.cli import main
from fieldapp.core.errors import BadInput
from fieldapp.protocol.v1 import PracticeRecord
from fieldapp.script import list_shipped, load_script
from fieldapp.script.practice import completion, simulated_case, start_practice
from fieldapp.sync.service import AgentService

NOW = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
ANSWERS = {"at_door": "answered", "confirm_identity": "confirmed", "talk_now": "yes_talk",
           "listen": {"answer": "income_fell", "note": "客户手机13800138000"}, "offers": "refuses"}


@pytest.mark.parametrize("shipped", list_shipped(), ids=lambda s: s.id)
def test_every_shipped_script_can_be_practised_to_an_end(shipped):
    script = load_script(shipped.path)
    rt = start_practice(script, "zh_CN", agent_name="练习者", clock=lambda: NOW)
    assert rt.case.get("agent_name") == "练习者"
    assert rt.case.get("customer_name") == simulated_case(script).get("customer_name")  # the sample customer
    while not rt.finished:
        view = rt.current
        rt.answer(view.options[-1].id if view.options else None) if view.type != "input" else rt.stop("distress")
    record = PracticeRecord.model_validate(completion(rt, practice_id="p-00000001", clock=lambda: NOW))
    assert (record.script_id, record.script_version, record.script_sha256) == (script.id, script.version,
                                                                               script.sha256)
    assert set(record.model_dump()) == {"practice_id", "script_id", "script_version", "script_sha256", "lang",
                                        "started_at", "completed_at", "outcome", "steps", "stopped"}


def test_an_unfinished_practice_has_no_completion():
    rt = start_practice(load_script("home_visit_us"), "en")
    with pytest.raises(BadInput, match="not finished"):
        completion(rt, practice_id="p-00000002")


def test_the_cli_practises_and_records_in_the_outbox(tmp_path, capsys):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(ANSWERS, ensure_ascii=False), encoding="utf-8")
    store = tmp_path / "store.db"
    code = main(["script", "practice", "home_visit_cn", "--answers", str(answers), "--lang", "zh_CN",
                 "--now", NOW.isoformat(), "--record", "--store", str(store)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["practice"]["script_id"] == "home_visit_cn" and out["practice"]["outcome"] == "refused"
    assert out["simulated_case"]["customer_name"] == "王芳"
    notes = [e["note"] for e in out["transcript"] if "note" in e]
    assert notes == ["客户手机138****8000"]          # masked even in practice
    service = AgentService(store_path=store)
    try:
        (row,) = service.outbox()
        assert (row.id, row.kind, row.case_id) == (out["recorded"], "practice", "")
        payload = service.outbox_payload(row.id)
        assert "note" not in json.dumps(payload) and payload["script_version"] == 3
        assert [(r.script_id, r.version) for r in service.practised()] == [("home_visit_cn", 3)]
    finally:
        service.close()


def test_the_cli_refuses_bad_answers_with_one_line(tmp_path, capsys):
    answers = tmp_path / "answers.json"
    answers.write_text('{"nowhere": "x"}', encoding="utf-8")
    assert main(["script", "practice", "home_visit_us", "--answers", str(answers)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such node(s) in the script: nowhere" in err[0]
