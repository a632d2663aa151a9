"""A notice recorded after the time of the check cannot count; practice a policy may require."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from policy_builders import at_distance, context_data, decide, result

from fieldapp.cli import main
from fieldapp.core.errors import BadInput
from fieldapp.policy import Context, evaluate, load_policy, parse_policy

SH = dt.timezone(dt.timedelta(hours=8))


def _issue_context(now: str | None = None) -> dict:
    """The issue's case: the check runs on 2026-12-05, the notice claims delivery on 2027-06-08."""
    data = context_data("cn", "2027-06-10 10:00")
    data["notifications"] = [{"channel": "sms", "sent_at": "2027-06-08T09:00:00+08:00",
                              "delivered_at": "2027-06-08T09:01:00+08:00"}]
    if now:
        data["now"] = now
    return data


def test_the_cli_planning_check_uses_the_application_clock(tmp_path, capsys, app_clock):
    app_clock.set(dt.datetime(2026, 12, 5, 10, 0, tzinfo=SH))
    path = tmp_path / "ctx.json"
    path.write_text(json.dumps(_issue_context()), encoding="utf-8")
    code = main(["check", "--policy", "cn", str(path)])
    out = json.loads(capsys.readouterr().out)
    notice = next(r for r in out["results"] if r["rule"] == "notice.lead_time")
    assert code == 1 and out["allowed"] is False
    assert notice["code"] == "notice.lead_time.future_sent"
    assert notice["message"].startswith(
        "The notice by SMS is recorded as sent at 2027-06-08 09:00 China time, later than the time "
        "of this check (2026-12-05 10:00); a notice cannot count before it has happened.")
    app_clock.set(dt.datetime(2027, 6, 9, 10, 0, tzinfo=SH))  # a day after delivery: it counts
    assert main(["check", "--policy", "cn", str(path)]) == 0


def test_a_check_in_uses_its_own_time_and_the_allowed_clock_skew():
    late = decide("cn", _issue_context(now="2026-12-05T10:00:00+08:00"))
    assert result(late, "notice.lead_time").code == "notice.lead_time.future_sent"
    assert not late.allowed
    data = context_data("cn", "2026-03-02 10:00", now="2026-03-02 09:50", agent=at_distance(20))
    data["notifications"] = [{"channel": "sms", "sent_at": "2026-02-28T10:00:00+08:00",
                              "delivered_at": "2026-03-02T09:54:00+08:00"}]   # 4 minutes ahead: clocks differ
    assert result(decide("cn", data), "notice.lead_time").code == "notice.lead_time.short_delivered"
    data["notifications"][0]["delivered_at"] = "2026-03-02T09:56:00+08:00"  # beyond the 5 minutes allowed
    assert result(decide("cn", data), "notice.lead_time").code == "notice.lead_time.future_delivered"


def test_without_a_clock_notice_times_are_not_compared():
    """The server's planning check (cached per case) passes no time: nothing is refused for it."""
    ctx = Context.from_json(_issue_context(), where="t")
    assert result(evaluate(ctx, load_policy("cn")), "notice.lead_time").passed
    checked = evaluate(ctx, load_policy("cn"), checked_at=dt.datetime(2026, 12, 5, tzinfo=SH))
    assert result(checked, "notice.lead_time").code == "notice.lead_time.future_sent"


POLICY = """
[policy]
id = "trained"
version = "1"
title = "practice required"
[window]
start = "08:00"
end = "22:00"
days = "every_day"
[holidays]
banned = false
[notice]
required = true
channels = ["sms"]
min_notice_hours = 24
max_clock_skew_minutes = 2
[training]
require_practice = true
basis.require_practice = { status = "institution_choice", note = "agents rehearse each script version" }
"""


def _policy(text: str = POLICY):
    import tomllib

    return parse_policy(tomllib.loads(text), where="trained.toml")


def test_a_policy_can_require_practice_of_the_current_script_version():
    policy = _policy()
    assert policy.training.require_practice and policy.notice.max_clock_skew == dt.timedelta(minutes=2)
    script = {"id": "home_visit_cn", "version": 2}
    blocked = decide(policy, context_data("cn", practice={"script": script, "completed": []}))
    r = result(blocked, "training.practice")
    assert not blocked.allowed and r.category == "training" and r.code == "training.practice.missing"
    assert "has not practised the conversation script home_visit_cn (version 2)" in r.message
    old = decide(policy, context_data("cn", practice={"script": script, "completed": [
        {"version": 1, "at": "2026-01-05T10:00:00+08:00"}]}))
    assert result(old, "training.practice").code == "training.practice.outdated" and not old.allowed
    done = decide(policy, context_data("cn", practice={"script": script, "completed": [
        {"version": 2, "at": "2026-02-20T10:00:00+08:00"}]}))
    assert done.allowed and result(done, "training.practice").message.endswith("on 2026-02-20.")
    unknown = decide(policy, context_data("cn"))
    assert unknown.allowed and result(unknown, "training.practice").warns
    assert "training.practice" not in {r.rule for r in decide("cn", context_data("cn")).results}


@pytest.mark.parametrize("change,problem", [
    ("max_clock_skew_minutes = 2", "max_clock_skew_minutes = 2000"),
    ("require_practice = true", 'require_practice = "yes"'),
])
def test_bad_new_fields_are_named(change, problem):
    with pytest.raises(BadInput) as err:
        _policy(POLICY.replace(change, problem))
    assert "trained.toml" in str(err.value) and problem.split(" ")[0] in str(err.value)
