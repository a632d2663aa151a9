"""Threats by presence: being outside the customer's home or work night after night, coming
back until they pay, following their family. Sentences written for this rule, apart from the
corpus; ordinary words about waiting and following up stay clean."""

from __future__ import annotations

import pytest

from fieldapp.conduct import check_text

HARMFUL = [
    ("en", "We'll keep coming back every day until you pay."),
    ("en", "Someone will be watching your house day and night."),
    ("en", "I will wait at your office every morning, you know that."),
    ("en", "Expect us to camp outside until the debt is paid."),
    ("en", "Pay, or my colleague will follow you home."),
    ("en", "We can follow your kids to school if that is what it takes."),
    ("zh_CN", "我们每天晚上都会守在你家门口。"),
    ("zh_CN", "不还钱就天天蹲在你单位楼下。"),
    ("zh_CN", "直到你还钱为止，我们会一直上门。"),
]
HARMLESS = [
    ("en", "I waited outside the house for ten minutes; nobody answered."),
    ("en", "We will follow up with you next week."),
    ("en", "Our hotline is open every day from 9 to 6; please call us any time."),
    ("en", "The customer asked me to come back on Tuesday afternoon."),
    ("en", "You can pay every month until the debt is paid."),
    ("en", "We will never wait outside your house."),
    ("zh_CN", "客户让我在门口等十分钟。"),
    ("zh_CN", "我们每天上午九点到下午六点都可以接听您的电话。"),
    ("zh_CN", "请您按月还款，直到还清为止。"),
]


@pytest.mark.parametrize("lang,text", HARMFUL)
def test_presence_threats_are_found(lang, text):
    hits = check_text(text, lang)
    assert [h.category for h in hits][:1] == ["threat"], (text, hits)


@pytest.mark.parametrize("lang,text", HARMLESS)
def test_ordinary_waiting_and_following_up_stay_clean(lang, text):
    assert check_text(text, lang) == [], text
