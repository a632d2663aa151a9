"""A YAML loader that remembers line numbers, so every error can name its line.

Scripts are written by compliance staff; an error that says "line 42" is one they can
fix. PyYAML's composed nodes carry marks; this loader keeps them on the mappings and
sequences it builds (`LineDict.line`, `LineDict.key_lines`, `LineList.item_lines`).

It also removes three traps of YAML 1.1 for non-programmers:
- `yes`, `no`, `on`, `off` stay strings (only `true`/`false` are booleans), so an option
  called `no` is not silently turned into False;
- numbers with a fraction become `Decimal`, never float, so money stays exact;
- a key written twice in one mapping is an error, not a silent overwrite.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from fieldapp.core.errors import BadInput

_BOOL_TAG = "tag:yaml.org,2002:bool"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


class LineDict(dict):
    """A dict that knows the line it starts on and the line of each key (1-based)."""

    line: int = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A list that knows the line it starts on and the line of each item (1-based)."""

    line: int = 0

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


# libyaml's parser when present (about ten times faster); the pure-Python one otherwise.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader with YAML 1.2 booleans, Decimal fractions and line-keeping containers."""


# Only true/false are booleans (YAML 1.2), not yes/no/on/off.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _construct_decimal(loader: _Loader, node: yaml.ScalarNode) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} is not a finite number", node.start_mark)
    return value


def _construct_map(loader: _Loader, node: yaml.MappingNode):
    data = LineDict()
    data.line = _line(node)
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark,
                "a key must be a plain value", key_node.start_mark) from None
        if key in data:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark,
                f"the key {key!r} appears twice (first on line {data.key_lines[key]})",
                key_node.start_mark)
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = _line(key_node)


def _construct_seq(loader: _Loader, node: yaml.SequenceNode):
    data = LineList()
    data.line = _line(node)
    yield data
    for item in node.value:
        data.append(loader.construct_object(item, deep=True))
        data.item_lines.append(_line(item))


_Loader.add_constructor(_FLOAT_TAG, _construct_decimal)
_Loader.add_constructor(_MAP_TAG, _construct_map)
_Loader.add_constructor(_SEQ_TAG, _construct_seq)


def load_yaml(text: str, *, source: str) -> Any:
    """Parse one YAML document; a syntax error is BadInput naming `source:line`."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = exc.problem or exc.context or "malformed YAML"
        raise BadInput(f"bad YAML: {problem}", where=f"{source}:{line}") from None
    except yaml.YAMLError as exc:
        raise BadInput(f"bad YAML: {exc}", where=source) from None
