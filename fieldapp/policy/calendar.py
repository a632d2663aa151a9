"""Regions and their official calendars (the `holidays` package), cached per region and year.

`region` is an ISO country code, optionally with a subdivision: `CN`, `US-MA`, `AU-NSW`.
A year's calendar is built once and kept (it is immutable data): public holidays with
their names, and the official working days, which for CN include the make-up working
weekend days (调休) and exclude public-holiday weekdays.

What is read from `holidays` is also kept on disk (`calendar_store`), so a process whose
regions and years were seen before does not import the package at all: every import of
`holidays` here is inside a function, reached only when the cache has no answer.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING

from fieldapp.core.errors import BadInput
from fieldapp.core.records import record
from fieldapp.policy.calendar_store import store

if TYPE_CHECKING:
    import holidays

_ALIASES = {"UK": "GB"}


def _strings(kept: object) -> bool:
    return type(kept) is list and all(type(code) is str for code in kept)


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    """The country codes the calendar knows (aliases included), read from the package's
    registry: `holidays.list_supported_countries()` would import every country's module."""
    cache = store()
    known = cache.get("countries", "all")
    if _strings(known):
        return frozenset(known)
    from holidays.registry import EntityLoader

    codes = sorted(EntityLoader.get_country_codes(include_aliases=True))
    cache.put("countries", "all", codes)
    return frozenset(codes)


@lru_cache(maxsize=None)
def _subdivisions(country: str) -> tuple[str, ...]:
    cache = store()
    known = cache.get("subdivisions", country)
    if _strings(known):
        return tuple(known)
    import holidays

    codes = list(getattr(holidays, country).subdivisions)  # imports this one country's module
    cache.put("subdivisions", country, codes)
    return tuple(codes)


def normalise_region(text: object, *, where: str | None = None, field: str = "customer.region") -> str:
    """`'us-ma'` -> `'US-MA'`; unknown countries or subdivisions are refused."""
    if type(text) is not str or not text.strip():
        raise BadInput("expected a region code such as CN or US-MA", where=where, field=field)
    country, _, subdiv = text.strip().partition("-")
    country = _ALIASES.get(country.upper(), country.upper())
    if country not in _countries():
        raise BadInput(f"unknown region {text!r}: {country!r} is not a country the holiday calendar knows",
                       where=where, field=field)
    if not subdiv:
        return country
    codes = _subdivisions(country)
    for code in codes:
        if code.upper() == subdiv.upper():
            return f"{country}-{code}"
    known = ", ".join(codes[:12]) + (", ..." if len(codes) > 12 else "") if codes else "none"
    raise BadInput(f"unknown region {text!r}: {country} has no subdivision {subdiv!r} (known: {known})",
                   where=where, field=field)


def national(region: str) -> str:
    return region.split("-", 1)[0]


def _calendar(region: str, year: int, language: str | None = None) -> holidays.HolidayBase:
    import holidays

    country, _, subdiv = region.partition("-")
    return holidays.country_holidays(country, subdiv=subdiv or None, years=year, language=language)


@record
class YearCalendar:
    holidays: dict[dt.date, str]     # public holidays -> English name
    non_working: frozenset[dt.date]  # weekend days and holidays that are not worked
    makeup: frozenset[dt.date]       # weekend days that are official working days

    def is_working_day(self, day: dt.date) -> bool:
        return day not in self.non_working


def _dates(days: object) -> dict[dt.date, str] | None:
    if type(days) is not dict:
        return None
    try:
        return {dt.date.fromisoformat(day): str(name) for day, name in days.items()}
    except (TypeError, ValueError):
        return None


def _date_set(days: object) -> frozenset[dt.date] | None:
    if type(days) is not list:
        return None
    try:
        return frozenset(dt.date.fromisoformat(day) for day in days)
    except (TypeError, ValueError):
        return None


def _iso(days: dict[dt.date, str]) -> dict[str, str]:
    return {day.isoformat(): name for day, name in days.items()}


@lru_cache(maxsize=256)
def year_calendar(region: str, year: int) -> YearCalendar:
    cache, key = store(), f"{region} {year}"
    kept = cache.get("years", key)
    if type(kept) is dict:
        names, non_working, makeup = (_dates(kept.get("holidays")), _date_set(kept.get("non_working")),
                                      _date_set(kept.get("makeup")))
        if names is not None and non_working is not None and makeup is not None:
            return YearCalendar(names, non_working, makeup)
    found = _year_calendar(region, year)
    cache.put("years", key, {"holidays": _iso(found.holidays),
                             "non_working": sorted(d.isoformat() for d in found.non_working),
                             "makeup": sorted(d.isoformat() for d in found.makeup)})
    return found


def _year_calendar(region: str, year: int) -> YearCalendar:
    cal = _calendar(region, year)
    names = {day: name for day, name in cal.items() if day.year == year}
    non_working: set[dt.date] = set()
    day = dt.date(year, 1, 1)
    one = dt.timedelta(days=1)
    while day.year == year:
        if not cal.is_working_day(day):
            non_working.add(day)
        day += one
    makeup = {d for d in getattr(cal, "weekend_workdays", ()) if d.year == year and d not in non_working}
    return YearCalendar(names, frozenset(non_working), frozenset(makeup))


def calendar_for(region: str, day: dt.date) -> YearCalendar:
    return year_calendar(region, day.year)


@lru_cache(maxsize=64)
def _localised(region: str, year: int, language: str) -> dict[dt.date, str]:
    cache, key = store(), f"{region} {year} {language}"
    kept = _dates(cache.get("localised", key))
    if kept is not None:
        return kept
    found = _localised_now(region, year, language)
    cache.put("localised", key, _iso(found))
    return found


def _localised_now(region: str, year: int, language: str) -> dict[dt.date, str]:
    import holidays

    country = national(region)
    cls = holidays.country_holidays(country, years=[]).__class__
    supported = getattr(cls, "supported_languages", ())
    if language not in supported:
        return {}
    return dict(_calendar(region, year, language).items())


def holiday_name(region: str, day: dt.date, language: str = "en") -> str:
    """The holiday's name in `language` when the calendar has it, else in English."""
    if language != "en":
        name = _localised(region, day.year, language).get(day)
        if name:
            return name
    return year_calendar(region, day.year).holidays.get(day, "")


__all__ = ["YearCalendar", "calendar_for", "holiday_name", "national", "normalise_region",
           "year_calendar"]
