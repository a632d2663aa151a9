"""The validator: broken scripts rejected with the right message, line and node."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import Translator
from fieldapp.core.resources import resource_path
from fieldapp.script import load_script, load_script_text, validate

from script_helpers import BROKEN

EXPECT = re.compile(r"^(\w+) line (\d+)(?: node (\w+))?$")


def _expectations(path):
    header = path.read_text(encoding="utf-8").splitlines()[1]
    assert header.startswith("# expect: "), path
    out = []
    for part in header[len("# expect: "):].split(";"):
        match = EXPECT.match(part.strip())
        assert match, f"{path.name}: cannot read {part!r}"
        out.append((match.group(1), int(match.group(2)), match.group(3)))
    return out


BROKEN_FILES = sorted(BROKEN.glob("*.yaml"))


def test_there_is_a_broken_script_for_each_kind_of_problem():
    codes = {code for path in BROKEN_FILES for code, _, _ in _expectations(path)}
    assert codes >= {"bad_yaml", "unknown_ref", "unreachable", "loop_no_exit", "no_outcome",
                     "debt_before_identity", "debt_before_disclosure", "missing_translation",
                     "unknown_outcome", "stop_missing", "stop_outcome", "schema", "debt_unmarked",
                     "fact_not_collected", "condition", "identity", "promise", "check_loop", "conduct",
                     "debt_said_early"}


@pytest.mark.parametrize("path", BROKEN_FILES, ids=lambda p: p.stem)
def test_broken_script_is_rejected_naming_file_line_and_node(path):
    expected = _expectations(path)
    if expected[0][0] == "bad_yaml":
        with pytest.raises(BadInput) as err:
            load_script(path)
        assert str(err.value).startswith(f"{path}:{expected[0][1]}: bad YAML")
        return
    issues = validate(load_script(path))
    assert issues, f"{path.name} was accepted"
    found = {(i.code, i.line, i.node) for i in issues}
    for code, line, node in expected:
        assert (code, line, node) in found, f"{path.name}: wanted {code} at {line}/{node}, got {found}"
        issue = next(i for i in issues if (i.code, i.line, i.node) == (code, line, node))
        text = str(issue)
        assert text.startswith(f"{path}:{line}: ")
        if node:
            assert f"node '{node}'" in text


def test_witness_paths_show_how_the_debt_is_reached_too_early():
    issues = validate(load_script(BROKEN / "debt_before_identity.yaml"))
    (issue,) = [i for i in issues if i.code == "debt_before_identity"]
    assert issue.path == ("hello", "who", "offer")
    assert "hello → who → offer" in issue.message
    issues = validate(load_script(BROKEN / "debt_before_disclosure.yaml"))
    (issue,) = [i for i in issues if i.code == "debt_before_disclosure"]
    assert "'privacy'" in issue.message and issue.path[-1] == "offer"


def test_typos_get_a_suggestion():
    (issue,) = [i for i in validate(load_script(BROKEN / "unknown_ref.yaml")) if i.code == "unknown_ref"]
    assert "did you mean 'offer'?" in issue.message
    issues = validate(load_script(BROKEN / "unknown_field.yaml"))
    assert any("did you mean 'next'?" in i.message for i in issues)


def test_messages_are_translated_for_chinese_staff():
    tr = Translator.for_language("zh_CN")
    (issue,) = [i for i in validate(load_script(BROKEN / "condition_types.yaml")) if i.code == "condition"]
    text = issue.render(tr)
    assert "节点“decide”" in text and "整数" in text and "文本" in text
    assert text.startswith(f"{BROKEN / 'condition_types.yaml'}:33: ")


SHIPPED_TEXT = resource_path("scripts", "home_visit_cn.yaml").read_text(encoding="utf-8")

# Small edits of the shipped Chinese script, each of which must be caught.
MUTATIONS = [
    ("identity skipped", "        next: introduction\n", "        next: purpose\n", "debt_before_identity", "purpose"),
    ("recording skipped", "    next: recording\n", "    next: confirm_identity\n", "debt_before_disclosure",
     "talk_now"),
    ("third party hears the purpose", "    next: end_third_party\n\n  wrong", "    next: purpose\n\n  wrong",
     "debt_before_identity", "purpose"),
    ("distress path goes on to offers", "    next: end_distress\n", "    next: offers\n",
     "debt_before_identity", "offers"),
    ("a stop path loops on itself", "    next: end_asked_to_leave\n", "    next: asked_to_leave\n",
     "loop_no_exit", "asked_to_leave"),
    ("yes/no compared with text", 'when: "payment_seen == true"', "when: \"payment_seen == 'yes'\"",
     "condition", "payment_check"),
    ("not an option", 'when: "payment_seen == true"', "when: \"reason == 'bored'\"", "condition", "payment_check"),
    ("fact from another branch", 'when: "payment_seen == true"', 'when: "promise_amount > 5"',
     "fact_not_collected", "payment_check"),
    ("placeholder typo", "{promise_amount} by", "{promise_amont} by", "placeholder", "promise_confirm"),
    ("translations disagree", "{promise_date}前", "{amount_due}前", "placeholder", "promise_confirm"),
    ("unknown outcome", "outcome: not_home}", "outcome: gone_home}", "unknown_outcome", "end_not_home"),
]


@pytest.mark.parametrize("label,old,new,code,node", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_edits_of_a_shipped_script_are_caught(label, old, new, code, node):
    assert old in SHIPPED_TEXT
    script = load_script_text(SHIPPED_TEXT.replace(old, new, 1), source="edited.yaml")
    issues = validate(script)
    assert (code, node) in {(i.code, i.node) for i in issues}, [str(i) for i in issues]
    issue = next(i for i in issues if (i.code, i.node) == (code, node))
    start = script.nodes[node].line  # the line points inside the node's own block
    end = min((n.line for n in script.nodes.values() if n.line > start), default=10**9)
    assert start <= issue.line < end


def test_readme_example_is_a_valid_script():
    text = resource_path("scripts", "README.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    assert validate(load_script_text(example, source="README example")) == []


def test_readme_documents_every_outcome_code():
    from fieldapp.core.outcomes import Outcome

    text = resource_path("scripts", "README.md").read_text(encoding="utf-8")
    for outcome in Outcome:
        assert f"| `{outcome.value}` |" in text


def test_yaml_pitfalls_are_defused():
    text = (BROKEN.parent / "broken" / "unknown_outcome.yaml").read_text(encoding="utf-8")
    # `no` as an option id stays the text "no" (YAML 1.1 would make it False)
    script = load_script_text(text.replace("{id: later,", "{id: no,").replace("maybe_later", "refused"),
                              source="t.yaml")
    assert [o.id for o in script.nodes["offer"].options] == ["no"]
    assert validate(script) == []


# ---------------------------------------------------------------------------- robustness
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=6), st.lists(st.integers(), max_size=2),
                 st.dictionaries(st.sampled_from(["en", "id", "next", "x"]), st.text(max_size=4), max_size=2))


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_any_damage_to_a_script_gives_issues_or_bad_input_never_a_crash(data):
    doc = yaml.safe_load((BROKEN / "fact_not_collected.yaml").read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(_paths(doc))[1:]))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = data.draw(JUNK)
    try:
        script = load_script_text(yaml.safe_dump(doc, allow_unicode=True), source="damaged.yaml")
    except BadInput as exc:
        assert str(exc).startswith("damaged.yaml:")
        return
    for issue in validate(script):
        assert issue.line >= 1 and str(issue).startswith(f"damaged.yaml:{issue.line}: ")



def test_an_input_kind_that_is_a_list_is_an_issue_not_a_crash():
    # found by the damage property above: `kind: []` made the validator raise TypeError
    script = load_script_text(SHIPPED_TEXT.replace("kind: money", "kind: []", 1), source="kind_list.yaml")
    messages = [str(i) for i in validate(script)]
    assert any("kind must be one of money, date, yes_no, integer (got [])" in m for m in messages), messages


def test_texts_that_threaten_or_insult_make_a_script_invalid_naming_node_language_and_words():
    issues = [i for i in validate(load_script(BROKEN / "conduct.yaml")) if i.code == "conduct"]
    said = {(i.node, i.params["lang"], i.params["phrase"]) for i in issues}
    assert ("tell", "zh_CN", "老赖") in said                                    # inside a required disclosure
    assert ("pressure", "zh_CN", "曝光通讯录") in said and ("pressure", "zh_CN", "后果自负") in said
    assert any(n == "offer" and "tell your employer" in p for n, _, p in said)
    assert ("offer", "en", "jail") in said
    text = next(str(i) for i in issues if i.node == "tell")
    assert text.endswith("node 'tell': the zh_CN text says “老赖”: insult")
    zh = next(i.render(Translator.for_language("zh_CN")) for i in issues if i.node == "tell")
    assert zh.endswith("zh_CN 文本中的“老赖”：侮辱性语言")


def test_the_debt_named_to_a_third_party_is_refused_whatever_the_flags_say():
    issues = [i for i in validate(load_script(BROKEN / "debt_said_early.yaml")) if i.code == "debt_said_early"]
    assert {i.node for i in issues} == {"neighbour"}
    assert {i.params["phrase"] for i in issues} >= {"owe", "five thousand yuan", "五千元"}
    assert all(i.path == ("neighbour",) for i in issues)


@pytest.mark.parametrize("words", ["They owe us 5,000 yuan.", "Your account is overdue.", "他的欠款逾期了。",
                                   "The balance is ¥5000.", "Please ask him to repay."])
def test_any_debt_word_or_amount_before_the_identity_check_is_refused(words):
    base = (BROKEN / "debt_said_early.yaml").read_text(encoding="utf-8")
    text = base.replace("Please tell {customer_name} that they owe us five thousand yuan.", words.replace('"', ""))
    text = text.replace("请转告{customer_name}，他欠我们五千元。", "谢谢，再见。")
    issues = [i for i in validate(load_script_text(text, source="edited.yaml")) if i.code == "debt_said_early"]
    assert issues and all(i.node == "neighbour" and i.params["lang"] == "en" for i in issues)


def test_the_shipped_scripts_are_valid_under_the_conduct_rules():
    for name in ("home_visit_cn", "home_visit_us"):
        assert validate(load_script(name)) == []
