"""`fieldapp.core.records`: frozen value classes that behave as frozen, slotted dataclasses
(the policy's classes moved from one to the other), without their cost at definition."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import os
import pickle
import subprocess
import sys
from typing import ClassVar

import pytest

from fieldapp.core.records import FrozenRecordError, field, fields, record, replace


@record
class Window:
    """Hours of a day."""

    start: int
    end: int
    days: str = "every_day"
    basis: dict[str, str] = field(default_factory=dict)
    label: str = field(init=False, repr=False, compare=False)
    KIND: ClassVar[str] = "window"

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", f"{self.start}-{self.end}")

    def hours(self) -> int:
        return self.end - self.start


@dataclasses.dataclass(frozen=True, slots=True)
class DataWindow:
    start: int
    end: int
    days: str = "every_day"
    basis: dict[str, str] = dataclasses.field(default_factory=dict)
    label: str = dataclasses.field(init=False, repr=False, compare=False)
    KIND: ClassVar[str] = "window"

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", f"{self.start}-{self.end}")


@record
class Point:
    lat: float
    lon: float
    at: dt.datetime | None = None


def test_construction_as_a_dataclass():
    for cls in (Window, DataWindow):
        w = cls(8, 20)
        assert (w.start, w.end, w.days, w.basis, w.label) == (8, 20, "every_day", {}, "8-20")
        assert cls(start=8, end=20, days="weekdays").days == "weekdays"
        assert cls(8, 20).basis is not cls(8, 20).basis  # a new dict each time
        with pytest.raises(TypeError, match="missing"):
            cls(8)
        with pytest.raises(TypeError):
            cls(8, 20, "x", {}, "label")  # not an __init__ field
        with pytest.raises(TypeError):
            cls(8, 20, colour="red")
    assert Window.KIND == "window" and "KIND" not in Window.__slots__
    assert Window.__doc__ == "Hours of a day." and Window(1, 2).hours() == 1
    assert repr(Window(8, 20)) == "Window(start=8, end=20, days='every_day', basis={})"
    assert Window.__match_args__ == DataWindow.__match_args__ == ("start", "end", "days", "basis")


def test_frozen_slotted_equal_and_hashed_over_the_compared_fields():
    w = Window(8, 20)
    with pytest.raises(FrozenRecordError):
        w.start = 9  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del w.end  # type: ignore[misc]
    with pytest.raises(AttributeError):
        w.colour = "red"  # type: ignore[attr-defined]
    assert not hasattr(w, "__dict__")
    assert w == Window(8, 20) and w != Window(8, 21) and w != DataWindow(8, 20)
    with pytest.raises(TypeError):
        hash(w)  # a dict field, as with dataclasses
    p = Point(1.0, 2.0)
    assert hash(p) == hash(Point(1.0, 2.0)) and {p, Point(1.0, 2.0)} == {p}
    assert p != Point(1.0, 2.0, dt.datetime(2026, 1, 1))


def test_replace_copy_and_pickle():
    w = Window(8, 20, basis={"start": "verified"})
    later = replace(w, end=22)
    assert (later.end, later.label, later.basis, w.end) == (22, "8-22", {"start": "verified"}, 20)
    with pytest.raises(ValueError, match="label"):
        replace(w, label="x")
    for again in (pickle.loads(pickle.dumps(w)), copy.copy(w), copy.deepcopy(w)):
        assert again == w and again.label == "8-20"
    assert [f.name for f in fields(w)] == ["start", "end", "days", "basis", "label"]


def test_field_order_is_checked_when_the_class_is_made():
    with pytest.raises(TypeError, match="follows default"):
        @record
        class Bad:
            a: int = 1
            b: int


def test_a_one_shot_check_does_not_import_dataclasses(tmp_path):
    """The point of records: the policy, its checks and `fieldapp check` load without
    `dataclasses` (and the `inspect` it brings)."""
    code = ("import sys; import fieldapp.policy, fieldapp.geo.distance, fieldapp.core.i18n; "
            "print(sorted(m for m in ('dataclasses', 'inspect', 'ast') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
