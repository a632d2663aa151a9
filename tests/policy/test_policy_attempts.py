"""Calls and messages count as contact attempts, with visits, under a policy's limit."""

from __future__ import annotations

import pytest

from fieldapp.core.errors import BadInput
from fieldapp.policy import load_policy

from policy_builders import context_data, decide, result

POLICY = """
[policy]
id = "attempts"
version = "1"
title = "three contacts a week"
[window]
start = "08:00"
end = "20:00"
days = "every_day"
[holidays]
banned = false
[notice]
required = false
[frequency]
max_visits = 5
per_days = 7
max_attempts = 3
"""


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "attempts.toml"
    path.write_text(POLICY, encoding="utf-8")
    return load_policy(path)


def _data(attempts, visits=()):
    data = context_data("cn", start="2026-03-09 10:00", notice_hours=None, visits=list(visits))
    data["contact_attempts"] = [{"at": at, "channel": ch} for at, ch in attempts]
    return data


def test_calls_and_messages_count_with_visits(policy):
    two = [("2026-03-08T09:00:00+08:00", "call"), ("2026-03-08T09:05:00+08:00", "sms")]
    d = decide(policy, _data(two))
    assert d.allowed and result(d, "frequency.attempts").passed
    d = decide(policy, _data(two, visits=[("2026-03-05 10:00", False)]))
    r = result(d, "frequency.attempts")
    assert not d.allowed and not r.passed
    assert "3 (1 visits, 1 calls, 1 messages)" in r.message and "2026-03-08" in r.message
    zh = decide(policy, _data(two, visits=[("2026-03-05 10:00", False)]), "zh_CN")
    assert "电话 1 次" in result(zh, "frequency.attempts").message


def test_attempts_outside_the_period_and_after_the_appointment_do_not_count(policy):
    old_and_late = [("2026-03-01T09:00:00+08:00", "call"), ("2026-03-02T09:00:00+08:00", "call"),
                    ("2026-03-09T11:00:00+08:00", "call"), ("2026-03-08T09:00:00+08:00", "call")]
    d = decide(policy, _data(old_and_late))
    assert d.allowed and result(d, "frequency.attempts").facts["count"] == 1


def test_no_limit_no_rule():
    d = decide("cn", _data([("2026-03-08T09:00:00+08:00", "call")] * 50))
    assert all(r.rule != "frequency.attempts" for r in d.results)


def test_bad_attempts_named(tmp_path, policy):
    with pytest.raises(BadInput) as err:
        decide(policy, {**_data([]), "contact_attempts": [{"at": "2026-03-08T09:00:00+08:00", "channel": "fax"}]})
    assert "contact_attempts[0].channel" in str(err.value)
    path = tmp_path / "bad.toml"
    path.write_text(POLICY.replace("max_attempts = 3", "max_attempts = 0"), encoding="utf-8")
    with pytest.raises(BadInput) as err:
        load_policy(path)
    assert "max_attempts" in str(err.value)
