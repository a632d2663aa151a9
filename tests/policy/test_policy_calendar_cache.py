"""The calendars kept on disk (fieldapp.policy.calendar_store) answer as `holidays` does,
spare a later process the import of `holidays`, and are rebuilt when the package changes or
the file is damaged."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import holidays
import pytest

from fieldapp.policy import calendar, calendar_store
from fieldapp.policy.calendar import holiday_name, normalise_region, year_calendar

CASES = [("CN", 2026), ("CN", 2024), ("US-MA", 2025), ("GB", 2026)]


def _fresh_state() -> None:
    """What this process remembers goes; what is on disk stays."""
    for fn in (calendar._countries, calendar._subdivisions, calendar.year_calendar, calendar._localised):
        fn.cache_clear()
    calendar_store.forget()


@pytest.fixture(autouse=True)
def fresh(_isolated_dirs):
    _fresh_state()
    yield _isolated_dirs / "cache"
    _fresh_state()  # other tests must not see this test's key or folder


def _direct(region: str, year: int) -> tuple[dict, frozenset, frozenset]:
    country, _, subdiv = region.partition("-")
    cal = holidays.country_holidays(country, subdiv=subdiv or None, years=year)
    names = {day: name for day, name in cal.items() if day.year == year}
    days = [dt.date(year, 1, 1) + dt.timedelta(n) for n in range(366)]
    non_working = frozenset(d for d in days if d.year == year and not cal.is_working_day(d))
    makeup = frozenset(d for d in cal.weekend_workdays if d.year == year) - non_working
    return names, non_working, makeup


def _from_disk_only(monkeypatch) -> None:
    """From here on, reaching `holidays` fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("the calendar went to the holidays package")
    for name in ("_year_calendar", "_localised_now", "_calendar"):
        monkeypatch.setattr(calendar, name, refuse)


def _files(folder):
    return sorted(p.name for p in folder.glob("calendars-*.json"))


@pytest.mark.parametrize("region, year", CASES)
def test_a_warm_cache_answers_as_the_holidays_package(region, year, fresh, monkeypatch):
    cold = year_calendar(region, year)
    assert len(_files(fresh)) == 1
    _fresh_state()
    _from_disk_only(monkeypatch)
    warm = year_calendar(region, year)
    names, non_working, makeup = _direct(region, year)
    assert (warm.holidays, warm.non_working, warm.makeup) == (names, non_working, makeup)
    assert (cold.holidays, cold.non_working, cold.makeup) == (names, non_working, makeup)


def test_china_make_up_days_and_chinese_names_come_from_the_cache(fresh, monkeypatch):
    assert holiday_name("CN", dt.date(2026, 10, 1), "zh_CN") == "国庆节"
    year_calendar("CN", 2026)
    _fresh_state()
    _from_disk_only(monkeypatch)
    cal = year_calendar("CN", 2026)
    assert {dt.date(2026, 1, 4), dt.date(2026, 2, 14), dt.date(2026, 9, 20)} <= cal.makeup
    assert cal.is_working_day(dt.date(2026, 2, 14))          # a Saturday worked (调休)
    assert not cal.is_working_day(dt.date(2026, 10, 2))      # a Friday off
    localised = calendar._localised("CN", 2026, "zh_CN")
    assert localised == dict(holidays.country_holidays("CN", years=2026, language="zh_CN").items())
    assert holiday_name("CN", dt.date(2026, 10, 1), "zh_CN") == "国庆节"
    assert holiday_name("CN", dt.date(2026, 10, 1), "en") == "National Day"


def test_regions_come_from_the_cache(fresh, monkeypatch):
    monkeypatch.setattr(calendar_store, "package_key", lambda: "pinned")  # found with holidays hidden too
    assert normalise_region("us-ma") == "US-MA"
    _fresh_state()
    _from_disk_only(monkeypatch)
    monkeypatch.setitem(sys.modules, "holidays", None)  # any import of it now raises
    assert (normalise_region("us-ma"), normalise_region("uk"), normalise_region("cn")) == ("US-MA", "GB", "CN")
    with pytest.raises(Exception, match="not a country"):
        normalise_region("XX")


SCRIPT = """
import datetime as dt, json, sys
from fieldapp.policy.calendar import holiday_name, normalise_region, year_calendar
cal = year_calendar("CN", 2026)
out = {"region": normalise_region("us-ma"), "makeup": sorted(d.isoformat() for d in cal.makeup),
       "zh": holiday_name("CN", dt.date(2026, 10, 1), "zh_CN"),
       "ma": holiday_name("US-MA", dt.date(2026, 4, 20)),
       "holidays_imported": "holidays" in sys.modules}
print(json.dumps(out))
"""


def _run(home) -> dict:
    env = {**os.environ, "FIELDAPP_HOME": str(home)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_a_second_process_does_not_import_holidays(_isolated_dirs):
    first, second = _run(_isolated_dirs), _run(_isolated_dirs)
    assert first.pop("holidays_imported") is True
    assert second.pop("holidays_imported") is False
    assert first == second == {"region": "US-MA", "zh": "国庆节", "ma": "Patriots' Day",
                               "makeup": ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09",
                                          "2026-09-20", "2026-10-10"]}


def test_a_changed_package_key_builds_a_new_file(fresh, monkeypatch):
    monkeypatch.setattr(calendar_store, "package_key", lambda: "aaaa")
    first = year_calendar("GB", 2026)
    assert _files(fresh) == ["calendars-aaaa.json"]
    _fresh_state()
    monkeypatch.setattr(calendar_store, "package_key", lambda: "bbbb")
    reached = []
    original = calendar._year_calendar
    monkeypatch.setattr(calendar, "_year_calendar", lambda *a: reached.append(a) or original(*a))
    again = year_calendar("GB", 2026)
    assert reached == [("GB", 2026)]  # computed again, not read from the old key's file
    assert _files(fresh) == ["calendars-bbbb.json"]
    assert again == first


def test_the_key_follows_the_installed_package(tmp_path):
    """Read from the package's files without importing it: another version.py, another key."""
    package = tmp_path / "holidays"
    package.mkdir()
    (package / "__init__.py").write_text("raise ImportError('not to be imported')\n", encoding="utf-8")
    (package / "version.py").write_text("__version__ = '0.1'\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    code = "import sys; from fieldapp.policy.calendar_store import package_key; print(package_key())"

    def key() -> str:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip()

    first = key()
    assert len(first) == 16 and first == key()
    (package / "version.py").write_text("__version__ = '0.22'\n", encoding="utf-8")
    assert key() != first
    assert key() != calendar_store.package_key()  # the real package, elsewhere


def test_a_corrupt_file_is_ignored_and_written_again(fresh):
    year_calendar("US-MA", 2025)
    (path,) = fresh.glob("calendars-*.json")
    path.write_bytes(b'{"format": 1, "years": {"US-MA 2025": {"holidays": [')
    _fresh_state()
    assert year_calendar("US-MA", 2025).holidays == _direct("US-MA", 2025)[0]
    data = json.loads(path.read_text(encoding="utf-8"))
    assert "US-MA 2025" in data["years"]
    if os.name != "nt":
        assert path.stat().st_mode & 0o777 == 0o600


def test_wrong_values_in_the_file_are_computed_again(fresh):
    year_calendar("GB", 2026)
    (path,) = fresh.glob("calendars-*.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["years"]["GB 2026"]["non_working"] = ["not a date"]
    path.write_text(json.dumps(data), encoding="utf-8")
    _fresh_state()
    assert year_calendar("GB", 2026).non_working == _direct("GB", 2026)[1]


def test_wrong_region_lists_in_the_file_are_read_again(fresh):
    normalise_region("us-ma")
    (path,) = fresh.glob("calendars-*.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["countries"]["all"] = [{"not": "a code"}]
    data["subdivisions"]["US"] = [7]
    path.write_text(json.dumps(data), encoding="utf-8")
    _fresh_state()
    assert normalise_region("us-ma") == "US-MA"


def test_a_cache_folder_that_cannot_be_made_is_no_error(_isolated_dirs, fresh):
    fresh.write_text("a file where the folder should be", encoding="utf-8")
    assert normalise_region("cn") == "CN"
    assert year_calendar("CN", 2026).makeup == _direct("CN", 2026)[2]
    assert holiday_name("CN", dt.date(2026, 10, 1), "zh_CN") == "国庆节"
    assert fresh.read_text(encoding="utf-8") == "a file where the folder should be"
