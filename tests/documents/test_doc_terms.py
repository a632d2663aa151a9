from __future__ import annotations

import base64
import copy
import json
from decimal import Decimal

import pytest
from doc_builders import blank_png, signature_png, terms_dict

from fieldapp.core.canonical import canonical_json, sha256_hex
from fieldapp.core.errors import BadInput
from fieldapp.core.plans import PlanLimits
from fieldapp.documents.terms import parse_terms


def test_terms_compute_the_schedule_and_a_stable_hash(terms):
    assert [r.amount for r in terms.schedule] == [Decimal("2057.61")] * 5 + [Decimal("2057.62")]
    assert sum(r.amount for r in terms.schedule) == terms.amount_due
    canon = terms.canonical_bytes()
    assert terms.sha256 == sha256_hex(canon)
    # the canonical form reads back (without images) to the same bytes
    again = parse_terms(json.loads(canon), require_images=False)
    assert again.canonical_bytes() == canon and again.sha256 == terms.sha256
    # it carries the signature hashes and the capture time in UTC, never the image bytes
    text = canon.decode()
    sig = json.loads(text)["signatures"]["customer"]
    assert sig == {"captured_at": "2026-03-02T02:41:07Z",
                   "sha256": sha256_hex(signature_png(1))}
    assert "png" not in text and "王芳" in text


def test_the_hash_covers_each_signature_and_every_amount():
    base = parse_terms(terms_dict()).sha256
    other_sig = terms_dict()
    other_sig["signatures"]["agent"]["png_base64"] = base64.b64encode(signature_png(5)).decode()
    assert parse_terms(other_sig).sha256 != base
    later = terms_dict()
    later["signatures"]["agent"]["captured_at"] = "2026-03-02T10:42:31+08:00"
    assert parse_terms(later).sha256 != base
    first = terms_dict(plan=dict(terms_dict()["plan"], remainder="first"))
    assert parse_terms(first).sha256 != base


def test_a_given_schedule_must_be_the_plans(terms):
    good = terms_dict(schedule=[{"number": r.number, "due": r.due.isoformat(), "amount": str(r.amount)}
                                for r in terms.schedule])
    assert parse_terms(good).sha256 == terms.sha256
    bad = copy.deepcopy(good)
    bad["schedule"][2]["amount"] = "2057.71"
    with pytest.raises(BadInput, match="do not add up") as err:
        parse_terms(bad, where="t.json")
    assert err.value.field == "schedule" and str(err.value).startswith("t.json: schedule:")
    shifted = copy.deepcopy(good)
    shifted["schedule"][0]["amount"], shifted["schedule"][5]["amount"] = "2057.62", "2057.61"
    with pytest.raises(BadInput, match="plan gives 2057.61") as err:
        parse_terms(shifted)
    assert err.value.field == "schedule[0].amount"
    moved = copy.deepcopy(good)
    moved["schedule"][1]["due"] = "2026-04-29"
    with pytest.raises(BadInput) as err:
        parse_terms(moved)
    assert err.value.field == "schedule[1].due"


def _sig(png: bytes) -> dict:
    return {"png_base64": base64.b64encode(png).decode(), "captured_at": "2026-03-02T10:41:07+08:00"}


@pytest.mark.parametrize("change, field, text", [
    (lambda d: d.update(amount_due="-10.00"), "amount_due", "more than zero"),
    (lambda d: d.update(amount_due="0"), "amount_due", "more than zero"),
    (lambda d: d.update(amount_due=12345.67), "amount_due", "not floating point"),
    (lambda d: d.update(amount_due="12345.678"), "amount_due", "more decimals"),
    (lambda d: d["plan"].update(total="12000.00"), "plan.total", "does not add up"),
    (lambda d: d.update(amount_due="1000.00") or d["plan"].update(total="1000.00", count=11),
     "plan.count", "below the minimum instalment"),
    (lambda d: d.update(amount_due="100000.00") or d["plan"].update(total="100000.00", count=40),
     "plan.count", "maximum term"),
    (lambda d: d["plan"].update(frequency="daily"), "plan.frequency", "not one of"),
    (lambda d: d.update(currency="XYZ"), "currency", "unknown currency"),
    (lambda d: d["customer"].update(id_tail="320102199001011234"), "customer.id_tail", "last 1 to 6"),
    (lambda d: d["customer"].update(name=""), "customer.name", "must not be empty"),
    (lambda d: d.update(agreement_id="AGR 1"), "agreement_id", "not valid"),
    (lambda d: d.update(terms_text={}), "terms_text", "zh_CN, en or both"),
    (lambda d: d.update(colour="red"), "colour", "unknown field"),
    (lambda d: d["signatures"].pop("agent"), "signatures.agent", "both sign"),
    (lambda d: d["signatures"].update(customer=_sig(b"")), "signatures.customer", "empty"),
    (lambda d: d["signatures"].update(customer=_sig(b"GIF89a" + b"\0" * 50)), "signatures.customer",
     "not a PNG"),
    (lambda d: d["signatures"].update(customer=_sig(blank_png())), "signatures.customer", "blank"),
    (lambda d: d["signatures"].update(customer=_sig(signature_png(1)[:200])), "signatures.customer",
     "cannot be decoded"),
    (lambda d: d["signatures"]["customer"].update(png_base64="***"), "signatures.customer.png_base64",
     "not valid base64"),
    (lambda d: d["signatures"]["agent"].update(captured_at="2026-03-02T10:42:30"),
     "signatures.agent.captured_at", "no UTC offset"),
    (lambda d: d["signatures"]["agent"].update(captured_at="2026-03-03T00:10:00+08:00"),
     "signatures.agent.captured_at", "not on the agreement date"),
    (lambda d: d.update(date="2026-02-30"), "date", "not an ISO date"),
    (lambda d: d.update(timezone="Mars/Olympus"), "timezone", "unknown time zone"),
])
def test_bad_terms_are_refused_naming_the_field(change, field, text):
    data = terms_dict()
    change(data)
    with pytest.raises(BadInput) as err:
        parse_terms(data, where="terms.json", limits=PlanLimits())
    assert err.value.field == field, str(err.value)
    assert text in str(err.value)
    assert str(err.value).startswith("terms.json: ")


def test_signature_png_from_a_file_next_to_the_terms(tmp_path):
    (tmp_path / "agent.png").write_bytes(signature_png(2))
    data = terms_dict()
    data["signatures"]["agent"] = {"png": "agent.png", "captured_at": "2026-03-02T10:42:30+08:00"}
    assert parse_terms(data, base_dir=tmp_path).sha256 == parse_terms(terms_dict()).sha256
    data["signatures"]["agent"]["png"] = "missing.png"
    with pytest.raises(BadInput, match="cannot read") as err:
        parse_terms(data, base_dir=tmp_path)
    assert err.value.field == "signatures.agent.png"


def test_text_the_font_cannot_show_is_refused_before_any_pdf(terms):
    from fieldapp.documents.agreement import build_agreement_pdf

    data = terms_dict()
    data["customer"]["name"] = "Ꙃ王芳"  # Cyrillic Dzelo: not in WenQuanYi Micro Hei
    with pytest.raises(BadInput, match=r"U\+A642") as err:
        build_agreement_pdf(parse_terms(data), "both")
    assert err.value.field == "customer.name"
    data = terms_dict()
    data["terms_text"]["en"] += "\u0007"
    with pytest.raises(BadInput, match="control character") as err:
        build_agreement_pdf(parse_terms(data), "en")
    assert err.value.field == "terms_text.en"


def test_canonical_terms_without_images_cannot_be_rendered(terms):
    from fieldapp.documents.agreement import build_agreement_pdf

    hashes_only = parse_terms(json.loads(canonical_json(terms.canonical())), require_images=False)
    with pytest.raises(BadInput, match="signature image is needed"):
        build_agreement_pdf(hashes_only)
    with pytest.raises(BadInput, match="needs the signature image"):
        parse_terms(json.loads(canonical_json(terms.canonical())))
