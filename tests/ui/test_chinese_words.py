"""In Chinese, the case screen says words where it held codes: the customer's language by
its name, the time zone by the place its clock is named after, the policy by its name, and
the policy's sentences name places and rules in words (no "zh_CN", "Asia/Shanghai", "CN",
"seed")."""

from __future__ import annotations

import datetime as dt

from fieldapp.ui.app import Credentials, FieldApp

from .conftest import record_for

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
GULOU = (32.0590, 118.7620)
RAW = ("zh_CN", "Asia/Shanghai", "CN的", "seed", "cn-bank-home-visit", "window.", "flag.")


def test_the_case_screen_in_chinese_shows_words_not_codes(qtbot, ctx, service):
    row = service.server_rows[1]  # booked on a Monday afternoon
    record = record_for(row, GULOU, policy_id="seed")
    record.customer.language = "zh_CN"
    service.records[row.id] = record
    ctx.clock = lambda: dt.datetime(2026, 3, 1, 8, tzinfo=SHANGHAI)
    app = FieldApp(ctx)
    qtbot.addWidget(app.window)
    app.start(credentials=Credentials("http://127.0.0.1:9", "agent1", "demo-agent1"))
    ctx.language.set_language("zh_CN")
    app.window.open_case(row.id)
    detail = app.window.detail
    assert detail.customer_values["language"].text() == "简体中文"
    assert detail.customer_values["timezone"].text().startswith("北京时间")
    assert detail.debt_values["policy"].text() == "银行上门拜访规范（中国）"
    sentences = [text for _rule, _word, text in detail.decision_view.row_texts()]
    assert sentences
    shown = [detail.customer_values[k].text() for k in ("language", "timezone")] + \
        [detail.debt_values["policy"].text()] + sentences
    assert [t for t in shown if any(raw in t for raw in RAW)] == []
    ctx.language.set_language("en")
    assert detail.customer_values["language"].text() == "Chinese (Simplified)"
    assert detail.customer_values["timezone"].text().startswith("China time")
    assert detail.debt_values["policy"].text() == "Bank home visits (China)"
