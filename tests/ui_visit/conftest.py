"""Visit-flow GUI tests: offscreen Qt (tests/conftest.py), the shipped fonts, a live
language object, a hand-moved clock and a position source the test controls."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtPositioning import QGeoPositionInfoSource

from fieldapp.ui.i18n import Language

from .fake_position import position_factory
from .visit_helpers import SHANGHAI, Clock


@pytest.fixture(scope="session", autouse=True)
def _fonts(qapp):
    from fieldapp.ui.look import register_fonts

    register_fonts(qapp)


@pytest.fixture
def language(qapp):
    return Language("en")


@pytest.fixture
def clock():
    return Clock(dt.datetime(2026, 3, 2, 9, 10, tzinfo=SHANGHAI))


@pytest.fixture
def position():
    """`position(location=..., error=...)` -> a source factory for CheckInStep/VisitFlow."""
    return position_factory


ACCESS_ERROR = QGeoPositionInfoSource.Error.AccessError
