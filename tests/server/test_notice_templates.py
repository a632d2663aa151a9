"""Notice templates are validated like scripts: every language and text, the agent named with
the staff number and the window and the link, and never the debt or an amount."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fieldapp.core.resources import resource_path
from fieldapp.server.notify import templates
from fieldapp.server.notify.templates import TEXT_CHECKS, check_file, validate
from fieldapp.server.notify.words import masked_name, window_text

SHIPPED = resource_path("notices", "appointment.yaml")


def shipped() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def problems_with(change) -> list[str]:  # type: ignore[no-untyped-def]
    data = copy.deepcopy(shipped())
    change(data)
    template, problems = validate(data, "t.yaml")
    assert template is None
    return problems


def test_the_shipped_template_is_valid_in_both_languages():
    template, problems = check_file(SHIPPED)
    assert problems == [] and set(template.texts) == {"zh_CN", "en"}


@pytest.mark.parametrize("lang,text,found", [
    ("en", "{institution}: {agent_name} ({staff_number}) visits {window} about your debt. {link}", "'debt'"),
    ("en", "{institution}: {agent_name} ({staff_number}) visits {window}; amount 1,234.50. {link}", "'1,234.50'"),
    ("en", "{institution}: {agent_name} ({staff_number}) visits {window} ($500). {link}", "currency"),
    ("zh_CN", "【{institution}】{agent_name}（{staff_number}）{window}上门，您的欠款 {link}", "'欠款'"),
    ("zh_CN", "【{institution}】{agent_name}（{staff_number}）{window}上门催收 {link}", "'催收'"),
    ("zh_CN", "【{institution}】{agent_name}（{staff_number}）{window}上门，请备好5000元 {link}", "currency"),
    ("zh_CN", "【{institution}】{agent_name}（{staff_number}）{window} overdue {link}", "'overdue'"),
])
def test_a_template_naming_the_debt_or_an_amount_fails(lang, text, found):
    problems = problems_with(lambda d: d["languages"][lang].__setitem__("sms", text))
    assert any(f"languages.{lang}.sms" in p and found in p for p in problems), problems


def test_the_agent_staff_number_window_and_link_are_required():
    problems = problems_with(lambda d: d["languages"]["en"].__setitem__("sms", "{institution} visits {window}"))
    for name in ("agent_name", "staff_number", "link"):
        assert any(f"languages.en.sms: must name {{{name}}}" in p for p in problems)


def test_unknown_placeholders_missing_languages_and_texts_fail():
    assert any("unknown placeholder {amount_due}" in p for p in problems_with(
        lambda d: d["languages"]["en"].__setitem__("email_subject", "{institution} {amount_due}")))
    assert any("languages.zh_CN: missing" in p for p in problems_with(lambda d: d["languages"].pop("zh_CN")))
    assert any("languages.en.email_body: missing" in p for p in problems_with(
        lambda d: d["languages"]["en"].pop("email_body")))
    assert any("not a language the app ships" in p for p in problems_with(
        lambda d: d["languages"].__setitem__("fr", {})))


def test_another_checker_joins_in_one_place(monkeypatch):
    def no_shouting(text: str, lang: str, where: str) -> list[str]:
        return [f"{where}: shouting"] if "!!" in text else []

    monkeypatch.setattr(templates, "TEXT_CHECKS", [*TEXT_CHECKS, no_shouting])
    problems = problems_with(lambda d: d["languages"]["en"].__setitem__(
        "email_subject", "{institution}: your visit!!"))
    assert problems == ["t.yaml: languages.en.email_subject: shouting"]


def test_the_command_line_validates_like_scripts(tmp_path: Path):
    bad = shipped()
    bad["languages"]["en"]["sms"] = "{institution}: {agent_name} {staff_number} {window} repay now {link}"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "fieldapp", "server", "validate-template", str(SHIPPED), str(path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "appointment.yaml: valid" in run.stdout and "'repay'" in run.stdout and "bad.yaml: 1 problem(s)" in run.stdout
    gone = subprocess.run([sys.executable, "-m", "fieldapp", "server", "validate-template", str(tmp_path / "x.yaml")],
                          capture_output=True, text=True, timeout=60)
    assert gone.returncode == 2 and len(gone.stderr.strip().splitlines()) == 1


def test_words_masked_names_and_windows():
    import datetime as dt

    assert masked_name("王芳") == "王*" and masked_name("欧阳小明") == "欧***"
    assert masked_name("Li Ming") == "L. M***" and masked_name("Madonna") == "M***"
    start = dt.datetime(2026, 3, 4, 2, 0, tzinfo=dt.timezone.utc)
    end = start + dt.timedelta(hours=1)
    assert window_text(start, end, "Asia/Shanghai", "zh_CN") == "2026年3月4日（星期三）10:00–11:00"
    assert window_text(start, end, "Asia/Shanghai", "en") == "Wednesday 4 March 2026, 10:00–11:00 (Asia/Shanghai time)"


def test_error_texts_lose_addresses_and_numbers():
    from fieldapp.server.notify.channels import scrub

    text = scrub("SMTP 550: b'5.1.1 <wang.fang@example.cn>: Recipient address rejected; 138 0013 8000'")
    assert "wang.fang" not in text and "138" not in text and "Recipient address rejected" in text
