"""Authentication: argon2 password hashes, opaque bearer tokens kept only as SHA-256,
per-device revocation, and login throttling kept in the database (shared by all workers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import utcnow
from fieldapp.server import audit
from fieldapp.server.errors import ApiError
from fieldapp.server.models import Device, LoginFailure, Token, User
from fieldapp.server.passwords import check_password_strength  # noqa: F401  (one rule, re-exported)

@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Throttle:
    max_failures: int = 5
    max_failures_ip: int = 50
    window: dt.timedelta = dt.timedelta(minutes=15)


def _check_throttle(session: Session, keys: list[tuple[str, int]], window: dt.timedelta,
                    now: dt.datetime) -> None:
    since = now - window
    for key, limit in keys:
        count, oldest = session.execute(
            select(func.count(LoginFailure.id), func.min(LoginFailure.at))
            .where(LoginFailure.key == key, LoginFailure.at > since)).one()
        if count >= limit:
            retry = max(1, int((oldest + window - now).total_seconds()) + 1)
            raise ApiError("rate_limited", f"too many failed logins; try again in {retry} s",
                           headers={"Retry-After": str(retry)})


@dataclass
class LoginResult:
    user: User
    token: str
    expires_at: dt.datetime


def login(session: Session, username: str, password: str, device_id: str, device_name: str | None,
          *, client_ip: str | None, ttl: dt.timedelta, throttle: Throttle) -> LoginResult:
    """Check the password and issue a token for this device.

    Failed attempts are recorded and committed by the caller even though the request fails
    (see routers/auth.py), so throttling holds across requests and workers.
    """
    now = utcnow()
    name_key = "user:" + username.strip().casefold()
    keys = [(name_key, throttle.max_failures)]
    if client_ip:
        keys.append(("ip:" + client_ip, throttle.max_failures_ip))
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - throttle.window))
    _check_throttle(session, keys, throttle.window, now)

    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().casefold()))
    ok = verify_password(user.password_hash if user else _dummy_hash(), password)
    if not ok or user is None or not user.active:
        for key, _ in keys:
            session.add(LoginFailure(key=key, at=now))
        audit.record(session, "login.failed", "user", user.id if user else None)
        raise ApiError("bad_credentials", "wrong user name or password")

    session.execute(delete(LoginFailure).where(LoginFailure.key == name_key))
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    device = session.scalar(select(Device).where(Device.user_id == user.id, Device.device_id == device_id))
    if device is None:
        device = Device(user_id=user.id, device_id=device_id, name=device_name, created_at=now)
        session.add(device)
    elif device.revoked_at is not None:
        audit.record(session, "login.revoked_device", "device", device.id, user.id)
        raise ApiError("device_revoked", "this device was revoked; ask an administrator")
    device.last_seen_at = now
    if device_name:
        device.name = device_name
    session.flush()
    token = secrets.token_urlsafe(32)
    expires = now + ttl
    session.add(Token(token_sha256=token_digest(token), user_id=user.id, device_pk=device.id,
                      created_at=now, expires_at=expires))
    audit.record(session, "login", "device", device.id, user.id)
    return LoginResult(user, token, expires)


@dataclass
class Principal:
    """Who is calling: the user and the token (with its device) they called with."""

    user: User
    token: Token

    @property
    def role(self) -> str:
        return self.user.role


def authenticate(session: Session, authorization: str | None) -> Principal:
    if not authorization:
        raise ApiError("token_missing", "sign in first (Authorization: Bearer <token>)",
                       headers={"WWW-Authenticate": "Bearer"})
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError("token_missing", "expected 'Authorization: Bearer <token>'",
                       headers={"WWW-Authenticate": "Bearer"})
    token = session.scalar(select(Token).where(Token.token_sha256 == token_digest(value.strip())))
    if token is not None and token.device.revoked_at is not None:
        raise ApiError("device_revoked", "this device was revoked; ask an administrator",
                       headers={"WWW-Authenticate": "Bearer"})
    if token is None or token.revoked_at is not None or not token.user.active:
        raise ApiError("token_invalid", "the token is not valid; sign in again",
                       headers={"WWW-Authenticate": "Bearer"})
    if token.expires_at <= utcnow():
        raise ApiError("token_expired", "the session expired; sign in again",
                       headers={"WWW-Authenticate": "Bearer"})
    return Principal(token.user, token)


def logout(session: Session, principal: Principal) -> None:
    principal.token.revoked_at = utcnow()
    audit.record(session, "logout", "device", principal.token.device_pk, principal.user.id)
