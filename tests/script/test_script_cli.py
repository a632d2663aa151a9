"""`fieldapp script validate` and `fieldapp script run`: output and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fieldapp.cli import main

from script_helpers import BROKEN

CN_ANSWERS = {"at_door": "answered", "confirm_identity": "confirmed", "talk_now": "yes_talk",
              "listen": {"answer": "income_fell", "note": "Lost his job in May"},
              "offers": "pay_by_date", "promise_amount": "1500", "promise_date": "2026-03-16"}


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_validate_shipped_scripts_exits_0(capsys):
    assert main(["script", "validate", "home_visit_cn", "home_visit_us"]) == 0
    out = capsys.readouterr().out
    assert "home_visit_cn.yaml: valid (52 nodes)" in out and "home_visit_us.yaml: valid" in out


def test_validate_invalid_script_exits_1_with_the_list(capsys):
    path = BROKEN / "debt_before_identity.yaml"
    assert main(["script", "validate", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{path}:26: node 'offer': discusses the debt but can be reached before the identity")
    assert out[-1] == f"{path}: 1 problem(s)"
    assert main(["script", "validate", "--lang", "zh_CN", str(path)]) == 1
    assert "涉及欠款，但可能在确认身份之前到达" in capsys.readouterr().out


def test_validate_json_output(capsys):
    assert main(["script", "validate", "--json", "home_visit_us", str(BROKEN / "check_loop.yaml")]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [r["valid"] for r in report] == [True, False]
    assert report[1]["issues"][0] == {"code": "check_loop", "file": str(BROKEN / "check_loop.yaml"), "line": 30,
                                      "node": "c1", "message": report[1]["issues"][0]["message"],
                                      "path": ["c1", "c2"]}


@pytest.mark.parametrize("name,reason", [
    ("missing.yaml", "cannot read the script"),
    ("bad_yaml.yaml", "bad_yaml.yaml:28: bad YAML"),
    ("no_such_script_id", "no shipped script with this id"),
])
def test_validate_unreadable_exits_2_with_one_line(capsys, name, reason):
    target = str(BROKEN / name) if name.endswith(".yaml") else name
    assert main(["script", "validate", target]) == 2
    err = capsys.readouterr().err.strip()
    assert reason in err and "\n" not in err and "Traceback" not in err


def test_run_prints_transcript_and_outcome(capsys, tmp_path):
    answers = _write(tmp_path, "answers.json", CN_ANSWERS)
    code = main(["script", "run", "home_visit_cn", "--answers", answers, "--lang", "zh_CN",
                 "--now", "2026-03-02T09:30:00+08:00"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["outcome"] == "promise_to_pay" and out["contact_made"] is True
    assert out["promise"] == {"amount": "1500.00", "currency": "CNY", "due_date": "2026-03-16"}
    assert out["notes"] == [{"node": "listen", "text": "Lost his job in May"}] and out["note_warnings"] == []
    events = [(e["event"], e["node"]) for e in out["transcript"]]
    assert events[0] == ("answer", "at_door") and events[-1] == ("end", "end_promise")
    assert all(e["at"] == "2026-03-02T01:30:00Z" for e in out["transcript"])
    said = [e for e in out["transcript"] if e["event"] == "said"]
    assert said[0]["disclosure"] == "introduction" and "示例银行" in said[0]["text"]


def test_run_with_a_case_file_a_stop_and_repeated_answers(capsys, tmp_path):
    case = {"customer_name": "Sam Lee", "agent_name": "Alex", "institution": "Example Recovery",
            "reference": "R-2", "amount_due": "300.00", "currency": "USD", "days_past_due": 30, "tier": "A"}
    answers = {"at_door": "answered", "confirm_identity": "confirmed", "talk_now": "yes_talk",
               "listen": "forgot", "offers": ["instalments", "settlement", {"stop": "asked_to_leave",
                                                                           "note": "Told me to shut up and go"}]}
    code = main(["script", "run", "home_visit_us", "--answers", _write(tmp_path, "a.json", answers),
                 "--case", _write(tmp_path, "case.json", case)])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["outcome"] == "asked_to_leave"
    assert [e["node"] for e in out["transcript"] if e["event"] == "said"][-3:] == [
        "instalments_not_offered", "settlement_not_offered", "asked_to_leave"]
    assert out["note_warnings"] == ["insult: shut up"]


@pytest.mark.parametrize("answers,reason", [
    ({"at_door": "answered"}, "no answer for node 'confirm_identity' (script line 67)"),
    ({**CN_ANSWERS, "promise_amount": "99999"}, "answer for node 'promise_amount': Enter at most 12,000.00 CNY."),
    ({**CN_ANSWERS, "nonsense": 1}, "no such node(s) in the script: nonsense"),
    ({**CN_ANSWERS, "offers": ["pay_now"], "payment_seen": "no"},
     "node 'offers' is reached 2 times but has 1 answer(s)"),
])
def test_run_with_bad_answers_exits_2(capsys, tmp_path, answers, reason):
    path = _write(tmp_path, "answers.json", answers)
    assert main(["script", "run", "home_visit_cn", "--answers", path, "--now", "2026-03-02T09:30:00+08:00"]) == 2
    err = capsys.readouterr().err.strip()
    assert reason in err and "\n" not in err


def test_run_with_unreadable_inputs_exits_2(capsys, tmp_path):
    broken = tmp_path / "answers.json"
    broken.write_text('{"at_door": "answered",\n "x": }\n', encoding="utf-8")
    assert main(["script", "run", "home_visit_cn", "--answers", str(broken)]) == 2
    assert "answers.json:2: bad JSON" in capsys.readouterr().err
    answers = _write(tmp_path, "a.json", CN_ANSWERS)
    assert main(["script", "run", "home_visit_cn", "--answers", answers,
                 "--case", _write(tmp_path, "case.json", {"amount_due": 5})]) == 2
    assert "the script needs these case fields" in capsys.readouterr().err


def test_run_refuses_an_invalid_script_with_exit_1(capsys, tmp_path):
    answers = _write(tmp_path, "a.json", {})
    assert main(["script", "run", str(BROKEN / "unreachable.yaml"), "--answers", answers]) == 1
    err = capsys.readouterr().err
    assert "unreachable.yaml:31: node 'orphan'" in err and "not run" in err


def test_the_installed_command_line_works(tmp_path):
    result = subprocess.run([sys.executable, "-m", "fieldapp", "script", "validate", "home_visit_us"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "valid (44 nodes)" in result.stdout
    result = subprocess.run([sys.executable, "-m", "fieldapp", "script", "validate"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
