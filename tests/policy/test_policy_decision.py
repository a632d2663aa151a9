"""Decision JSON: stable, serialisable evidence that reads back exactly and speaks both languages."""

from __future__ import annotations

import json

import pytest
from policy_builders import at_distance, context_data, decide

from fieldapp.core.canonical import canonical_json
from fieldapp.core.errors import BadInput
from fieldapp.policy import Decision, load_policy
from fieldapp.policy.messages import LABELS, TEMPLATES, _catalog


def sample(lang="en"):
    data = context_data("us-ma", "2026-03-31 20:30", "2026-03-31 21:30", flags=["disputed"],
                        visits=[("2026-03-20 10:00", True)], now="2026-03-31 20:10", agent=at_distance(420))
    return decide("us-ma", data, lang=lang)


def test_round_trip_is_exact():
    decision = sample()
    data = decision.to_json()
    text = json.dumps(data, ensure_ascii=False)
    back = Decision.from_json(json.loads(text))
    assert back.to_json() == data
    assert back == decision
    canonical_json(data)  # storable as evidence: no floats, no naive times


def test_blocked_decision_lists_every_failing_rule():
    decision = sample()
    assert not decision.allowed
    assert [r.rule for r in decision.blocking] == ["flag.blocking", "window.hours", "frequency.visits",
                                                   "appointment.checkin", "geofence.distance"]
    assert decision.summary() == ("Blocked under “Massachusetts: debt collection rules” (version 2026.1): "
                                  "blocking flags, allowed hours, visit frequency, check-in time, "
                                  "distance to the address.")


def test_localized_renders_the_same_facts_in_chinese():
    en = sample()
    zh = en.localized("zh_CN")
    assert zh.to_json()["results"][0]["facts"] == en.to_json()["results"][0]["facts"]
    assert zh.to_json() == sample("zh_CN").to_json()
    assert all(r.message != e.message for r, e in zip(zh.results, en.results))
    assert zh.localized("en").to_json() == en.to_json()


def test_stored_messages_are_kept_as_stored():
    data = sample().to_json()
    data["results"][0]["message"] = "A sentence written by an older version."
    assert Decision.from_json(data).results[0].message == "A sentence written by an older version."


def test_tampered_verdict_is_refused():
    data = sample().to_json()
    data["allowed"] = True
    with pytest.raises(BadInput, match="decision: allowed: `allowed` disagrees with the results"):
        Decision.from_json(data)


@pytest.mark.parametrize("edit,words", [
    (lambda d: d["results"][0].update(code="made.up"), "results[0].code: unknown message code"),
    (lambda d: d["results"][0].update(category="mood"), "results[0].category"),
    (lambda d: d["results"][0].pop("passed"), "results[0].passed: is required"),
    (lambda d: d.update(check="later"), "check: 'later' is not one of planning, checkin"),
    (lambda d: d.update(extra=1), "extra: unknown field"),
])
def test_malformed_stored_decision(edit, words):
    data = sample().to_json()
    edit(data)
    with pytest.raises(BadInput, match=words.replace("[", r"\[").replace("]", r"\]")):
        Decision.from_json(data)


def test_every_sentence_has_a_chinese_translation():
    catalog = _catalog("zh_CN")
    untranslated = [s for s in (*TEMPLATES.values(), *LABELS.values()) if catalog[s] == s]
    assert untranslated == []


SENT = object()
SENT_POLICY = """
[policy]
id = "sent"
version = "1"
title = "sent is enough"
[window]
start = "08:00"
end = "20:00"
days = "every_day"
[holidays]
banned = false
[notice]
required = true
channels = ["sms"]
require_delivery = false
min_notice_hours = 12
"""
ATTEMPTS = object()
ATTEMPTS_POLICY = SENT_POLICY.replace('id = "sent"', 'id = "attempts"') + """
[frequency]
max_visits = 5
per_days = 7
max_attempts = 3
"""
PRACTICE = object()
PRACTICE_POLICY = SENT_POLICY.replace('id = "sent"', 'id = "practised"') + """
[training]
require_practice = true
"""


def test_every_message_code_renders_in_both_languages(tmp_path):
    """Each template's placeholders are all produced by some evaluation (no KeyError)."""
    seen = set()
    cases = [
        ("cn", dict(start="2026-03-02 10:00", notice_hours=None)),
        ("cn", dict(start="2026-03-02 10:00", channel="in_person")),
        ("cn", dict(start="2026-03-02 10:00", delivered=False)),
        ("cn", dict(start="2026-03-02 10:00", notice_hours=2)),
        ("cn", dict(start="2026-03-02 10:00", notice_hours=-1)),
        ("cn", dict(start="2026-03-02 07:00", end="2026-03-02 23:00", flags=["disputed", "deceased"])),
        ("cn", dict(start="2026-03-02 21:30", end="2026-03-03 00:30", now="2026-03-02 23:59")),
        ("cn", dict(start="2026-03-02 07:30", now="2026-03-02 07:00", agent=at_distance(350, None))),
        ("cn-bank-home-visit", dict(start="2026-03-07 10:00", now="2026-03-07 10:00", agent=at_distance(20, 400))),
        ("cn", dict(start="2026-03-02 21:30", end="2026-03-02 22:30", now="2026-03-02 23:00",
                    agent=at_distance(20, 400))),
        ("cn", dict(start="2026-03-02 10:00", now="2026-03-02 10:00")),
        (SENT, dict(start="2026-03-02 10:00", delivered=False)),
        (SENT, dict(start="2026-03-02 10:00", notice_hours=1, delivered=False)),
        (SENT, dict(start="2026-03-02 10:00", notice_hours=-1, delivered=False)),
        ("cn-bank-home-visit", dict(start="2026-02-28 10:00")), ("cn-bank-home-visit", dict(start="2026-10-01 10:00")),
        ("cn-bank-home-visit", dict(start="2026-03-02 10:00")),
        ("ie", dict(start="2026-03-08 10:00")), ("ie", dict(start="2026-03-07 10:00")),
        ("in-rbi", dict(start="2026-03-02 10:00", notice_hours=3)),
        ("in-rbi", dict(start="2026-03-02 10:00", notice_hours=-3)),
        ("us-ma", dict(start="2026-03-02 10:00", visits=[("2026-03-01 10:00", True)])),
        ("us-ma", dict(start="2026-03-02 10:00", now="2026-03-02 10:00", agent=at_distance(20, 5))),
        ("cn", dict(start="2026-03-02 10:00", now="2026-03-02 10:00", notice_hours=-0.09)),  # sent in the skew
        (SENT, dict(start="2026-03-02 10:00", now="2026-03-02 10:00", notice_hours=-2, delivered=False)),
    ]
    calls = [{"at": "2026-03-01T10:00:00+08:00", "channel": "call"},
             {"at": "2026-03-01T11:00:00+08:00", "channel": "sms"}]
    cases += [(ATTEMPTS, dict(start="2026-03-02 10:00", attempts=calls[:n])) for n in (1, 2)]
    script = {"id": "home_visit_cn", "version": 2}
    cases += [(PRACTICE, dict(start="2026-03-02 10:00", practice=p)) for p in (
        None, {"script": script, "completed": []},
        {"script": script, "completed": [{"version": 1, "at": "2026-02-01T10:00:00+08:00"}]},
        {"script": script, "completed": [{"version": 2, "at": "2026-02-01T10:00:00+08:00"}]})]
    for preset, kw in cases:
        policy = preset
        if preset is SENT:
            path = tmp_path / "sent.toml"
            path.write_text(SENT_POLICY, encoding="utf-8")
            preset, policy = "cn", load_policy(path)
        elif preset is ATTEMPTS:
            path = tmp_path / "attempts.toml"
            path.write_text(ATTEMPTS_POLICY, encoding="utf-8")
            preset, policy = "cn", load_policy(path)
        elif preset is PRACTICE:
            path = tmp_path / "practice.toml"
            path.write_text(PRACTICE_POLICY, encoding="utf-8")
            preset, policy = "cn", load_policy(path)
        attempts = kw.get("attempts")
        data = context_data(preset, **{k: v for k, v in kw.items() if k != "attempts"})
        if attempts is not None:
            data["visits"] = [{"at": "2026-02-28T10:00:00+08:00", "contact_made": False}]
            data["contact_attempts"] = attempts
        if preset == "cn-bank-home-visit" and "agent" in kw:
            data["customer"]["location"] = None
        for lang in ("en", "zh_CN"):
            d = decide(policy, data, lang)
            for r in d.results:
                assert r.message and "{" not in r.message
                seen.add(r.code)
            d.summary()
            d.explain()
    assert {c for c in TEMPLATES if not c.startswith(("summary.", "geo.", "notice.req."))} - seen == set()
