"""Decisions speak words, not codes: a zone is a place ("北京时间", "China time"), a
holiday calendar is a region ("中国大陆"), the policy is named by its name in the reader's
language, the rules of a summary are named in words. The bank policy once shipped as
`seed` is `cn-bank-home-visit`; the old id still loads it (stored cases, `check`)."""

from __future__ import annotations

import json

import pytest
from policy_builders import context_data, decide

from fieldapp.cli import main
from fieldapp.policy import list_presets, load_policy
from fieldapp.policy.messages import render

BANK = "cn-bank-home-visit"
RAW = ("Asia/Shanghai", "seed", BANK, "window.hours", "window.days", "CN的", "CN.", " CN ")


def _texts(decision, lang):
    d = decision.localized(lang)
    return [d.summary(lang), *(r.message for r in d.results)]


def test_the_bank_policy_has_a_real_id_and_the_old_one_still_loads():
    assert BANK in list_presets() and "seed" not in list_presets()
    policy = load_policy("seed")
    assert policy.id == BANK and "seed" in policy.aliases
    assert load_policy(BANK) is policy
    assert policy.name("zh_CN") == "银行上门拜访规范（中国）"
    assert policy.name("en") == "Bank home visits (China)"


def test_check_takes_the_old_id(tmp_path, capsys):
    ctx = tmp_path / "ctx.json"
    ctx.write_text(json.dumps(context_data("cn", "2026-03-02 10:00")), encoding="utf-8")
    assert main(["check", "--policy", "seed", str(ctx)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["policy"]["id"] == BANK and data["allowed"] is True


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_no_code_in_the_sentences(lang):
    allowed = decide(BANK, context_data("cn", "2026-03-02 10:00"))
    blocked = decide(BANK, context_data("cn", "2026-03-07 17:30", "2026-03-07 18:30"))  # Saturday, late
    for text in _texts(allowed, lang) + _texts(blocked, lang):
        assert not [raw for raw in RAW if raw in text], text


def test_chinese_words_for_zone_region_policy_and_rules():
    allowed = decide(BANK, context_data("cn", "2026-03-02 10:00"), lang="zh_CN")
    texts = _texts(allowed, "zh_CN")
    assert allowed.summary("zh_CN") == "依据“银行上门拜访规范（中国）”（2026.1 版），允许上门。"
    assert any("北京时间" in t for t in texts)
    assert any("是中国大陆的法定工作日" in t for t in texts)
    blocked = decide(BANK, context_data("cn", "2026-03-07 17:30", "2026-03-07 18:30"), lang="zh_CN")
    assert blocked.summary("zh_CN") == "依据“银行上门拜访规范（中国）”（2026.1 版），不允许上门：允许时段、允许日期。"


def test_english_words_for_zone_region_policy_and_rules():
    blocked = decide(BANK, context_data("cn", "2026-03-07 17:30", "2026-03-07 18:30"))
    assert blocked.summary("en") == ("Blocked under “Bank home visits (China)” (version 2026.1): "
                                     "allowed hours, allowed days.")
    assert any("China time" in t for t in _texts(blocked, "en"))
    assert any("in mainland China" in t for t in _texts(blocked, "en"))


def test_unknown_zone_region_and_policy_fall_back_to_readable_forms():
    facts = {"start": "10:00", "end": "11:00", "zone": "Pacific/Kiritimati", "earliest": "08:00", "latest": "22:00"}
    assert "Kiritimati time" in render("window.hours.ok", facts, "en")
    facts = {"weekday": "mon", "date": "2026-03-02", "calendar": "US-WA"}
    assert "Washington" not in render("window.days.working", facts, "en")  # not invented
    assert "WA" in render("window.days.working", facts, "en") and "United States" in render(
        "window.days.working", facts, "en")
    assert "own-policy" in render("summary.allowed", {"policy": "own-policy", "version": "1"}, "en")


@pytest.mark.parametrize("preset", sorted(set(list_presets())))
def test_every_preset_has_a_chinese_name(preset):
    policy = load_policy(preset)
    assert policy.name("zh_CN") and policy.name("zh_CN") != policy.name("en")
