"""Client sync: the engine (push outbox, pull cases, purge), its HTTP transport, and the
`AgentService` façade the UI and the command line use.

Names are loaded on first use (`from fieldapp.sync import Offline` imports only the errors),
so the GUI's start-up does not pay for httpx and the engine before the first sync.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Rejection": "engine", "SyncEngine": "engine", "SyncSummary": "engine",
    **{name: "errors" for name in ("BadCredentials", "DeviceRevoked", "IncompatibleServer", "NotLoggedIn",
                                   "Offline", "ProtocolError", "RequestRefused", "ServerError", "SyncError",
                                   "TokenExpired")},
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'fieldapp.sync' has no attribute {name!r}")
    return getattr(importlib.import_module(f"fieldapp.sync.{module}"), name)
