"""Notes are checked by the one conduct checker and personal numbers are masked before they are kept."""

from __future__ import annotations

import pytest

from fieldapp.core.i18n import Translator
from fieldapp.script import check_notes
from fieldapp.script.notes import personal_numbers, prepare_note, warning_from_dict


def test_hits_with_positions_categories_and_messages():
    note = "Customer angry. I said we will tell your employer. He called me an idiot."
    hits = check_notes(note)
    assert [(w.category, w.matched) for w in hits] == [("third_party", "tell your employer"), ("insult", "idiot")]
    first = hits[0]
    assert note[first.start:first.end] == first.matched
    assert first.to_record() == "third_party: tell your employer"
    assert first.message() == "Possibly contact of third parties: “tell your employer”"
    assert "联系第三方" in first.message(Translator.for_language("zh_CN"))


@pytest.mark.parametrize("note", [
    "告诉他不还钱就曝光通讯录",
    "再不还钱就去他单位",
    "We will contact your employer and your neighbours",
    "这个老赖不还钱",
])
def test_the_notes_the_issue_named_are_warned(note):
    assert check_notes(note)


@pytest.mark.parametrize("note", [
    "Customer has good skills and will pay on Friday.",
    "Explained the instalment plan; customer agreed.",
    "客户表示下周五前还款，态度良好。",
    "",
])
def test_ordinary_notes_are_clean(note):
    assert check_notes(note) == []


def test_personal_numbers_are_masked_before_a_note_is_kept():
    note = "客户新手机13800138000，身份证11010519491231002X"
    kept = prepare_note(note)
    assert kept.text == "客户新手机138****8000，身份证**************002X"
    assert [n.kind for n in personal_numbers(note)] == ["cn_mobile", "cn_id"]
    assert personal_numbers(note)[0].message() == "a mobile number (138****8000) is stored masked"


def test_warnings_saved_by_the_former_phrase_list_still_load():
    old = {"category": "abuse", "phrase": "老赖", "lang": "zh_CN", "start": 0, "end": 2, "matched": "老赖",
           "label": "insult or abusive language"}
    assert warning_from_dict(old).to_record() == "insult: 老赖"
