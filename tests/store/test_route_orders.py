"""The agent's order of a day's stops, kept beside the store: sealed (no case id in clear),
read again by a new session on the same store, gone with a wipe; a damaged file is no order
(the planned one shows), never an error; only the latest days are kept."""

from __future__ import annotations

import datetime as dt
import logging
import stat

from fieldapp.store import Store
from fieldapp.store.routes import KEEP_DAYS

DAY = dt.date(2026, 3, 4)


def test_an_order_survives_a_new_session_and_is_sealed(tmp_path):
    store = Store(tmp_path / "s.db")
    assert store.routes.get(DAY) is None
    store.routes.put(DAY, ["case-b", "case-a"])
    store.routes.put(DAY + dt.timedelta(days=1), ["case-c"])
    store.close()
    again = Store(tmp_path / "s.db")
    try:
        assert again.routes.get(DAY) == ["case-b", "case-a"]
        assert again.routes.get(DAY + dt.timedelta(days=1)) == ["case-c"]
        raw = again.routes.path.read_bytes()
        assert b"case-b" not in raw
        assert stat.S_IMODE(again.routes.path.stat().st_mode) & 0o077 == 0
        again.wipe()
        assert not again.routes.path.exists() and again.routes.get(DAY) is None
    finally:
        again.close()


def test_a_damaged_file_is_no_order(tmp_path, caplog):
    store = Store(tmp_path / "s.db")
    try:
        store.routes.put(DAY, ["case-a"])
        store.routes.path.write_bytes(b"not sealed at all")
        with caplog.at_level(logging.WARNING):
            assert store.routes.get(DAY) is None
        assert "planned order" in caplog.text and "case-a" not in caplog.text
        store.routes.put(DAY, ["case-b"])  # the next drag writes a good file again
        assert store.routes.get(DAY) == ["case-b"]
    finally:
        store.close()


def test_only_the_latest_days_are_kept(tmp_path):
    store = Store(tmp_path / "s.db")
    try:
        for i in range(KEEP_DAYS + 5):
            store.routes.put(DAY + dt.timedelta(days=i), [f"case-{i}"])
        assert store.routes.get(DAY) is None and store.routes.get(DAY + dt.timedelta(days=4)) is None
        assert store.routes.get(DAY + dt.timedelta(days=5)) == ["case-5"]
        assert store.routes.get(DAY + dt.timedelta(days=KEEP_DAYS + 4)) == [f"case-{KEEP_DAYS + 4}"]
    finally:
        store.close()
