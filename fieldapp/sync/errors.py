"""Why a sync did not happen, as distinct types the UI and the CLI can act on.

Messages are sentences for the agent (already translated); they never contain a token, a
password or a customer's data.
"""

from __future__ import annotations

from fieldapp.core.errors import FieldappError


class SyncError(FieldappError):
    """Base of every sync failure. `request_id` is the server's `X-Request-Id` of the answer
    that caused it (None without an answer): the message ends with it, so a support call
    can find the server's log line."""

    request_id: str | None = None


class Offline(SyncError):
    """The server could not be reached (network error or time-out) after the retries."""


class BadCredentials(SyncError):
    """Wrong user name or password."""


class TokenExpired(SyncError):
    """The session is no longer valid (expired, revoked token, unknown token): log in again."""

    def __init__(self, message: str, code: str = "token_expired"):
        super().__init__(message)
        self.code = code


class DeviceRevoked(SyncError):
    """This laptop was revoked on the server; its store has been wiped."""

    def __init__(self, message: str, lost_items: int = 0):
        super().__init__(message)
        self.lost_items = lost_items


class IncompatibleServer(SyncError):
    """The server does not speak protocol version 1 (426, or api_versions without 1)."""


class ServerError(SyncError):
    """The server kept failing (5xx) after the retries."""

    def __init__(self, message: str, status: int, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class RequestRefused(SyncError):
    """The server refused a request (4xx other than the cases above)."""

    def __init__(self, message: str, status: int, code: str):
        super().__init__(message)
        self.status = status
        self.code = code


class ProtocolError(SyncError):
    """The server answered something that is not protocol v1 (invalid JSON, wrong shape)."""


class NotLoggedIn(SyncError):
    """No session is stored for this laptop: log in first."""
