"""The dependencies every screen receives, wired once by `fieldapp.ui.app` (no globals)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from fieldapp.core import clock as app_clock
from fieldapp.core.timeutil import utcnow
from fieldapp.ui.i18n import Language
from fieldapp.ui.service import AgentServiceLike
from fieldapp.ui.settings import SettingsStore, UiSettings
from fieldapp.ui.tasks import TaskRunner


class ServerClock:
    """Now, corrected by the server's clock offset measured at the last sync.

    A visit's times are evidence: a laptop whose clock is off by minutes must not move
    them. The offset is read from the store off the GUI thread and handed in here.
    """

    def __init__(self, offset_s: float = 0.0) -> None:
        self.offset_s = offset_s

    def __call__(self) -> dt.datetime:
        return utcnow() + dt.timedelta(seconds=self.offset_s)


@dataclass
class SignedInUser:
    username: str = ""
    display_name: str = ""
    id: str = ""

    @classmethod
    def from_login(cls, result: Any, fallback: str = "") -> "SignedInUser":
        """From the user info the service's login/resume returned (a dict of protocol
        `UserInfo` fields, or an object with them)."""
        values = {}
        for candidate in (result, getattr(result, "user", None)):
            if candidate is None:
                continue
            for attr in ("username", "display_name", "id"):
                value = candidate.get(attr) if isinstance(candidate, dict) else getattr(candidate, attr, None)
                if isinstance(value, str) and value and attr not in values:
                    values[attr] = value
        username = values.get("username", fallback)
        return cls(username, values.get("display_name", username), values.get("id", username))


@dataclass
class AppContext:
    service: AgentServiceLike
    tasks: TaskRunner
    language: Language
    settings: UiSettings
    settings_store: SettingsStore
    clock: Callable[[], dt.datetime] = field(default_factory=ServerClock)
    # Where check-in positions come from: a factory of a Qt Positioning-shaped source
    # (None: the laptop's own, when it has one).
    position_source: Callable[[Any], Any] | None = None
    user: SignedInUser = field(default_factory=SignedInUser)
    local_zone: dt.tzinfo | None = None  # the agent's zone for "today" (None: this computer's)

    def zone(self) -> dt.tzinfo:
        """The zone the user's "today" and the times on screen are in."""
        return self.local_zone or app_clock.local_zone()

    def today(self) -> dt.date:
        """Today in the user's zone, by the application clock (corrected by the server's)."""
        return self.clock().astimezone(self.zone()).date()

    def save_settings(self) -> None:
        self.settings.language = self.language.code
        self.settings_store.save(self.settings)
