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

from pydantic import Field, SecretStr, ValidationError
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
    # Database connections per process; as many requests are in progress at once, the rest
    # wait in line up to request_queue_seconds, then get 503 `busy` (fieldapp.server.concurrency).
    db_pool_size: int = Field(default=10, ge=1, le=500)
    db_max_overflow: int = Field(default=10, ge=0, le=1000)
    request_queue_seconds: float = Field(default=30.0, gt=0, le=600)
    geocoder: Literal["nominatim", "none"] = "nominatim"
    geocoder_domain: str = "nominatim.openstreetmap.org"
    geocoder_scheme: Literal["http", "https"] = "https"
    geocoder_user_agent: str = "fieldapp-server"
    geocoder_min_delay_seconds: float = Field(default=1.0, ge=0)
    trusted_proxy_header: str | None = None  # e.g. "x-forwarded-for" behind a reverse proxy
    trusted_proxy_hops: int = Field(default=1, ge=1, le=10)  # our proxies that append to it
    # The document-signing authority (fieldapp server ca ...): its private keys are stored
    # encrypted with this passphrase, given directly or as a file readable by its owner only.
    ca_passphrase: SecretStr | None = None
    ca_passphrase_file: Path | None = None
    institution: str = Field(default="fieldapp", min_length=1, max_length=64)
    public_url: str | None = None  # e.g. https://sync.example.org: the CRL and /verify links
    # Operations (README "Operations"): logs, metrics, readiness.
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)  # unset: no metrics listener
    metrics_host: str = "127.0.0.1"
    readiness_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    # Announced visits (fieldapp.server.services.appointments, notices, the customer's page).
    institution_name: str = "fieldapp"           # named in every notice and on the customer's page
    institution_phone: str | None = None         # for the customer to check a visitor is genuine
    public_base_url: str = "http://127.0.0.1:8000"  # links in notices: {public_base_url}/c/TOKEN
    smtp_url: str | None = None                  # smtp://[user:password@]host:port or smtps://...
    smtp_sender: str = "fieldapp@localhost"      # From: address of notices
    smtp_starttls: bool = False                  # upgrade smtp:// with STARTTLS before sending
    smtp_ca_file: str | None = None              # CA bundle to verify the SMTP server's certificate
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    sms_gateway_url: str | None = None           # the HTTP gateway (fieldapp/server/notify/SMS_GATEWAY.md)
    sms_gateway_token: str | None = None         # sent as Authorization: Bearer to the gateway
    sms_webhook_secret: str | None = None        # HMAC key of delivery receipts at /webhooks/sms
    notice_worker: bool = True                   # `server run` sends notices when a channel is set
    notice_poll_seconds: float = Field(default=2.0, gt=0)
    notice_lease_seconds: float = Field(default=120.0, gt=0)  # a claim older than this was cut off
    notice_max_attempts: int = Field(default=8, ge=1)
    notice_margin_minutes: int = Field(default=60, ge=0)  # proposing to the notice's delivery
    appointment_minutes: int = Field(default=60, ge=15, le=480)
    slot_step_minutes: int = Field(default=30, ge=5, le=240)
    travel_speed_kmh: float = Field(default=20.0, gt=0)
    customer_link_days: int = Field(default=30, ge=1, le=365)  # after the appointment ends
    complaint_answer_days: int = Field(default=15, ge=1, le=90)
    page_max_requests: int = Field(default=60, ge=5)     # per client address per window
    page_max_bad_tokens: int = Field(default=10, ge=1)   # unknown links per client address per window
    page_window_minutes: float = Field(default=10.0, gt=0)

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
