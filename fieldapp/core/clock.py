"""The application's one clock.

Every part of fieldapp that needs "now" or "today" asks this module, never `datetime.now()`,
`date.today()`, `time.time()` for a date, or Qt's `QDate.currentDate()`. Elapsed time (timeouts,
retries, progress) is measured with `time.monotonic()` and is not the clock's business.

The source is replaceable:

- `set_source(fn)` installs any callable returning an aware datetime (tests, the tour);
- `FrozenClock(at, tick=False)` is a source that stands still at `at` (or, with `tick=True`,
  starts there and runs with real time); `frozen(...)` installs one for a `with` block;
- the environment variable `FIELDAPP_CLOCK` (read once, when this module is imported) installs a
  frozen clock in a new process, so a server or client started as a subprocess shares the
  test's or the tour's time. Its value is `ISO-8601` (standing still) or `ISO-8601@EPOCH`
  (running: at wall-clock `EPOCH` seconds the clock read `ISO-8601`). `FrozenClock.env_value()`
  writes it.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

UTC = _dt.timezone.utc
ENV = "FIELDAPP_CLOCK"

Source = Callable[[], _dt.datetime]


def system_now() -> _dt.datetime:
    """The operating system's time, aware, in UTC."""
    return _dt.datetime.now(UTC)


class FrozenClock:
    """A clock that reads `at` (aware) and moves only when told, or with real time if `tick`."""

    def __init__(self, at: _dt.datetime, *, tick: bool = False) -> None:
        self.tick = tick
        self._at = _aware(at)
        self._anchor = time.time()
        self.exported = False  # when True, set() also rewrites FIELDAPP_CLOCK for subprocesses

    def __call__(self) -> _dt.datetime:
        if not self.tick:
            return self._at
        return self._at + _dt.timedelta(seconds=time.time() - self._anchor)

    def set(self, at: _dt.datetime) -> None:
        self._at = _aware(at)
        self._anchor = time.time()
        if self.exported:
            os.environ[ENV] = self.env_value()

    def advance(self, delta: _dt.timedelta | None = None, **kwargs: float) -> _dt.datetime:
        """Move forward by `delta` (or timedelta keyword arguments); returns the new time."""
        self.set(self() + (delta if delta is not None else _dt.timedelta(**kwargs)))
        return self()

    def env_value(self) -> str:
        """The `FIELDAPP_CLOCK` value that makes a new process read this same clock."""
        current = self().astimezone(UTC).isoformat()
        return f"{current}@{time.time():.6f}" if self.tick else current

    @classmethod
    def from_env_value(cls, value: str) -> FrozenClock:
        text, _, epoch = value.strip().partition("@")
        at = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        if not epoch:
            return cls(at)
        clock = cls(at, tick=True)
        clock._anchor = float(epoch)
        return clock


def _aware(at: _dt.datetime) -> _dt.datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the clock needs an aware datetime")
    return at.astimezone(UTC)


def _source_from_env() -> Source:
    value = os.environ.get(ENV, "").strip()
    if not value:
        return system_now
    try:
        return FrozenClock.from_env_value(value)
    except ValueError:
        raise SystemExit(f"{ENV}={value!r} is not an ISO 8601 time with an offset") from None


_source: Source = _source_from_env()


def now() -> _dt.datetime:
    """Now, aware, in UTC."""
    value = _source()
    return value.astimezone(UTC) if value.tzinfo is not UTC else value


def now_in(tz: _dt.tzinfo | str) -> _dt.datetime:
    """Now in a zone (an IANA name or a tzinfo)."""
    return now().astimezone(ZoneInfo(tz) if isinstance(tz, str) else tz)


def today(tz: _dt.tzinfo | str) -> _dt.date:
    """Today's date in a zone: there is no zone-free "today"."""
    return now_in(tz).date()


def local_zone() -> _dt.tzinfo:
    """The machine's own zone (for showing times to the user when no zone was chosen): an IANA
    zone when the system names one (TZ, /etc/localtime), else its current fixed offset."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                return ZoneInfo(name)
            except (ValueError, OSError, KeyError):
                continue
    zone = now().astimezone().tzinfo
    return zone or UTC


def source() -> Source:
    return _source


def set_source(fn: Source) -> Source:
    """Install a new source; returns the previous one (to put back)."""
    global _source
    previous, _source = _source, fn
    return previous


@contextmanager
def frozen(at: _dt.datetime, *, tick: bool = False) -> Iterator[FrozenClock]:
    """Run a block with the clock frozen at `at` (and exported to subprocesses)."""
    clock = FrozenClock(at, tick=tick)
    previous = set_source(clock)
    previous_env = os.environ.get(ENV)
    clock.exported = True
    os.environ[ENV] = clock.env_value()
    try:
        yield clock
    finally:
        clock.exported = False
        set_source(previous)
        if previous_env is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = previous_env
