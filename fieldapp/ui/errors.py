"""Failures in plain words for the status line and dialogs.

The service raises the sync error types of `fieldapp.sync.errors`; the GUI only needs to
know which kind of trouble it is (no network, wrong password, device revoked...) to say
so in a sentence the agent can act on, in the language shown now. Errors of other
origins are classified by their stable `code` (the wire's ErrorBody codes) or, for
network failures raised below the service, by their class family.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from fieldapp.core.errors import BadInput, FieldappError, NotFound
from fieldapp.ui.i18n import N_, Language


@dataclass(frozen=True)
class Problem:
    kind: str          # offline | credentials | session | revoked | version | busy | forbidden | server | input | other
    message: str       # translated sentence for the agent
    offline: bool = False
    needs_login: bool = False
    request_id: str | None = None  # the server's X-Request-Id, for a support call


@lru_cache(maxsize=1)
def _sync_types() -> tuple[tuple[tuple[type[BaseException], str], ...], type[BaseException]]:
    """The sync error types, imported when first needed: the sync package pulls in the
    store and the HTTP client, which the first window must not wait for."""
    from fieldapp.sync import errors as e

    kinds = ((e.Offline, "offline"), (e.BadCredentials, "credentials"), (e.TokenExpired, "session"),
             (e.NotLoggedIn, "session"), (e.DeviceRevoked, "revoked"), (e.IncompatibleServer, "version"),
             (e.ServerError, "server"), (e.ProtocolError, "server"))
    return kinds, e.RequestRefused

_CODE_KIND = {
    "bad_credentials": "credentials",
    "token_missing": "session", "token_invalid": "session", "token_expired": "session",
    "device_revoked": "revoked",
    "incompatible_version": "version",
    "rate_limited": "busy",
    "forbidden": "forbidden",
}

_MESSAGES = {
    "offline": N_("Offline: the server cannot be reached. Your work is kept and will be sent later."),
    "credentials": N_("Wrong user name or password."),
    "session": N_("Your session has ended. Please sign in again."),
    "revoked": N_("This laptop has been signed out by an administrator and its case data erased. "
                  "Please sign in again."),
    "version": N_("This app is too old for the server. Please install the update."),
    "busy": N_("The server is busy. Please try again in a minute."),
    "forbidden": N_("Your account may not do this."),
    "server": N_("The server had a problem ({detail}). Please try again later."),
    "other": N_("Something went wrong ({detail})."),
}
_REFERENCE = N_("Reference for support: {request_id}")

# Exception class names (anywhere in the MRO) that mean the network is down, for errors
# raised below the service (the HTTP library's, the socket's).
_OFFLINE_CLASSES = frozenset({"ConnectionError", "TimeoutError", "ConnectError", "ConnectTimeout",
                              "ReadTimeout", "WriteTimeout", "PoolTimeout", "NetworkError",
                              "TransportError"})


def _kind(exc: BaseException) -> str:
    type_kinds, refused = _sync_types()
    for cls, kind in type_kinds:
        if isinstance(exc, cls):
            return kind
    code = getattr(exc, "code", None)
    if isinstance(code, str) and code in _CODE_KIND:
        return _CODE_KIND[code]
    if isinstance(exc, refused):
        return "refused"
    if isinstance(exc, (BadInput, NotFound)):
        return "input"
    if {cls.__name__ for cls in type(exc).__mro__} & _OFFLINE_CLASSES or isinstance(exc, OSError):
        return "offline"
    return "other"


def describe(exc: BaseException, language: Language) -> Problem:
    kind = _kind(exc)
    if kind in ("input", "refused"):
        # The service's own sentences: they name the field or give the server's reason.
        message = getattr(exc, "reason", None) or str(exc)
    elif kind == "server":
        message = language.tr(_MESSAGES[kind], detail=getattr(exc, "status", None) or type(exc).__name__)
    elif kind == "other":
        detail = str(exc) if isinstance(exc, FieldappError) and str(exc) else type(exc).__name__
        message = language.tr(_MESSAGES[kind], detail=detail)
    else:
        message = language.tr(_MESSAGES[kind])
    request_id = getattr(exc, "request_id", None)
    if request_id and request_id not in message:  # a refusal's own sentence may name it already
        gap = "" if message.endswith(("。", "！", "）")) else " "  # no space after a Chinese full stop
        message = f"{message}{gap}{language.tr(_REFERENCE, request_id=request_id)}"
    return Problem(kind, message, offline=kind == "offline",
                   needs_login=kind in ("credentials", "session", "revoked"),
                   request_id=request_id if isinstance(request_id, str) else None)
