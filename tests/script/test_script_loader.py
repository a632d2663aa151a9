"""Loading scripts: line numbers kept, YAML traps defused, unreadable files named."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fieldapp.core.errors import BadInput
from fieldapp.script import list_shipped, load_script, load_script_text
from fieldapp.script.yamlload import load_yaml

from script_helpers import BROKEN


def test_lines_are_kept_and_yaml_one_one_traps_are_gone():
    data = load_yaml("a: yes\nb: 1.50\nc:\n  - no\n  - {y: off, z: true}\nd: 3\n", source="t.yaml")
    assert data == {"a": "yes", "b": Decimal("1.50"), "c": ["no", {"y": "off", "z": True}], "d": 3}
    assert type(data["b"]) is Decimal
    assert data.key_lines == {"a": 1, "b": 2, "c": 3, "d": 6}
    assert data["c"].item_lines == [4, 5] and data["c"][1].line == 5


@pytest.mark.parametrize("text,where,words", [
    ("a: 1\nb: 2\na: 3\n", "t.yaml:3", "the key 'a' appears twice (first on line 1)"),
    ("a: [1, 2\nb: 3\n", "t.yaml:2", "bad YAML"),
    ("a: .nan\n", "t.yaml:1", "not a finite number"),
    ("a: 1\n  b: 2\n", "t.yaml:2", "bad YAML"),
])
def test_bad_yaml_names_the_line(text, where, words):
    with pytest.raises(BadInput) as err:
        load_yaml(text, source="t.yaml")
    assert str(err.value).startswith(where + ": ") and words in str(err.value)


def test_files_that_cannot_be_read_are_named(tmp_path):
    with pytest.raises(BadInput, match="cannot read the script"):
        load_script(tmp_path / "none.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"id: x\n# caf\xe9\n")
    with pytest.raises(BadInput, match=r"latin.yaml:2: the file is not UTF-8 text"):
        load_script(latin)
    with pytest.raises(BadInput, match=r"<s>:1: a script is a YAML mapping"):
        load_script_text("- a list\n", source="<s>")
    with pytest.raises(BadInput, match=r"<s>:2: a script needs 'nodes'"):
        load_script_text("id: x\nnodes: []\n", source="<s>")
    with pytest.raises(BadInput, match="no shipped script with this id"):
        load_script("home_visit_xx")


def test_shipped_scripts_load_by_id_and_by_path():
    by_id = load_script("home_visit_cn")
    by_path = load_script(by_id.source)
    assert by_id.sha256 == by_path.sha256 and len(by_id.nodes) == 52
    assert {s.id for s in list_shipped()} == {"home_visit_cn", "home_visit_us"}  # not the phrase list


def test_a_byte_order_mark_is_accepted(tmp_path):
    source = (BROKEN / "unreachable.yaml").read_bytes()
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + source)
    assert load_script(path).id == "mini"
