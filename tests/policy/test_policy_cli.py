"""`fieldapp check`: exit codes, JSON and --explain output, languages, machine time zone."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from policy_builders import at_distance, context_data

from fieldapp.cli import main
from fieldapp.policy import Decision


def write(tmp_path, data, name="ctx.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def run(capsys, *argv):
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_allowed_exits_0_with_decision_json(tmp_path, capsys):
    ctx = write(tmp_path, context_data("cn", "2026-03-02 10:00", now="2026-03-02 10:00", agent=at_distance(30)))
    code, out, err = run(capsys, "--policy", "cn", ctx)
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert list(data) == ["allowed", "check", "policy", "evaluated_at", "language", "summary", "results"]
    assert data["allowed"] is True and data["policy"] == {"id": "cn", "version": "2026.1"}
    assert data["evaluated_at"] == "2026-03-02T10:00:00+08:00"
    assert list(data["results"][0]) == ["rule", "category", "passed", "severity", "message", "code", "facts"]
    assert Decision.from_json(data).to_json() == data


def test_blocked_exits_1(tmp_path, capsys):
    ctx = write(tmp_path, context_data("us-fdcpa", "2026-03-04 20:45", "2026-03-04 21:15"))
    code, out, _ = run(capsys, "--policy", "us-fdcpa", ctx)
    assert code == 1 and json.loads(out)["allowed"] is False


def test_chinese_sentences(tmp_path, capsys):
    ctx = write(tmp_path, context_data("cn", "2026-03-02 21:30", "2026-03-02 22:30"))
    code, out, _ = run(capsys, "--policy", "cn", ctx, "--lang", "zh_CN")
    data = json.loads(out)
    hours = next(r for r in data["results"] if r["rule"] == "window.hours")
    assert code == 1 and data["language"] == "zh_CN"
    assert hours["message"] == "预约于北京时间 22:30 结束，晚于最晚允许的 22:00。"
    assert data["summary"] == "依据“中国：银行业协会催收工作指引”（2026.1 版），不允许上门：允许时段。"


def test_explain_is_readable_text(tmp_path, capsys):
    ctx = write(tmp_path, context_data("ie", "2026-03-08 10:00"))
    code, out, _ = run(capsys, "--policy", "ie", ctx, "--explain")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "ie 2026.1 · planning check: BLOCKED"
    assert any(line.startswith("  [FAIL] window.days") and "Sunday 2026-03-08" in line for line in lines)
    assert any(line.startswith("  [PASS] window.hours") for line in lines)
    code, out, _ = run(capsys, "--policy", "ie", ctx, "--explain", "--lang", "zh")
    assert "[不通过] window.days" in out and "星期日" in out


def test_policy_file_path(tmp_path, capsys):
    from test_policy_files import GOOD

    policy = tmp_path / "acme.toml"
    policy.write_text(GOOD, encoding="utf-8")
    ctx = write(tmp_path, context_data("cn", "2026-03-02 10:00"))
    code, out, _ = run(capsys, "--policy", str(policy), ctx)
    assert code == 0 and json.loads(out)["policy"]["id"] == "acme"


def test_stdin(tmp_path, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(context_data("cn", "2026-03-02 10:00"))))
    code, out, _ = run(capsys, "--policy", "cn", "-")
    assert code == 0


@pytest.mark.parametrize("args,words", [
    (["--policy", "atlantis", "{ctx}"], "unknown policy 'atlantis'"),
    (["--policy", "cn", "{missing}"], "context file not found"),
    (["--policy", "cn", "{broken}"], "broken.json:1:14: not valid JSON"),
    (["--policy", "cn", "{naive}"], "naive.json: appointment.start: '2026-03-02T10:00:00' has no UTC offset"),
    (["--policy", "cn", "{ctx}", "--lang", "fr"], "unsupported language 'fr'"),
    (["--policy", "us-ma", "{ctx}"], "policy us-ma applies to US-MA"),
    (["--policy", "{badpolicy}", "{ctx}"], "bad.toml: window.start: impossible time '25:00'"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, args, words):
    from test_policy_files import GOOD

    naive = context_data("cn", "2026-03-02 10:00")
    naive["appointment"]["start"] = "2026-03-02T10:00:00"
    (tmp_path / "broken.json").write_text('{"customer": }', encoding="utf-8")
    (tmp_path / "bad.toml").write_text(GOOD.replace('"09:00"', '"25:00"'), encoding="utf-8")
    paths = {"ctx": write(tmp_path, context_data("cn", "2026-03-02 10:00")),
             "missing": str(tmp_path / "missing.json"), "broken": str(tmp_path / "broken.json"),
             "naive": write(tmp_path, naive, "naive.json"), "badpolicy": str(tmp_path / "bad.toml")}
    code, out, err = run(capsys, *[a.format(**paths) for a in args])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("fieldapp check: ") and words in err, err
    assert "Traceback" not in err


def test_missing_policy_argument_is_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", write(tmp_path, context_data("cn", "2026-03-02 10:00"))])
    assert exc.value.code == 2


def _fieldapp(args, tz):
    env = {**os.environ, "TZ": tz}
    return subprocess.run([sys.executable, "-m", "fieldapp", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_machine_time_zone_does_not_change_the_output(tmp_path):
    """The same check under TZ=Pacific/Kiritimati (UTC+14) and TZ=America/Los_Angeles."""
    data = context_data("cn-bank-home-visit", "2026-02-28 17:00", "2026-02-28 18:00", now="2026-02-28 16:50",
                        agent=at_distance(120), visits=[("2026-02-27 23:30", True)])
    ctx = write(tmp_path, data)
    kiritimati = _fieldapp(["check", "--policy", "cn-bank-home-visit", ctx], "Pacific/Kiritimati")
    los_angeles = _fieldapp(["check", "--policy", "cn-bank-home-visit", ctx], "America/Los_Angeles")
    assert kiritimati.returncode == los_angeles.returncode == 0, kiritimati.stderr
    assert kiritimati.stdout == los_angeles.stdout
    blocked = write(tmp_path, context_data("us-fdcpa", "2026-11-01 20:30", "2026-11-01 21:01"), "b.json")
    assert _fieldapp(["check", "--policy", "us-fdcpa", blocked], "Pacific/Kiritimati").returncode == 1
