"""Precision and recall of the conduct checker on the held-out half of the corpus.

The corpus (corpus.tsv, next to this file) was written before the rules; its split into a
development half and a held-out half is fixed in the file. The rules were tuned on the
development half only. This test prints both halves' figures and holds the held-out half
to the targets: recall >= 0.95 and precision >= 0.9 in each language.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from fieldapp.conduct import check_text

CORPUS = Path(__file__).with_name("corpus.tsv")


def _entries():
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        lang, label, category, split, text = line.split("\t")
        yield lang, label, category, split, text


def _figures(split: str) -> dict[str, dict[str, float]]:
    counts: dict[str, Counter] = {}
    misses: list[str] = []
    for lang, label, category, part, text in _entries():
        if part != split:
            continue
        hit = bool(check_text(text, lang))
        harmful = label == "harmful"
        key = ("tp" if hit else "fn") if harmful else ("fp" if hit else "tn")
        counts.setdefault(lang, Counter())[key] += 1
        if key in ("fn", "fp"):
            misses.append(f"  {split} {lang} {key} ({category}): {text}")
    out = {}
    for lang, c in sorted(counts.items()):
        precision = c["tp"] / max(1, c["tp"] + c["fp"])
        recall = c["tp"] / max(1, c["tp"] + c["fn"])
        out[lang] = {"precision": precision, "recall": recall, "n": sum(c.values()),
                     "harmful": c["tp"] + c["fn"], "harmless": c["tn"] + c["fp"]}
        print(f"{split:5} {lang:6} n={out[lang]['n']:3} (harmful {out[lang]['harmful']}, harmless "
              f"{out[lang]['harmless']})  precision={precision:.3f}  recall={recall:.3f}")
    print("\n".join(misses))
    return out


def test_the_corpus_is_large_enough_and_balanced():
    per_lang = Counter(lang for lang, *_ in _entries())
    assert per_lang["zh_CN"] >= 150 and per_lang["en"] >= 150
    for lang in ("zh_CN", "en"):
        labels = Counter((label, split) for lg, label, _, split, _ in _entries() if lg == lang)
        assert min(labels.values()) >= 40, labels  # both labels in both halves
        cats = {c for lg, label, c, _, _ in _entries() if lg == lang and label == "harmful"}
        assert cats == {"threat", "exposure", "third_party", "false_legal", "insult", "debt_disclosure"}


def test_held_out_precision_and_recall_meet_the_targets(capsys):
    with capsys.disabled():
        print()
        _figures("dev")
        held = _figures("held")
    for lang, f in held.items():
        assert f["recall"] >= 0.95, (lang, f)
        assert f["precision"] >= 0.9, (lang, f)


@pytest.mark.parametrize("text", [
    "曝光通讯录…后果自负",
    "we will tell your employer … go to jail",
    "老赖",
    "告诉他不还钱就曝光通讯录",
    "再不还钱就去他单位",
    "We will contact your employer and your neighbours",
])
def test_the_phrases_of_the_issue_are_caught(text):
    assert check_text(text)


@pytest.mark.parametrize("text", [
    "your employer's payroll date",
    "单位地址核对",
    "we can contact you next week",
    "请联系您的家人时注意隐私",
])
def test_harmless_sentences_that_share_words_pass(text):
    assert check_text(text) == []
