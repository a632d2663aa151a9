"""Strict readers for nested dicts (parsed TOML or JSON) that name the file and the field.

A policy or a visit context is read once, at the edge, into frozen objects; every problem
is a `BadInput` saying where (the file), which field (a dotted path such as
`notifications[2].sent_at`) and what is wrong, so nothing is ever evaluated from a guess.
"""

from __future__ import annotations

from typing import Any

from fieldapp.core.errors import BadInput

_TYPE_NAMES = {str: "a string", bool: "true or false", int: "an integer", float: "a number",
               list: "a list", dict: "a table/object"}


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    for kind, name in _TYPE_NAMES.items():
        if type(value) is kind:
            return name
    return type(value).__name__


class Fields:
    """The fields of one table/object; `take` each, then `done` refuses the unknown ones."""

    __slots__ = ("data", "where", "path", "_seen")

    def __init__(self, data: Any, *, where: str | None, path: str = ""):
        if not isinstance(data, dict):
            raise BadInput(f"expected a table/object, got {type_name(data)}", where=where, field=path or None)
        self.data = data
        self.where = where
        self.path = path
        self._seen: set[str] = set()

    def field(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, message: str) -> BadInput:
        return BadInput(message, where=self.where, field=self.field(key))

    def has(self, key: str) -> bool:
        return key in self.data

    def take(self, key: str, kind: type | tuple[type, ...], *, required: bool = False,
             default: Any = None, nullable: bool = False) -> Any:
        self._seen.add(key)
        if key not in self.data:
            if required:
                raise self.fail(key, "is required")
            return default
        value = self.data[key]
        if value is None and nullable:
            return default
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = any(type(value) is k or (k is float and type(value) is int) for k in kinds)
        if not ok:
            wanted = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            raise self.fail(key, f"expected {wanted}, got {type_name(value)}")
        return value

    def table(self, key: str, *, required: bool = False) -> "Fields | None":
        value = self.take(key, dict, required=required)
        return None if value is None else Fields(value, where=self.where, path=self.field(key))

    def strings(self, key: str, *, required: bool = False, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.take(key, list, required=required)
        if value is None:
            return default
        for i, item in enumerate(value):
            if type(item) is not str:
                raise BadInput(f"expected a string, got {type_name(item)}", where=self.where,
                               field=f"{self.field(key)}[{i}]")
        return tuple(value)

    def tables(self, key: str) -> list["Fields"]:
        value = self.take(key, list)
        out = []
        for i, item in enumerate(value or ()):
            out.append(Fields(item, where=self.where, path=f"{self.field(key)}[{i}]"))
        return out

    def choice(self, key: str, options: tuple[str, ...], *, default: str | None = None,
               required: bool = False) -> str:
        value = self.take(key, str, required=required, default=default)
        if value not in options:
            raise self.fail(key, f"{value!r} is not one of {', '.join(options)}")
        return value

    def done(self) -> None:
        unknown = [k for k in self.data if k not in self._seen]
        if unknown:
            known = ", ".join(sorted(self._seen)) or "none"
            raise self.fail(str(unknown[0]), f"unknown field (known fields here: {known})")
