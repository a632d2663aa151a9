from __future__ import annotations

import dataclasses
import io

import pytest
from doc_builders import visit_report_dict
from pypdf import PdfReader

from fieldapp.core.errors import BadInput
from fieldapp.documents.visit_report import build_visit_report


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_visit_report_shows_every_rule_the_transcript_outcome_location_and_agreement():
    report = visit_report_dict()
    text = _text(build_visit_report(report, "en"))
    for result in report["decision"]["results"]:
        assert result["rule"] in text
    assert "Policy seed version 3: Allowed" in text
    assert "Agent was 412 m from the address" in text and "failed" in text and "没有阻止上门的客户标记。" in text
    assert "请问您是王芳女士本人吗？" in text and "10:31" in text and "Went back to identity" in text
    assert '{"count": 6, "plan": "instalments"}' in " ".join(text.split()) and "Note: 客户希望每月月底还款。" in text
    assert "Repayment agreement signed\n(agreement_signed)" in text
    assert "2,057.61 CNY · 2026-03-31" in text
    assert "32.0610, 118.7975" in text and "± 15 m" in text and "412 m" in text
    assert "AGR-2026-000123" in text and report["agreement"]["sha256"] in text
    assert "Visit report V-2026-0302-0007" in text and "Page 1 of" in text


def test_chinese_report_and_missing_evidence_are_stated():
    report = visit_report_dict(location=None, agreement=None, transcript=[],
                               decision={"allowed": False, "policy": {"id": "cn", "version": "2026.1"},
                                         "results": [{"rule": "window.hours", "category": "window",
                                                      "passed": False, "severity": "block",
                                                      "message": "22:30 晚于 22:00。"}]})
    text = _text(build_visit_report(report, "zh_CN"))
    assert "外访报告" in text and "禁止" in text and "未通过" in text
    assert "签到时未记录位置。" in text and "未签订协议。" in text and "未记录谈话。" in text


def test_dataclass_input_is_accepted():
    @dataclasses.dataclass
    class Report:
        visit_id: str
        case: dict
        agent: dict
        decision: dict
        outcome: dict
        transcript: list = dataclasses.field(default_factory=list)
        location: dict | None = None
        agreement: dict | None = None

    base = visit_report_dict()
    report = Report(base["visit_id"], base["case"], base["agent"], base["decision"],
                    {"code": "not_home"})
    assert "Not at home\n(not_home)" in _text(build_visit_report(report, "en"))


@pytest.mark.parametrize("change, field", [
    (lambda d: d["decision"]["results"][1].update(severity="fatal"), "decision.results[1].severity"),
    (lambda d: d["decision"]["results"][0].pop("passed"), "decision.results[0].passed"),
    (lambda d: d["transcript"][2].update(at="10:32"), "transcript[2].at"),
    (lambda d: d["transcript"][1].update(text="\U0001F600"), "transcript[1].text"),
    (lambda d: d["outcome"].update(code="vanished"), "outcome.code"),
    (lambda d: d["location"].update(lat=123.4), "location.lat"),
    (lambda d: d["case"].update(amount_due="1.234"), "case.amount_due"),
    (lambda d: d.update(weather="rain"), "weather"),
])
def test_bad_report_input_names_the_field(change, field):
    report = visit_report_dict()
    change(report)
    with pytest.raises(BadInput) as err:
        build_visit_report(report, "en", where="visit.json")
    assert err.value.field == field, str(err.value)
    assert str(err.value).startswith("visit.json: ")


def _photo(sha: str, **extra) -> dict:
    return {"sha256": sha, "kind": "house_number", "captured_at": "2026-03-02T02:40:00Z", **extra}


def test_photos_are_listed_by_hash_without_their_files_and_bad_ones_name_the_field():
    import hashlib

    sha = hashlib.sha256(b"not a photo").hexdigest()
    text = _text(build_visit_report(visit_report_dict(photos=[_photo(sha)]), "en"))
    assert f"SHA-256 {sha}" in text and "Added to the visit at 2026-03-02 10:40" in text
    assert "pixels" not in text  # no file, no size: the hash and the kept details only
    cases = [
        ({"images": {sha: b"other bytes"}}, [_photo(sha)], "photos[0].sha256", "is not the SHA-256"),
        ({"images": {sha: b"not a photo"}}, [_photo(sha)], "photos[0]", "not a photo"),
        ({}, [_photo(sha, kind="selfie")], "photos[0].kind", "selfie"),
        ({}, [_photo(sha.upper())], "photos[0].sha256", "64 lowercase"),
        ({}, [_photo(sha, lat=123.0)], "photos[0].lat", ""),
    ]
    for kwargs, photos, field, words in cases:
        with pytest.raises(BadInput) as caught:
            build_visit_report(visit_report_dict(photos=photos), "en", where="visit.json", **kwargs)
        assert caught.value.field == field and words in str(caught.value), (field, str(caught.value))
