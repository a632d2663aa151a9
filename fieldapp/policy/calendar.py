"""Regions and their official calendars (the `holidays` package), cached per region and year.

`region` is an ISO country code, optionally with a subdivision: `CN`, `US-MA`, `AU-NSW`.
A year's calendar is built once and kept (it is immutable data): public holidays with
their names, and the official working days, which for CN include the make-up working
weekend days (调休) and exclude public-holiday weekdays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import holidays

from fieldapp.core.errors import BadInput

_ALIASES = {"UK": "GB"}


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    """The country codes the calendar knows (aliases included), read from the package's
    registry: `holidays.list_supported_countries()` would import every country's module."""
    from holidays.registry import EntityLoader

    return frozenset(EntityLoader.get_country_codes(include_aliases=True))


@lru_cache(maxsize=None)
def _subdivisions(country: str) -> tuple[str, ...]:
    return tuple(getattr(holidays, country).subdivisions)  # imports this one country's module


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
    country, _, subdiv = region.partition("-")
    return holidays.country_holidays(country, subdiv=subdiv or None, years=year, language=language)


@dataclass(frozen=True, slots=True)
class YearCalendar:
    holidays: dict[dt.date, str]     # public holidays -> English name
    non_working: frozenset[dt.date]  # weekend days and holidays that are not worked
    makeup: frozenset[dt.date]       # weekend days that are official working days

    def is_working_day(self, day: dt.date) -> bool:
        return day not in self.non_working


@lru_cache(maxsize=256)
def year_calendar(region: str, year: int) -> YearCalendar:
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
