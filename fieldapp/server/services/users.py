"""Users as the wire sees them."""

from __future__ import annotations

from fieldapp.protocol.v1 import UserInfo
from fieldapp.server.models import User


def user_info(user: User) -> UserInfo:
    return UserInfo(id=user.id, username=user.username, display_name=user.display_name,
                    role=user.role, team=user.team.name if user.team else None)
