"""A policy, compiled: every number parsed and checked once, so evaluation only compares.

The file format (TOML) is described in resources/policies/README.md; `loader` turns a
file into these frozen objects. Each section keeps its `basis`: for each field, whether
the number was read in the primary legal text (`verified`), only in secondary reports
(`secondary`), or is the institution's own choice (`institution_choice`), and its sources.
"""

from __future__ import annotations

import datetime as dt

from fieldapp.core.enums import Channel, CustomerFlag
from fieldapp.core.records import field, record

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_FLAGS = frozenset(f.value for f in CustomerFlag)
ALL_CHANNELS = frozenset(c.value for c in Channel)
CHANNEL_ORDER = tuple(c.value for c in Channel)
COMMON_BLOCKING = frozenset({"do_not_visit", "attorney", "cease_contact", "deceased", "vulnerable",
                             "bankruptcy", "no_home_visits"})
"""Flags that block a visit under every policy; a policy file may add to them, never remove."""

BASIS_STATUSES = ("verified", "secondary", "institution_choice")
SOURCE_STATUSES = ("primary", "secondary", "internal")
SEVERITIES = ("block", "warn")


@record
class Basis:
    """Why a field has its value: status (see BASIS_STATUSES), source ids and a note."""

    status: str
    sources: tuple[str, ...] = ()
    note: str = ""


@record
class Source:
    id: str
    title: str
    status: str  # primary text read (primary) / secondary report / internal document
    url: str = ""
    note: str = ""


@record
class Window:
    """Allowed local hours (minutes since midnight; `end` may be 1440 = 24:00) and days."""

    start: int
    end: int
    days: str  # "every_day" | "working_days" | "weekdays"
    weekdays: frozenset[int]  # 0 = Monday; used when days == "weekdays"
    severity: str = "block"
    basis: dict[str, Basis] = field(default_factory=dict)
    earliest: str = field(init=False, repr=False, compare=False)  # "08:00", for the sentences
    latest: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "earliest", f"{self.start // 60:02d}:{self.start % 60:02d}")
        object.__setattr__(self, "latest", f"{self.end // 60:02d}:{self.end % 60:02d}")


@record
class Holidays:
    banned: bool
    scope: str = "region"  # "region": country + subdivision; "national": country only
    severity: str = "block"
    basis: dict[str, Basis] = field(default_factory=dict)


@record
class Notice:
    required: bool
    channels: frozenset[str] = frozenset()
    require_delivery: bool = True
    min_notice: dt.timedelta = dt.timedelta(0)
    severity: str = "block"
    basis: dict[str, Basis] = field(default_factory=dict)
    # A notice recorded as sent or delivered later than the time of the check, by more than
    # this (clocks of the bank's systems, the SMS gateway and the laptop differ a little),
    # cannot have informed the customer: it is refused.
    max_clock_skew: dt.timedelta = dt.timedelta(minutes=5)
    ordered: tuple[str, ...] = field(init=False, repr=False, compare=False)  # channels, in Channel order

    def __post_init__(self) -> None:
        object.__setattr__(self, "ordered", tuple(c for c in CHANNEL_ORDER if c in self.channels))

    @property
    def min_notice_hours(self) -> float:
        return self.min_notice.total_seconds() / 3600


@record
class Frequency:
    max_visits: int | None  # None: no limit. Counts this visit too.
    per_days: int = 30
    count: str = "all"  # "all" | "contact_made"
    severity: str = "block"
    basis: dict[str, Basis] = field(default_factory=dict)
    # Contact attempts of every kind (visits, calls, messages) in the same per_days; this
    # visit included. None: calls and messages are not limited.
    max_attempts: int | None = None


@record
class Flags:
    block: frozenset[str] = COMMON_BLOCKING
    warn: frozenset[str] = frozenset()
    basis: dict[str, Basis] = field(default_factory=dict)


@record
class Geofence:
    max_distance_m: float = 300.0
    missing_location: str = "warn"
    severity: str = "block"
    basis: dict[str, Basis] = field(default_factory=dict)


@record
class AppointmentRule:
    checkin_early: dt.timedelta = dt.timedelta(minutes=15)
    severity: str = "block"
    basis: dict[str, Basis] = field(default_factory=dict)

    @property
    def checkin_early_minutes(self) -> int:
        return int(self.checkin_early.total_seconds() // 60)


@record
class Photos:
    """Photo evidence of a visit (the house number, a notice left at the door): whether it is
    allowed, what it must not show, and what of a photo's metadata is kept (all other EXIF
    is removed on the laptop before the photo is stored)."""

    allowed: bool = True
    people: bool = True         # False: no photos of people
    inside_homes: bool = True   # False: no photos inside homes
    keep_time: bool = True      # the time the photo was taken
    keep_position: bool = False  # the GPS position in the photo
    max_side_px: int = 1600     # longer side after downscaling
    basis: dict[str, Basis] = field(default_factory=dict)


@record
class Training:
    """Whether an agent must have practised the current version of the case's conversation
    script (practice mode) before a visit starts."""

    require_practice: bool = False
    severity: str = "block"
    basis: dict[str, Basis] = field(default_factory=dict)


@record
class Policy:
    id: str
    version: str
    title: str
    description: str
    regions: tuple[str, ...]  # empty: any region; "US" covers "US-MA"
    sources: tuple[Source, ...]
    window: Window
    holidays: Holidays
    notice: Notice
    frequency: Frequency
    flags: Flags
    geofence: Geofence
    appointment: AppointmentRule
    origin: str = ""  # the file it was read from
    training: Training = Training()
    photos: Photos = Photos()
    aliases: tuple[str, ...] = ()  # earlier ids: cases stored with one keep this policy
    names: tuple[tuple[str, str], ...] = ()  # (language, short name people read); default: title

    def name(self, lang: str = "en") -> str:
        """The policy's name for people reading `lang` (English, else the title, as fallback)."""
        names = dict(self.names)
        return names.get(lang) or names.get("en") or self.title

    def covers(self, region: str) -> bool:
        if not self.regions:
            return True
        country = region.split("-", 1)[0]
        return region in self.regions or country in self.regions

    def sections(self) -> dict[str, object]:
        return {"window": self.window, "holidays": self.holidays, "notice": self.notice,
                "frequency": self.frequency, "flags": self.flags, "geofence": self.geofence,
                "appointment": self.appointment, "training": self.training}
