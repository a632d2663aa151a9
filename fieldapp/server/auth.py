"""Authentication: argon2 password hashes, opaque bearer tokens kept only as SHA-256,
per-device revocation, and login throttling kept in the database (shared by all workers):
exponential back-off per (user, address), known devices apart, the address a slow-down.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Select, bindparam, delete, func, select
from sqlalchemy.orm import Session

from fieldapp.core.timeutil import iso, utcnow
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
    """Limits of login throttling (settings `login_*`). Failed sign-ins are counted within
    `window` per key; once a key holds `limit` failures, the next attempt must wait
    1 s after the last one, then 2, 4, 8 ... s (at most the key's `cap`)."""

    max_failures: int = 5        # per (user name, address), and per (user name, known device)
    max_failures_user: int = 20  # per user name from unknown devices, every address together
    max_failures_ip: int = 50    # per client address: a slow-down, capped low
    window: dt.timedelta = dt.timedelta(minutes=15)
    backoff_max: dt.timedelta = dt.timedelta(minutes=15)
    slowdown_max: dt.timedelta = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class _Bucket:
    key: str
    limit: int
    cap: dt.timedelta
    what: str  # for the message: whose failures these are


def _buckets(name: str, client_ip: str | None, device_id: str, known: bool,
             throttle: Throttle) -> list[_Bucket]:
    """A device that signed in to this account before has a bucket of its own and nothing
    else: an attacker hammering the user name elsewhere never locks it out. Any other
    attempt counts for the user name from that address, the user name from everywhere, and
    the address (whose limit only slows it down, so one office behind NAT is never shut out)."""
    if known:
        return [_Bucket(f"dev:{name}|{device_id}", throttle.max_failures, throttle.backoff_max,
                        "for this user from this device")]
    address = client_ip or "-"
    buckets = [_Bucket(f"ua:{name}|{address}", throttle.max_failures, throttle.backoff_max,
                       "for this user from this address"),
               _Bucket(f"user:{name}", throttle.max_failures_user, throttle.backoff_max,
                       "for this user from new devices")]
    if client_ip:
        buckets.append(_Bucket(f"ip:{client_ip}", throttle.max_failures_ip, throttle.slowdown_max,
                               "from this address"))
    return buckets


def backoff(failures: int, limit: int, cap: dt.timedelta) -> dt.timedelta:
    """The wait after the last failure: none below the limit, then 1, 2, 4 ... s up to `cap`."""
    if failures < limit:
        return dt.timedelta(0)
    exponent = min(failures - limit, 40)
    return min(cap, dt.timedelta(seconds=2 ** exponent))


def _check_throttle(session: Session, buckets: list[_Bucket], window: dt.timedelta,
                    now: dt.datetime) -> None:
    rows = session.execute(
        select(LoginFailure.key, func.count(LoginFailure.id), func.max(LoginFailure.at))
        .where(LoginFailure.key.in_([b.key for b in buckets]), LoginFailure.at > now - window)
        .group_by(LoginFailure.key)).all()
    seen = {key: (count, last) for key, count, last in rows}
    worst: tuple[float, _Bucket] | None = None
    for bucket in buckets:
        count, last = seen.get(bucket.key, (0, None))
        if last is None:
            continue
        wait = (last + backoff(count, bucket.limit, bucket.cap) - now).total_seconds()
        if wait > 0 and (worst is None or wait > worst[0]):
            worst = (wait, bucket)
    if worst is not None:
        seconds = max(1, math.ceil(worst[0]))
        at = iso(now + dt.timedelta(seconds=seconds))
        raise ApiError("rate_limited", f"too many failed sign-ins {worst[1].what}; try again in "
                                       f"{seconds} s (at {at})",
                       headers={"Retry-After": str(seconds)}, retry_after=seconds)


@dataclass
class LoginResult:
    user: User
    token: str
    expires_at: dt.datetime


def login(session: Session, username: str, password: str, device_id: str, device_name: str | None,
          *, client_ip: str | None, ttl: dt.timedelta, throttle: Throttle) -> LoginResult:
    """Check the password and issue a token for this device.

    Failed attempts are recorded and committed by the caller even though the request fails
    (see routers/auth.py), so throttling holds across requests and workers. An attempt
    refused by throttling is not checked and not counted.
    """
    now = utcnow()
    name = username.strip().casefold()
    user = session.scalar(select(User).where(func.lower(User.username) == name))
    known = user is not None and session.scalar(
        select(Device.id).where(Device.user_id == user.id, Device.device_id == device_id,
                                Device.revoked_at.is_(None))) is not None
    buckets = _buckets(name, client_ip, device_id, known, throttle)
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - throttle.window))
    _check_throttle(session, buckets, throttle.window, now)

    ok = verify_password(user.password_hash if user else _dummy_hash(), password)
    if not ok or user is None or not user.active:
        for bucket in buckets:
            session.add(LoginFailure(key=bucket.key, at=now))
        audit.record(session, "login.failed", "user", user.id if user else None)
        raise ApiError("bad_credentials", "wrong user name or password")

    # Success forgives this path's own failures only: never the address's (other people's)
    # nor the user name's from elsewhere (an attacker's, which must keep counting).
    session.execute(delete(LoginFailure).where(LoginFailure.key.in_(
        [b.key for b in buckets if b.key.startswith(("ua:", "dev:"))])))
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


# Built once: every signed-in request runs it (building the statement cost more than running it).
_BY_DIGEST = select(Token).where(Token.token_sha256 == bindparam("digest"))
# The same sign-in as plain columns, for a request that needs no more than who and which
# device (a pull): no ORM objects to build (they were a fifth of an idle pull's time).
_CALLER = (select(Token.revoked_at, Token.expires_at, Device.revoked_at, User.active, Token.user_id,
                  Token.device_pk, Device.pull_cursor)
           .join(Device, Device.id == Token.device_pk).join(User, User.id == Token.user_id)
           .where(Token.token_sha256 == bindparam("digest")))


@dataclass(frozen=True)
class Caller:
    """Who is calling, as ids: the user, the device the token was issued to, and the cursor
    of that device's previous pull (services/handover.py)."""

    user_id: str
    device_pk: str
    pull_cursor: int


def authenticate(session: Session, authorization: str | None) -> Principal:
    token = session.scalar(_BY_DIGEST, {"digest": _digest(authorization)})
    if token is None:
        _refuse_unless_valid(None)
    else:
        _refuse_unless_valid((token.revoked_at, token.expires_at, token.device.revoked_at, token.user.active))
    return Principal(token.user, token)  # type: ignore[union-attr]


def caller_statement(*also: Any) -> Select[Any]:
    """The plain-column sign-in with the scalar subqueries `also` as more columns (they may
    correlate with `tokens`): built once by its caller, for `authenticate_caller`."""
    return _CALLER.add_columns(*also)


def authenticate_caller(session: Session, authorization: str | None, statement: Select[Any] = _CALLER,
                        values: Mapping[str, Any] | None = None) -> tuple[Caller, tuple[Any, ...]]:
    """`authenticate`, the same refusals, read as columns on the session's connection. With
    a `caller_statement` (its subqueries bound with `values`), their values come in the same
    round trip, returned for a caller signed in only."""
    bound = {"digest": _digest(authorization), **(values or {})}
    row = session.connection().execute(statement, bound).first()
    _refuse_unless_valid(None if row is None else row[:4])
    return Caller(row[4], row[5], row[6] or 0), tuple(row[7:])  # type: ignore[index]


def _digest(authorization: str | None) -> str:
    """The digest of the bearer token the header carries; refused when there is none."""
    if not authorization:
        raise ApiError("token_missing", "sign in first (Authorization: Bearer <token>)",
                       headers={"WWW-Authenticate": "Bearer"})
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError("token_missing", "expected 'Authorization: Bearer <token>'",
                       headers={"WWW-Authenticate": "Bearer"})
    return token_digest(value.strip())


def _refuse_unless_valid(found: tuple | None) -> None:
    """The rules of a token, one place for both sign-ins: `found` is (token revoked at,
    expires at, device revoked at, user active), None for an unknown token."""
    if found is not None and found[2] is not None:
        raise ApiError("device_revoked", "this device was revoked; ask an administrator",
                       headers={"WWW-Authenticate": "Bearer"})
    if found is None or found[0] is not None or not found[3]:
        raise ApiError("token_invalid", "the token is not valid; sign in again",
                       headers={"WWW-Authenticate": "Bearer"})
    if found[1] <= utcnow():
        raise ApiError("token_expired", "the session expired; sign in again",
                       headers={"WWW-Authenticate": "Bearer"})


def logout(session: Session, principal: Principal) -> None:
    principal.token.revoked_at = utcnow()
    audit.record(session, "logout", "device", principal.token.device_pk, principal.user.id)
