"""The creditor is named per language: a Chinese script says the Chinese name, an English
one the English name; never both run together ("南京示范银行 Nanjing Demo Bank")."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldapp.core.errors import BadInput
from fieldapp.script import Runtime, load_script
from fieldapp.script.case import CaseFacts

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
BANK = {"zh_CN": "南京示范银行", "en": "Nanjing Demo Bank"}


def _introduction(lang: str, institution=BANK) -> Runtime:
    script = load_script("home_visit_cn")
    rt = Runtime(script, dict(script.example_case, institution=institution), lang, clock=lambda: NOW)
    rt.answer("answered")
    assert rt.current.node == "introduction"
    return rt


def test_each_language_reads_its_own_name():
    zh = _introduction("zh_CN").current.text
    assert "南京示范银行" in zh and "Nanjing" not in zh
    en = _introduction("en").current.text
    assert "Nanjing Demo Bank" in en and "南京" not in en


def test_switching_language_mid_visit_switches_the_name_and_a_saved_visit_keeps_both():
    rt = _introduction("zh_CN")
    rt.lang = "en"
    assert "Nanjing Demo Bank" in rt.current.text
    again = Runtime.from_json(rt.to_json(), clock=lambda: NOW)
    again.lang = "zh_CN"
    assert "南京示范银行" in again.current.text


def test_a_name_in_one_language_serves_every_language():
    assert "Nanjing Demo Bank" in _introduction("zh_CN", {"en": "Nanjing Demo Bank"}).current.text
    assert "南京示范银行" in _introduction("en", "南京示范银行").current.text  # a plain text, as before


def test_bad_per_language_names_are_refused():
    with pytest.raises(BadInput, match="institution"):
        CaseFacts.parse({"institution": {"fr": "Banque"}})
    with pytest.raises(BadInput, match="institution"):
        CaseFacts.parse({"institution": {"en": ""}})
