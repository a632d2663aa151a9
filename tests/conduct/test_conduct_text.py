"""How texts are read: width, case, spacing, stems, contractions, segmentation; and the
rules file's mistakes named by file and line."""

from __future__ import annotations

import pytest

from fieldapp.conduct import check_template, check_text, debt_mentions, neutral_placeholders
from fieldapp.conduct.rules import compile_rules
from fieldapp.conduct.text import tokenize
from fieldapp.core.errors import BadInput


@pytest.mark.parametrize("text,category", [
    ("ＹＯＵ ＷＩＬＬ ＲＥＧＲＥＴ this", "threat"),        # full-width letters
    ("you\n will \t  regret", "threat"),                  # any spacing
    ("you’ll regret it", "threat"),                        # curly apostrophe, contraction
    ("他说：后 果 自 负！", "threat"),                        # spaces between Chinese characters
    ("告诉他后果，自负", "threat"),                           # a mark put inside a phrase
    ("曝*光你", "exposure"),
    ("k i l l you", "threat"),                            # letters spelt out
    ("you'll end up in j4il", "false_legal"),             # look-alike digits
    ("They threatened to call your employer", "third_party"),
    ("We are calling your employer today", "third_party"),  # any form of the verb
    ("I told his neighbours he owes us money", "debt_disclosure"),  # irregular form (told)
    ("这个老赖不还钱", "insult"),
])
def test_disguises_do_not_hide_wording(text, category):
    assert category in {f.category for f in check_text(text)}


@pytest.mark.parametrize("text", [
    "Customer has good skills and will pay on Friday.",      # 'kill' inside 'skill'
    "Explained the instalment plan; customer agreed.",
    "客户表示下周五前还款，态度良好。",
    "我们不会联系您的单位",                                    # negated
    "We will never tell your employer.",
    "Customer worried we would call his boss; I said we never do.",  # a reported worry
    "",
])
def test_ordinary_and_negated_sentences_pass(text):
    assert check_text(text) == []


def test_findings_point_at_the_words_in_the_original_text():
    note = "Customer angry. I said we will tell your employer. He called me an idiot."
    found = check_text(note)
    assert [(f.category, f.matched) for f in found] == [("third_party", "tell your employer"),
                                                        ("insult", "idiot")]
    for f in found:
        assert note[f.start:f.end] == f.matched
    assert found[0].to_record() == "third_party: tell your employer"
    assert found[0].message() == "Possibly contact of third parties: “tell your employer”"


def test_contractions_and_stems_become_the_same_tokens():
    assert [t.key for t in tokenize("We won't threaten")] == ["we", "will", "not", "threaten"]
    assert [t.key for t in tokenize("threatening threatened")] == ["threaten", "threaten"]
    tokens = tokenize("单位地址核对")
    assert "单位" not in [t.key for t in tokens] or len(tokens) >= 3  # segmented, positions kept
    assert tokens[-1].end == len("单位地址核对")


def test_templates_are_checked_with_neutral_placeholders():
    assert neutral_placeholders("Dear {name}, {{ agent }}!") == "Dear X     , X          !"
    assert check_template("Dear {customer_name}, we will visit on {date} between {start} and {end}.") == []
    found = check_template("{customer_name}，您欠款{amount}元已逾期，请尽快处理。", "zh_CN")
    assert {f.category for f in found} == {"debt_disclosure"}
    assert check_template("您欠款已逾期", "zh_CN", private=True) == []
    assert {f.category for f in check_template("Pay or we tell your boss, {name}.")} == {"third_party"}


@pytest.mark.parametrize("text,kinds", [
    ("they owe us five thousand yuan", {"amount", "debt_word"}),
    ("他欠我们五千块钱", {"amount", "debt_word"}),
    ("the amount is ¥5,000.00", {"amount"}),
    ("RMB 300 was overdue", {"amount", "debt_word"}),
    ("Please call the number on this card within 30 days.", set()),
    ("核对证件号码后四位", set()),
    ("我们一块去吧", set()),
])
def test_amounts_and_debt_words(text, kinds):
    assert {m.kind for m in debt_mentions(text)} == kinds


def _rules(body: str) -> str:
    return ("categories:\n  threat: {label: t}\n"
            "concepts:\n  negation: {en: [not]}\n  filler: {en: [will]}\n  hedge: {en: [worry]}\n"
            "  harm: {en: [hurt]}\n" + body)


def test_a_bad_rules_file_names_its_line():
    with pytest.raises(BadInput, match=r"r.yaml:11: .*HARMS is not a concept"):
        compile_rules(_rules("rules:\n  - id: a\n    category: threat\n    match: HARMS you\n"), source="r.yaml")
    with pytest.raises(BadInput, match=r"r.yaml:11: .*unknown field 'matches'"):
        compile_rules(_rules("rules:\n  - id: a\n    category: threat\n    matches: x\n"), source="r.yaml")
    with pytest.raises(BadInput, match=r"r.yaml:10: .*category 'abuse'"):
        compile_rules(_rules("rules:\n  - id: a\n    category: abuse\n    match: x\n"), source="r.yaml")
    with pytest.raises(BadInput, match=r"cannot start with '...'"):
        compile_rules(_rules("rules:\n  - id: a\n    category: threat\n    match: ... HARM\n"), source="r.yaml")
    rules = compile_rules(_rules("rules:\n  - id: a\n    category: threat\n    match: HARM ...2 you\n"),
                          source="r.yaml")
    assert [f.matched for f in check_text("they will hurt all of you", rules=rules)] == ["hurt all of you"]
    assert check_text("they will not hurt you", rules=rules) == []
