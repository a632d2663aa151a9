"""Reading policy files (TOML) into compiled `Policy` objects, and finding the presets.

The format is documented for policy authors in resources/policies/README.md. Every
problem names the file, the dotted field and what is wrong; a file that cannot be read
completely is refused as a whole, never half-applied.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from functools import lru_cache
from pathlib import Path

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import LANGUAGES
from fieldapp.core.resources import resources_root
from fieldapp.policy._fields import Fields
from fieldapp.policy.calendar import normalise_region
from fieldapp.policy.model import (
    ALL_CHANNELS, ALL_FLAGS, BASIS_STATUSES, COMMON_BLOCKING, SEVERITIES, SOURCE_STATUSES, WEEKDAYS,
    AppointmentRule, Basis, Flags, Frequency, Geofence, Holidays, Notice, Photos, Policy, Source, Training,
    Window,
)

BASIS_KEYS: dict[str, tuple[str, ...]] = {
    "window": ("hours", "days"),
    "holidays": ("banned", "scope"),
    "notice": ("required", "channels", "min_notice_hours", "require_delivery", "max_clock_skew_minutes"),
    "frequency": ("max_visits", "per_days", "count", "max_attempts"),
    "flags": ("common", "extra_block", "warn"),
    "geofence": ("max_distance_m", "missing_location"),
    "appointment": ("checkin_early_minutes",),
    "training": ("require_practice",),
    "photos": ("allowed", "people", "inside_homes", "keep_time", "keep_position", "max_side_px"),
}
"""The fields a section's `basis` table may explain (window: `hours` covers start and end)."""

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_HHMM = re.compile(r"^(\d{2}):(\d{2})$")
_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
MAX_NOTICE_HOURS = 24 * 90
MAX_DISTANCE_M = 100_000.0


def _clock(f: Fields, key: str, *, allow_24: bool) -> int:
    text = f.take(key, str, required=True)
    m = _HHMM.match(text)
    if m:
        hours, minutes = int(m.group(1)), int(m.group(2))
        if minutes < 60 and (hours < 24 or (allow_24 and hours == 24 and minutes == 0)):
            return hours * 60 + minutes
    hint = "00:00 to 23:59, or 24:00 for the end" if allow_24 else "00:00 to 23:59"
    raise f.fail(key, f"impossible time {text!r} (write HH:MM from {hint})")


def _basis(f: Fields, section: str, source_ids: set[str]) -> dict[str, Basis]:
    table = f.table("basis")
    if table is None:
        return {}
    out: dict[str, Basis] = {}
    allowed = BASIS_KEYS[section]
    for key in list(table.data):
        if key not in allowed:
            raise table.fail(key, f"basis for an unknown field (known: {', '.join(allowed)})")
        entry = table.table(key)
        assert entry is not None
        status = entry.choice("status", BASIS_STATUSES, required=True)
        sources = entry.strings("sources")
        for i, sid in enumerate(sources):
            if sid not in source_ids:
                raise BadInput(f"names source {sid!r}, which is not in [[sources]]", where=f.where,
                               field=f"{entry.path}.sources[{i}]")
        note = entry.take("note", str, default="")
        entry.done()
        out[key] = Basis(status, sources, note)
    table.done()
    return out


def _severity(f: Fields, key: str = "severity") -> str:
    return f.choice(key, SEVERITIES, default="block")


def _window(f: Fields, sources: set[str]) -> Window:
    start = _clock(f, "start", allow_24=False)
    end = _clock(f, "end", allow_24=True)
    if start >= end:
        raise f.fail("end", f"the window must end after it starts ({f.data['start']} to {f.data['end']})")
    days_value = f.take("days", (str, list), required=True)
    weekdays: frozenset[int] = frozenset()
    if isinstance(days_value, str):
        days = f.choice("days", ("every_day", "working_days"))
    else:
        names = f.strings("days")
        if not names:
            raise f.fail("days", "name at least one day (mon..sun), or use \"every_day\" / \"working_days\"")
        for i, name in enumerate(names):
            if name not in WEEKDAYS:
                raise BadInput(f"{name!r} is not a day (use {', '.join(WEEKDAYS)})", where=f.where,
                               field=f"{f.field('days')}[{i}]")
        days, weekdays = "weekdays", frozenset(WEEKDAYS.index(n) for n in names)
    return Window(start, end, days, weekdays, _severity(f), _basis(f, "window", sources))


def _holidays(f: Fields, sources: set[str]) -> Holidays:
    banned = f.take("banned", bool, required=True)
    scope = f.choice("scope", ("region", "national"), default="region")
    return Holidays(banned, scope, _severity(f), _basis(f, "holidays", sources))


def _notice(f: Fields, sources: set[str]) -> Notice:
    required = f.take("required", bool, required=True)
    severity, basis = _severity(f), _basis(f, "notice", sources)
    if not required:
        for key in ("channels", "min_notice_hours", "require_delivery", "max_clock_skew_minutes"):
            if f.has(key):
                raise f.fail(key, "has no effect when notice is not required (remove it or set required = true)")
        return Notice(False, severity=severity, basis=basis)
    channels = f.strings("channels", required=True)
    if not channels:
        raise f.fail("channels", "name at least one accepted channel")
    for i, ch in enumerate(channels):
        if ch not in ALL_CHANNELS:
            raise BadInput(f"unknown channel {ch!r} (known: {', '.join(sorted(ALL_CHANNELS))})",
                           where=f.where, field=f"{f.field('channels')}[{i}]")
    hours = f.take("min_notice_hours", float, required=True)
    if not 0 <= hours <= MAX_NOTICE_HOURS:
        raise f.fail("min_notice_hours", f"{hours!r} is out of range (0 to {MAX_NOTICE_HOURS})")
    delivery = f.take("require_delivery", bool, default=True)
    skew = f.take("max_clock_skew_minutes", int, default=5)
    if not 0 <= skew <= 1440:
        raise f.fail("max_clock_skew_minutes", f"{skew} is out of range (0 to 1440)")
    return Notice(True, frozenset(channels), delivery, dt.timedelta(hours=hours), severity, basis,
                  dt.timedelta(minutes=skew))


def _frequency(f: Fields | None, sources: set[str]) -> Frequency:
    if f is None:
        return Frequency(None)
    max_visits = f.take("max_visits", int)
    max_attempts = f.take("max_attempts", int)
    if max_attempts is not None and not 1 <= max_attempts <= 1000:
        raise f.fail("max_attempts", f"{max_attempts} is out of range (1 to 1000 contact attempts)")
    if max_visits is None and max_attempts is None:  # an explicit "no limit", usually with its basis
        for key in ("per_days", "count", "severity"):
            if f.has(key):
                raise f.fail(key, "has no effect without max_visits or max_attempts (set one, or remove it)")
        return Frequency(None, basis=_basis(f, "frequency", sources))
    if max_visits is not None and max_visits < 1:
        raise f.fail("max_visits", f"{max_visits} is not a positive number of visits (omit [frequency] for no limit)")
    per_days = f.take("per_days", int, required=True)
    if not 1 <= per_days <= 3660:
        raise f.fail("per_days", f"{per_days} is out of range (1 to 3660 days)")
    count = f.choice("count", ("all", "contact_made"), default="all")
    return Frequency(max_visits, per_days, count, _severity(f), _basis(f, "frequency", sources), max_attempts)


def _flag_list(f: Fields, key: str) -> frozenset[str]:
    names = f.strings(key)
    for i, name in enumerate(names):
        if name not in ALL_FLAGS:
            raise BadInput(f"unknown flag {name!r} (known: {', '.join(sorted(ALL_FLAGS))})",
                           where=f.where, field=f"{f.field(key)}[{i}]")
    return frozenset(names)


def _flags(f: Fields | None, sources: set[str]) -> Flags:
    if f is None:
        return Flags()
    extra = _flag_list(f, "extra_block")
    warn = _flag_list(f, "warn")
    block = COMMON_BLOCKING | extra
    if warn & block:
        raise f.fail("warn", f"{', '.join(sorted(warn & block))} already block the visit")
    return Flags(block, warn, _basis(f, "flags", sources))


def _geofence(f: Fields | None, sources: set[str]) -> Geofence:
    if f is None:
        return Geofence()
    distance = f.take("max_distance_m", float, default=300.0)
    if not 0 < distance <= MAX_DISTANCE_M:
        raise f.fail("max_distance_m", f"{distance!r} is out of range (more than 0, at most {MAX_DISTANCE_M:g})")
    missing = f.choice("missing_location", SEVERITIES, default="warn")
    return Geofence(float(distance), missing, _severity(f), _basis(f, "geofence", sources))


def _appointment(f: Fields | None, sources: set[str]) -> AppointmentRule:
    if f is None:
        return AppointmentRule()
    minutes = f.take("checkin_early_minutes", int, default=15)
    if not 0 <= minutes <= 1440:
        raise f.fail("checkin_early_minutes", f"{minutes} is out of range (0 to 1440)")
    return AppointmentRule(dt.timedelta(minutes=minutes), _severity(f), _basis(f, "appointment", sources))


def _training(f: Fields | None, sources: set[str]) -> Training:
    if f is None:
        return Training()
    required = f.take("require_practice", bool, default=False)
    return Training(required, _severity(f), _basis(f, "training", sources))


def _photos(f: Fields | None, sources: set[str]) -> Photos:
    if f is None:
        return Photos()
    defaults = Photos()
    flags = {k: f.take(k, bool, default=getattr(defaults, k)) for k in
             ("allowed", "people", "inside_homes", "keep_time", "keep_position")}
    side = f.take("max_side_px", int, default=1600)
    if not 320 <= side <= 8000:
        raise f.fail("max_side_px", f"{side} is out of range (320 to 8000 pixels)")
    return Photos(**flags, max_side_px=side, basis=_basis(f, "photos", sources))


def _sources(top: Fields) -> tuple[Source, ...]:
    out: list[Source] = []
    seen: set[str] = set()
    for s in top.tables("sources"):
        sid = s.take("id", str, required=True)
        if sid in seen:
            raise s.fail("id", f"source {sid!r} is listed twice")
        seen.add(sid)
        out.append(Source(sid, s.take("title", str, required=True),
                          s.choice("status", SOURCE_STATUSES, required=True),
                          s.take("url", str, default=""), s.take("note", str, default="")))
        s.done()
    return tuple(out)


def _names(head: Fields) -> tuple[tuple[str, str], ...]:
    """`name = { en = "...", zh_CN = "..." }`: the short name per language (optional)."""
    table = head.table("name")
    if table is None:
        return ()
    out = []
    for lang in list(table.data):
        if lang not in LANGUAGES:
            raise table.fail(lang, f"unknown language (use {', '.join(LANGUAGES)})")
        text = table.take(lang, str, required=True).strip()
        if not text or len(text) > 80:
            raise table.fail(lang, "a name is 1 to 80 characters")
        out.append((lang, text))
    table.done()
    return tuple(out)


def parse_policy(data: dict, *, where: str) -> Policy:
    """Compile parsed TOML into a `Policy`; `where` names the file in error messages."""
    top = Fields(data, where=where)
    head = top.table("policy", required=True)
    assert head is not None
    pid = head.take("id", str, required=True)
    if not _ID.match(pid):
        raise head.fail("id", f"{pid!r} is not a policy id (lower-case letters, digits, '.', '_', '-')")
    version = head.take("version", str, required=True)
    title = head.take("title", str, required=True)
    names = _names(head)
    aliases = head.strings("aliases")
    for i, alias in enumerate(aliases):
        if not _ID.match(alias) or alias == pid:
            raise BadInput(f"{alias!r} is not another policy id", where=where, field=f"policy.aliases[{i}]")
    description = head.take("description", str, default="")
    regions = tuple(normalise_region(r, where=where, field=f"policy.regions[{i}]")
                    for i, r in enumerate(head.strings("regions")))
    head.done()
    sources = _sources(top)
    ids = {s.id for s in sources}

    def section(name: str, required: bool = False) -> Fields | None:
        return top.table(name, required=required)

    sections = {name: section(name, name in ("window", "holidays", "notice")) for name in BASIS_KEYS}
    policy = Policy(
        id=pid, version=version, title=title, description=description, regions=regions,
        sources=sources,
        window=_window(sections["window"], ids),  # type: ignore[arg-type]
        holidays=_holidays(sections["holidays"], ids),  # type: ignore[arg-type]
        notice=_notice(sections["notice"], ids),  # type: ignore[arg-type]
        frequency=_frequency(sections["frequency"], ids),
        flags=_flags(sections["flags"], ids),
        geofence=_geofence(sections["geofence"], ids),
        appointment=_appointment(sections["appointment"], ids),
        origin=where, aliases=aliases, names=names,
        training=_training(sections["training"], ids),
        photos=_photos(sections["photos"], ids),
    )
    for f in sections.values():
        if f is not None:
            f.done()
    top.done()
    return policy


def policies_dir() -> Path:
    return resources_root() / "policies"


def list_presets() -> list[str]:
    """The ids of the shipped presets (file names in resources/policies/). The folder is
    listed again when it changes (its modification time): every policy loaded by id asks."""
    folder = policies_dir()
    try:
        changed = folder.stat().st_mtime_ns
    except OSError:
        return []
    return list(_presets_in(str(folder), changed))


@lru_cache(maxsize=4)
def _presets_in(folder: str, changed_ns: int) -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in Path(folder).glob("*.toml")))


@lru_cache(maxsize=32)
def _load_file(path: str, mtime_ns: int, size: int) -> Policy:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read the policy file ({exc.strerror})", where=path) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadInput("the policy file is not UTF-8 text", where=path) from None
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_AT.search(str(exc))
        where = f"{path}:{m.group(1)}:{m.group(2)}" if m else path
        raise BadInput(f"not valid TOML: {_TOML_AT.sub('', str(exc)).strip()}", where=where) from None
    return parse_policy(data, where=path)


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or text.endswith(".toml") or Path(text).is_file()


def load_policy(id_or_path: str | Path) -> Policy:
    """A preset by id (`cn`, `us-ma`..., or an earlier id a preset lists in its `aliases`)
    or an institution's own file by path.

    Compiled policies are cached per file and modification time, so callers may load
    freely; an edited file is read again.
    """
    if isinstance(id_or_path, Path) or _looks_like_path(str(id_or_path)):
        path = Path(id_or_path)
        if not path.is_file():
            raise BadInput("policy file not found", where=str(path))
    else:
        presets = list_presets()
        name = str(id_or_path)
        if name not in presets:
            name = preset_aliases().get(name, "")
        if not name:
            raise BadInput(f"unknown policy {id_or_path!r}; presets: {', '.join(presets)} "
                           "(or give the path of a .toml file)", field="policy")
        path = policies_dir() / f"{name}.toml"
    return _load_path(path)


def _load_path(path: Path) -> Policy:
    st = path.stat()
    return _load_file(str(path), st.st_mtime_ns, st.st_size)


def preset_aliases() -> dict[str, str]:
    """Earlier ids of the shipped presets -> their current id (a preset's `aliases`)."""
    out: dict[str, str] = {}
    for pid in list_presets():
        try:
            policy = _load_path(policies_dir() / f"{pid}.toml")
        except (BadInput, OSError):
            continue  # a broken preset is reported when it is asked for by its own id
        for alias in policy.aliases:
            out.setdefault(alias, pid)
    return out
