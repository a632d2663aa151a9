"""Server settings, declared once and typed (pydantic-settings).

Sources, strongest first: keyword arguments, environment variables `FIELDAPP_SERVER_*`,
an optional file (TOML, or a dotenv file with the same `FIELDAPP_SERVER_*` names) named by
`FIELDAPP_SERVER_CONFIG` or passed to `ServerSettings.load(config_file=...)`, then defaults.

The database defaults to a SQLite file: `$FIELDAPP_HOME/server.db` when FIELDAPP_HOME is set,
else `server.db` in the platform's user data folder. PostgreSQL is a URL away
(`postgresql+psycopg://user@host:5432/db`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from fieldapp.core.errors import BadInput
from fieldapp.protocol.v1 import MAX_ATTACHMENT_BYTES

ENV_PREFIX = "FIELDAPP_SERVER_"
CONFIG_ENV = ENV_PREFIX + "CONFIG"


def data_dir() -> Path:
    """Where the server keeps its files when no URL is configured."""
    home = os.environ.get("FIELDAPP_HOME")
    if home:
        return Path(home)
    from platformdirs import user_data_dir

    return Path(user_data_dir("fieldapp", appauthor=False))


def default_database_url() -> str:
    return f"sqlite:///{(data_dir() / 'server.db').as_posix()}"


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", case_sensitive=False)

    database_url: str = Field(default_factory=default_database_url)
    token_ttl_days: float = Field(default=14.0, gt=0)
    # Login throttling (see auth.py): failures counted within the window, by key; past a
    # key's limit each further attempt waits 1, 2, 4 ... s (at most the key's maximum).
    login_max_failures: int = Field(default=5, ge=1)        # per (user name, address) / known device
    login_max_failures_user: int = Field(default=20, ge=1)  # per user name, from unknown devices
    login_max_failures_ip: int = Field(default=50, ge=1)    # per client address (a slow-down)
    login_window_minutes: float = Field(default=15.0, gt=0)
    login_backoff_max_seconds: int = Field(default=900, ge=1)   # longest wait for a user name
    login_slowdown_max_seconds: int = Field(default=30, ge=1)   # longest wait for an address
    max_attachment_bytes: int = Field(default=MAX_ATTACHMENT_BYTES, ge=1)
    max_json_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    geocoder: Literal["nominatim", "none"] = "nominatim"
    geocoder_domain: str = "nominatim.openstreetmap.org"
    geocoder_scheme: Literal["http", "https"] = "https"
    geocoder_user_agent: str = "fieldapp-server"
    geocoder_min_delay_seconds: float = Field(default=1.0, ge=0)
    trusted_proxy_header: str | None = None  # e.g. "x-forwarded-for" behind a reverse proxy
    trusted_proxy_hops: int = Field(default=1, ge=1, le=10)  # our proxies that append to it

    @classmethod
    def load(cls, config_file: str | Path | None = None, **overrides: Any) -> "ServerSettings":
        """Settings from the environment (+ file), with `overrides` on top.

        A malformed file or value raises BadInput naming the file and the field.
        """
        path = config_file or os.environ.get(CONFIG_ENV)
        where = str(path) if path else "environment"
        try:
            if path:
                p = Path(path)
                if not p.is_file():
                    raise BadInput("settings file not found", where=str(p))
                if p.suffix.lower() == ".toml":
                    return _with_toml(cls, p)(**overrides)
                return cls(_env_file=p, **overrides)  # type: ignore[call-arg]
            return cls(**overrides)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(x) for x in err.get("loc", ())) or None
            raise BadInput(err.get("msg", "invalid value"), where=where, field=field) from None
        except ValueError as exc:  # TOML syntax errors
            raise BadInput(str(exc), where=where) from None


def _with_toml(base: type[ServerSettings], path: Path) -> type[ServerSettings]:
    """A subclass whose sources include the TOML file below the environment."""

    class _FromToml(base):  # type: ignore[misc, valid-type]
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, path))

    _FromToml.__name__ = base.__name__
    return _FromToml
