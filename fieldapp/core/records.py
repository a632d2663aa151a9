"""Frozen value classes that cost next to nothing to define.

`dataclasses` writes a class's methods as source text and compiles them while the class is
being defined: close to a millisecond a class on Python 3.11, and `import dataclasses`
brings `inspect` with it. A policy and its checks are two dozen such classes, which made
most of a one-shot `fieldapp check`'s start-up. `@record` makes the same kind of class as
`@dataclass(frozen=True, slots=True)`: fields from the annotations, in order, with defaults
or `field(default_factory=...)`, fields left out of `__init__` (set by `__post_init__`),
equality and hashing over the compared fields, a repr, `replace` and pickling. Only its
`__init__` is compiled, once, when the class is first instantiated (so building records
costs what a dataclass's do).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")
_MISSING: Any = object()
_SET = object.__setattr__


class FrozenRecordError(AttributeError):
    """A field of a frozen record was assigned or deleted."""


class Field:
    __slots__ = ("name", "default", "factory", "init", "repr", "compare")

    def __init__(self, default: Any = _MISSING, factory: Callable[[], Any] | None = None, init: bool = True,
                 repr: bool = True, compare: bool = True):  # noqa: A002 - the dataclasses names
        self.name, self.default, self.factory = "", default, factory
        self.init, self.repr, self.compare = init, repr, compare

    @property
    def required(self) -> bool:
        return self.default is _MISSING and self.factory is None

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


def field(*, default: Any = _MISSING, default_factory: Callable[[], Any] | None = None, init: bool = True,
          repr: bool = True, compare: bool = True) -> Any:  # noqa: A002
    if default is not _MISSING and default_factory is not None:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, init, repr, compare)


def _is_class_var(annotation: object) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return annotation is ClassVar or getattr(annotation, "__origin__", None) is ClassVar


def record(cls: type[T]) -> type[T]:
    """The frozen, slotted value class of `cls` (see the module's description)."""
    fields: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        fields.update(getattr(base, "__record_fields__", {}))
    own = [name for name, annotation in cls.__dict__.get("__annotations__", {}).items()
           if not _is_class_var(annotation)]
    for name in own:
        value = cls.__dict__.get(name, _MISSING)
        f = value if isinstance(value, Field) else Field(value)
        f.name = name
        fields[name] = f
    seen_default = False
    for f in fields.values():
        if not f.init:
            continue
        if f.required and seen_default:
            raise TypeError(f"{cls.__name__}: non-default argument {f.name!r} follows default argument")
        seen_default = seen_default or not f.required
    namespace = {key: value for key, value in cls.__dict__.items()
                 if key not in own and key not in ("__dict__", "__weakref__")}
    namespace["__slots__"] = tuple(own)
    namespace["__record_fields__"] = fields
    namespace["__match_args__"] = tuple(name for name, f in fields.items() if f.init)
    for name, method in _METHODS.items():
        if name not in cls.__dict__ or name in ("__setattr__", "__delattr__"):
            namespace[name] = method
    return type(cls)(cls.__name__, cls.__bases__, namespace)  # type: ignore[return-value]


def _lazy_init(self: Any, *args: Any, **kwargs: Any) -> None:
    """The first instance of a class: its `__init__` is compiled and put in place."""
    cls = type(self)
    cls.__init__ = _compile_init(cls)  # type: ignore[misc]
    cls.__init__(self, *args, **kwargs)


def _compile_init(cls: type) -> Callable[..., None]:
    """`__init__` as dataclasses write it: a parameter per init field, named as the field."""
    env: dict[str, Any] = {"_rec_set": _SET, "_rec_none": _MISSING}
    params, body = ["self"], []
    for i, f in enumerate(cls.__record_fields__.values()):  # type: ignore[attr-defined]
        name = f.name
        if f.factory is not None:
            env[f"_rec_f{i}"] = f.factory
            value = f"_rec_f{i}() if {name} is _rec_none else {name}" if f.init else f"_rec_f{i}()"
            default = "_rec_none"
        else:
            env[f"_rec_d{i}"] = f.default
            value = name if f.init else f"_rec_d{i}"
            default = None if f.required else f"_rec_d{i}"
            if not f.init and f.required:
                continue  # set by __post_init__
        if f.init:
            params.append(name if default is None else f"{name}={default}")
        body.append(f"_rec_set(self, {name!r}, {value})")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    source = f"def __init__({', '.join(params)}):\n" + "".join(f"    {line}\n" for line in body or ["pass"])
    exec(source, env)  # noqa: S102 - written from the class's own field names
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init  # type: ignore[no-any-return]


def _values(self: Any, which: str) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name, f in self.__record_fields__.items() if getattr(f, which))


def _repr(self: Any) -> str:
    fields = self.__record_fields__
    inner = ", ".join(f"{name}={getattr(self, name)!r}" for name, f in fields.items() if f.repr)
    return f"{type(self).__qualname__}({inner})"


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _values(self, "compare") == _values(other, "compare")


def _hash(self: Any) -> int:
    return hash(_values(self, "compare"))


def _setattr(self: Any, name: str, _value: object) -> None:
    raise FrozenRecordError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")


def _delattr(self: Any, name: str) -> None:
    raise FrozenRecordError(f"cannot delete field {name!r} of a frozen {type(self).__name__}")


def _getstate(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in self.__record_fields__)


def _setstate(self: Any, state: tuple[Any, ...]) -> None:
    for name, value in zip(self.__record_fields__, state):
        _SET(self, name, value)


_METHODS: dict[str, Any] = {"__init__": _lazy_init, "__repr__": _repr, "__eq__": _eq, "__hash__": _hash,
                            "__setattr__": _setattr, "__delattr__": _delattr, "__getstate__": _getstate,
                            "__setstate__": _setstate}


def fields(obj: Any) -> tuple[Field, ...]:
    return tuple(obj.__record_fields__.values())


def replace(obj: T, **changes: Any) -> T:
    """A copy of record `obj` with `changes` (as `dataclasses.replace`)."""
    for name, f in obj.__record_fields__.items():  # type: ignore[attr-defined]
        if not f.init:
            if name in changes:
                raise ValueError(f"field {name!r} is not set by __init__ and cannot be replaced")
            continue
        if name not in changes:
            changes[name] = getattr(obj, name)
    return type(obj)(**changes)
