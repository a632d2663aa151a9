"""Server-only response/request bodies (case look-up and administration). The sync
contract itself is `fieldapp.protocol.v1`; these reuse its `Wire` base and conventions."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from fieldapp.core.enums import Role
from fieldapp.protocol.v1 import CaseRecord, UserInfo, Wire


class CaseResponse(Wire):
    case: CaseRecord
    assigned_to: str | None = None
    server_time: dt.datetime


class UsersResponse(Wire):
    users: list[UserInfo]
    server_time: dt.datetime


class CreateUserRequest(Wire):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=500)
    role: Role
    team: str | None = Field(default=None, max_length=100)
    display_name: str | None = Field(default=None, max_length=200)


class PasswordRequest(Wire):
    password: str = Field(min_length=1, max_length=500)


class ReassignRequest(Wire):
    username: str = Field(min_length=1, max_length=100)


class RevokeDeviceRequest(Wire):
    username: str = Field(min_length=1, max_length=100)
    device_id: str = Field(min_length=1, max_length=100)
