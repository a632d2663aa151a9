from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fieldapp.core.canonical import canonical_json, content_hash
from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import Translator, parse_po
from fieldapp.core.money import Money
from fieldapp.core.resources import resource_path, resources_root
from fieldapp.core.timeutil import parse_aware


def test_money_is_exact_and_refuses_floats_and_extra_digits():
    assert Money.of("10.50", "CNY").minor == 1050
    assert str(Money.of("1234.5", "CNY")) == "1,234.50 CNY"
    assert Money.from_minor(7, "JPY").amount == Decimal("7")
    with pytest.raises(BadInput, match="more decimals"):
        Money.of("10.005", "CNY")
    with pytest.raises(BadInput, match="floating point"):
        Money.of(10.5, "CNY")
    with pytest.raises(BadInput, match="unknown currency"):
        Money.of("1", "XXX")


def test_canonical_json_is_stable_and_keeps_chinese():
    a = {"b": Decimal("1.10"), "a": "王芳", "t": dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))}
    b = {"t": dt.datetime(2026, 3, 2, 1, tzinfo=dt.timezone.utc), "a": "王芳", "b": Decimal("1.10")}
    assert canonical_json(a) == canonical_json(b)
    assert canonical_json(a).decode() == '{"a":"王芳","b":"1.10","t":"2026-03-02T01:00:00Z"}'
    assert content_hash(a) == content_hash(b)
    with pytest.raises(ValueError):
        canonical_json({"t": dt.datetime(2026, 1, 1)})


def test_parse_aware_refuses_naive_timestamps():
    assert parse_aware("2026-03-02T09:00:00Z", field="x").utcoffset() == dt.timedelta(0)
    with pytest.raises(BadInput, match="no UTC offset") as err:
        parse_aware("2026-03-02T09:00:00", field="appointment.start", where="ctx.json")
    assert "ctx.json: appointment.start" in str(err.value)


def test_po_parser_and_translator(tmp_path):
    po = 'msgid ""\nmsgstr ""\n\n#, fuzzy\nmsgid "Skip"\nmsgstr "跳过"\n\nmsgid "Ends at {time}"\nmsgstr ""\n"结束于 {time}"\n'
    cat = parse_po(po)
    assert cat == {"Ends at {time}": "结束于 {time}"}
    tr = Translator("zh_CN", cat)
    assert tr("Ends at {time}", time="22:30") == "结束于 22:30"
    assert tr("Untranslated") == "Untranslated"
    broken = Translator("zh_CN", {"Hi {name}": "你好 {nom}"})
    assert broken("Hi {name}", name="A") == "Hi A"
    with pytest.raises(BadInput, match="x.po:2"):
        parse_po('msgid "a"\nmsgstr 5x\n', where="x.po")


def test_resources_are_found_from_a_checkout():
    assert (resources_root() / "policies").is_dir()
    with pytest.raises(Exception, match="not found"):
        resource_path("policies", "no-such-file.toml")
