"""Threatening or abusive wording in notes: found whatever the case, width or spacing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import Translator
from fieldapp.script import PhraseList, check_notes

SHIPPED = PhraseList.load()


def test_plain_hits_with_positions_and_categories():
    note = "Customer angry. I said we will tell your employer. He called me an idiot."
    hits = check_notes(note)
    assert [(w.category, w.phrase) for w in hits] == [("exposure", "tell your employer"), ("abuse", "idiot")]
    first = hits[0]
    assert note[first.start:first.end] == first.matched == "tell your employer"
    assert first.to_record() == "exposure: tell your employer"
    assert first.message() == ("Possibly threatening or abusive wording (threat to expose the debt to others): "
                               "“tell your employer”")
    assert "威胁向他人曝光欠款" in first.message(Translator.for_language("zh_CN"))


@pytest.mark.parametrize("note,phrase", [
    ("YOU WILL REGRET this", "you will regret"),
    ("ｙｏｕ　ｗｉｌｌ　ｒｅｇｒｅｔ", "you will regret"),         # full-width letters and space
    ("you\n will \t  regret", "you will regret"),           # any spacing
    ("you’ll regret it", "you'll regret"),                   # curly apostrophe
    ("他说：后 果 自 负！", "后果自负"),                       # spaces between Chinese characters
    ("告诉他后果，自负", "后果自负"),                           # punctuation inside a Chinese phrase
    ("这个老赖不还钱", "老赖"),
    ("kill you", "kill you"),
])
def test_case_width_and_spacing_do_not_hide_a_phrase(note, phrase):
    assert phrase in [w.phrase for w in check_notes(note)]


@pytest.mark.parametrize("note", [
    "Customer has good skills and will pay on Friday.",      # 'kill' inside 'skill' is not a hit
    "Explained the instalment plan; customer agreed.",
    "客户表示下周五前还款，态度良好。",
    "",
])
def test_ordinary_notes_are_clean(note):
    assert check_notes(note) == []


def test_a_bad_phrase_list_names_file_and_line(tmp_path):
    bad = tmp_path / "phrases.yaml"
    bad.write_text("categories:\n  threat:\n    en:\n      - ok\n      - 12\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"phrases.yaml:5: empty or non-text phrase 12"):
        PhraseList.load(bad)
    bad.write_text("categories:\n  threat:\n    fr: [x]\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"phrases.yaml:3: unknown language 'fr'"):
        PhraseList.load(bad)


FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"}


@settings(max_examples=200, deadline=None)
@given(phrase=st.sampled_from(SHIPPED.phrases), data=st.data())
def test_every_listed_phrase_is_found_however_it_is_written(phrase, data):
    out = []
    for ch in phrase.text:
        style = data.draw(st.sampled_from(["same", "upper", "wide", "space"]))
        if style == "upper":
            ch = ch.upper()
        elif style == "wide":
            ch = FULL_WIDTH.get(ch, ch)
        out.append(ch)
        if style == "space" and (phrase.lang == "zh_CN" or ch == " "):
            out.append(" ")
    before = data.draw(st.sampled_from(["", "Note: ", "客户说", "(", "2026-03-02 "]))
    after = data.draw(st.sampled_from(["", ".", "!", " then left", "。"]))
    hits = SHIPPED.check(before + "".join(out) + after)
    assert phrase.text in [w.phrase for w in hits]
