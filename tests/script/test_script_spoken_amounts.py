"""Amounts a script reads aloud use the language's currency words: "49,326.15 元" in
Chinese, "49,326.15 yuan" in English, never the ISO code ("49,326.15 CNY")."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldapp.script import Runtime, load_script

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _to_purpose(lang: str) -> str:
    script = load_script("home_visit_cn")
    case = dict(script.example_case, amount_due="49326.15")
    rt = Runtime(script, case, lang, clock=lambda: NOW)
    for answer in ("answered", None, None, "confirmed"):
        rt.answer(answer)
    assert rt.current.node == "purpose"
    return rt.current.text


@pytest.mark.parametrize(("lang", "spoken"), [("zh_CN", "49,326.15 元"), ("en", "49,326.15 yuan")])
def test_the_amount_due_is_read_in_the_languages_words(lang, spoken):
    text = _to_purpose(lang)
    assert spoken in text and "CNY" not in text


def test_a_promised_amount_is_read_in_words_too():
    script = load_script("home_visit_cn")
    rt = Runtime(script, dict(script.example_case), "zh_CN", clock=lambda: NOW)
    assert rt._show("promise_amount", __import__("decimal").Decimal("1200")) == "1,200.00 元"


@pytest.mark.parametrize(("amount", "currency", "lang", "expected"), [
    ("2450", "USD", "en", "$2,450.00"), ("2450", "USD", "zh_CN", "2,450.00 美元"),
    ("100.5", "GBP", "en", "£100.50"), ("100.5", "GBP", "zh_CN", "100.50 英镑"),
    ("1000", "INR", "en", "₹1,000.00"), ("12", "XAF", "en", "12 XAF"),
])
def test_spoken_money(amount, currency, lang, expected):
    from decimal import Decimal

    from fieldapp.script.case import spoken_money

    assert spoken_money(Decimal(amount), currency, lang) == expected
