"""The agent's own order of a day's stops (dragged on the day's map), kept per day.

The store's schema has no key-value table and this needs none: the orders are one small
sealed JSON file beside the database (`<store>.routes`), written to a temporary name and
renamed, so a crash leaves the old orders or the new ones. It holds case ids only, sealed
with the store's key like every case, and goes when the store is wiped. A missing file is
no order; an unreadable one is no order either (the planned order shows), with a warning.
Only the latest `KEEP_DAYS` days are kept.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

from fieldapp.core import private
from fieldapp.store.crypto import Cipher, Tampered

log = logging.getLogger(__name__)
KEEP_DAYS = 60
LABEL = "route-orders"


class RouteOrders:
    def __init__(self, path: Path, cipher: Cipher):
        self.path = path
        self._cipher = cipher

    def _load(self) -> dict[str, list[str]]:
        try:
            blob = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            raw = self._cipher.open_json(blob, LABEL)
        except (Tampered, ValueError) as exc:
            log.warning("%s: not readable (%s); the planned order shows", self.path.name, type(exc).__name__)
            return {}
        if not isinstance(raw, dict):
            return {}
        return {str(day): [str(i) for i in ids] for day, ids in raw.items() if isinstance(ids, list)}

    def get(self, day: dt.date) -> list[str] | None:
        """The agent's order of `day`'s case ids, or None when the agent set none."""
        return self._load().get(day.isoformat())

    def put(self, day: dt.date, case_ids: list[str]) -> None:
        orders = self._load()
        orders[day.isoformat()] = list(case_ids)
        for old in sorted(orders)[:-KEEP_DAYS]:
            del orders[old]
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        with private.private_umask():
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0),
                         private.FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(self._cipher.seal_json(orders, LABEL))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

