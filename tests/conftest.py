"""Shared test set-up: offscreen Qt, an in-memory keyring, no personal paths touched."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("FIELDAPP_LOG", "WARNING")

import keyring
import keyring.backend
import pytest

from fieldapp.core import clock as app_clock_module


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in memory: this machine has no OS keyring."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring():
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    """Point the app's data/config directories at a temporary folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("FIELDAPP_HOME", str(home))
    yield home


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/perf/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.perf)


@pytest.fixture(autouse=True)
def app_clock():
    """The application's clock for one test: it starts at the wall-clock time (which CI moves to
    a Saturday, a Shanghai midnight and a holiday eve) and runs, and it is exported through
    FIELDAPP_CLOCK so servers and clients started as subprocesses read the same time. Tests that
    need a particular moment call `app_clock.set(...)` (and `app_clock.tick = False` to stop it);
    tests build their data from `app_clock()`, never from `date.today()`."""
    with app_clock_module.frozen(app_clock_module.system_now(), tick=True) as clock:
        yield clock


@pytest.fixture(scope="session")
def test_pki():
    """A root, a device certificate, a time-stamping key, a CRL and an evidence key (tests/pki_kit.py)."""
    from pki_kit import make_pki

    return make_pki()
