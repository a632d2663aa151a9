"""Client sync: the engine (push outbox, pull cases, purge), its HTTP transport, and the
`AgentService` façade the UI and the command line use."""

from fieldapp.sync.engine import Rejection, SyncEngine, SyncSummary
from fieldapp.sync.errors import (BadCredentials, DeviceRevoked, IncompatibleServer, NotLoggedIn, Offline,
                                  ProtocolError, RequestRefused, ServerError, SyncError, TokenExpired)

__all__ = ["BadCredentials", "DeviceRevoked", "IncompatibleServer", "NotLoggedIn", "Offline",
           "ProtocolError", "Rejection", "RequestRefused", "ServerError", "SyncEngine", "SyncError",
           "SyncSummary", "TokenExpired"]
