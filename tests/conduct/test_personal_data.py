"""Personal numbers in free text are found (checksums, not look-alikes) and masked."""

from __future__ import annotations

import pytest

from fieldapp.conduct import find_personal_numbers, mask_personal_data
from fieldapp.conduct.personal import luhn, valid_cn_id

ID = "11010519491231002X"          # the standard's worked example: check character X
CARD = "6222021234567890128"        # 19 digits, Luhn-valid


def test_checksums():
    assert valid_cn_id(ID)
    assert not valid_cn_id("110105194912310021")   # wrong check character
    assert not valid_cn_id("11010519491331002X")   # no 13th month
    assert luhn(CARD) and not luhn(CARD[:-1] + "7")


@pytest.mark.parametrize("text,masked,kinds", [
    (f"身份证{ID}，手机13800138000", "身份证**************002X，手机138****8000", ["cn_id", "cn_mobile"]),
    ("电话 138-0013-8000", "电话 138-****-8000", ["cn_mobile"]),
    ("+86 138 0013 8000", "+86 138 **** 8000", ["cn_mobile"]),
    ("１３８００１３８０００", "１３８****８０００", ["cn_mobile"]),            # full-width digits
    (f"card {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:16]} {CARD[16:]}",
     "card **** **** **** ***0 128", ["bank_card"]),
    ("SSN 123-45-6789, call (555) 234-5678", "SSN ***-**-6789, call (***) ***-5678", ["us_phone", "us_ssn"]),
    (f"id {ID} 13800138000", "id **************002X 138****8000", ["cn_id", "cn_mobile"]),
])
def test_personal_numbers_are_masked(text, masked, kinds):
    result = mask_personal_data(text)
    assert result.text == masked
    assert result.kinds() == kinds


@pytest.mark.parametrize("text", [
    "amount 12000.00 due 2026-12-05, ref CC-2026-0042, hotline 95588",
    "110105194912310021",                # an 18-digit number that is not an ID
    "12345678901234",                    # not Luhn-valid
    "call us on 400-820-8820",           # a service number, not a mobile
    "SSN 000-12-3456",
])
def test_other_numbers_are_left_alone(text):
    assert find_personal_numbers(text) == []
    assert mask_personal_data(text).text == text
