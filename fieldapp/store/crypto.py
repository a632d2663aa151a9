"""Encryption at rest: AES-256-GCM for fields and files, the data key in the OS keyring.

Each sealed value is `version byte | 12-byte random nonce | ciphertext+tag`; the
associated data names what the value is (e.g. ``case:<id>``), so a ciphertext copied into
another row or file fails to open instead of showing the wrong customer.

The data key is random (256 bits). It lives in the OS keyring under the store's id. Where
no usable keyring exists (a headless Linux box, a locked-down image) the key is wrapped
with a key derived from a passphrase by scrypt, and the wrapped key is kept in the store's
meta row; the passphrase itself is never stored.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any

import keyring
import keyring.errors
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from fieldapp.core.errors import FieldappError
from fieldapp.store.errors import StoreProblem

KEYRING_SERVICE = "fieldapp-store"
_VERSION = b"\x01"
_NONCE = 12
_CHECK_PLAINTEXT = b"fieldapp store key check v1"
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1


class StoreLocked(StoreProblem):
    """The store's data key cannot be obtained (no keyring and no passphrase, or key lost)."""


class PassphraseRequired(StoreLocked):
    """No usable OS keyring: the store needs a passphrase to wrap its key."""


class PassphraseToChoose(PassphraseRequired):
    """A new store without a keyring: the passphrase that will protect it is to be chosen
    now (the GUI asks for it twice and checks its strength)."""


class WrongPassphrase(StoreLocked):
    """The passphrase does not unwrap this store's key."""


class Tampered(FieldappError):
    """A sealed value failed authentication: wrong key, corruption or a value moved."""


class Cipher:
    """AES-256-GCM sealing with a purpose label as associated data."""

    def __init__(self, key: bytes):
        if len(key) != 32:
            raise ValueError("the data key must be 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, label: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, label.encode("utf-8"))

    def seal_many(self, plaintexts: list[bytes], labels: list[str]) -> list[bytes]:
        """`seal` for many values at once: their nonces come from one read of the OS's
        random source (one system call instead of one per value; each nonce is still 12
        fresh random bytes)."""
        pool = os.urandom(_NONCE * len(plaintexts))
        encrypt = self._aead.encrypt
        out = []
        for i, (plaintext, label) in enumerate(zip(plaintexts, labels, strict=True)):
            nonce = pool[i * _NONCE:(i + 1) * _NONCE]
            out.append(_VERSION + nonce + encrypt(nonce, plaintext, label.encode("utf-8")))
        return out

    def open(self, blob: bytes, label: str) -> bytes:
        if not blob or blob[:1] != _VERSION or len(blob) < 1 + _NONCE + 16:
            raise Tampered(f"sealed value for {label.split(':', 1)[0]} is malformed")
        try:
            return self._aead.decrypt(blob[1:1 + _NONCE], blob[1 + _NONCE:], label.encode("utf-8"))
        except InvalidTag:
            raise Tampered(f"sealed value for {label.split(':', 1)[0]} failed authentication") from None

    def seal_json(self, value: Any, label: str) -> bytes:
        return self.seal(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), label)

    def open_json(self, blob: bytes, label: str) -> Any:
        return json.loads(self.open(blob, label))

    def check_value(self) -> bytes:
        """A sealed constant kept in meta, to tell a wrong key from corrupt data."""
        return self.seal(_CHECK_PLAINTEXT, "keycheck")

    def matches(self, check: bytes) -> bool:
        try:
            return self.open(check, "keycheck") == _CHECK_PLAINTEXT
        except Tampered:
            return False


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


# ---------------------------------------------------------------------------- keyring
def keyring_get(service: str, name: str) -> str | None:
    """The secret, or None when absent; raises KeyringUnavailable when there is no keyring."""
    try:
        return keyring.get_password(service, name)
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable(str(exc)) from None


def keyring_set(service: str, name: str, secret: str) -> None:
    """Store and read back: a keyring that silently drops secrets counts as unavailable."""
    try:
        keyring.set_password(service, name, secret)
        if keyring.get_password(service, name) != secret:
            raise KeyringUnavailable("the keyring did not keep the secret")
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable(str(exc)) from None


def keyring_delete(service: str, name: str) -> None:
    try:
        keyring.delete_password(service, name)
    except keyring.errors.KeyringError:
        pass


class KeyringUnavailable(FieldappError):
    """No usable OS keyring on this system."""


# ---------------------------------------------------------------------------- passphrase
@dataclass(frozen=True)
class WrappedKey:
    salt: bytes
    n: int
    r: int
    p: int
    sealed: bytes

    def to_text(self) -> str:
        return json.dumps({"kdf": "scrypt", "salt": _b64(self.salt), "n": self.n, "r": self.r,
                           "p": self.p, "sealed": _b64(self.sealed)})

    @classmethod
    def from_text(cls, text: str) -> "WrappedKey":
        d = json.loads(text)
        return cls(base64.b64decode(d["salt"]), int(d["n"]), int(d["r"]), int(d["p"]),
                   base64.b64decode(d["sealed"]))


def _kek(passphrase: str, salt: bytes, n: int, r: int, p: int) -> Cipher:
    kdf = Scrypt(salt=salt, length=32, n=n, r=r, p=p)
    return Cipher(kdf.derive(passphrase.encode("utf-8")))


def wrap_key(key: bytes, passphrase: str) -> WrappedKey:
    if not passphrase:
        raise PassphraseRequired("an empty passphrase cannot protect the store")
    salt = os.urandom(16)
    sealed = _kek(passphrase, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P).seal(key, "datakey")
    return WrappedKey(salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P, sealed)


def unwrap_key(wrapped: WrappedKey, passphrase: str) -> bytes:
    try:
        return _kek(passphrase, wrapped.salt, wrapped.n, wrapped.r, wrapped.p).open(wrapped.sealed, "datakey")
    except Tampered:
        raise WrongPassphrase("the passphrase does not open this store") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def key_to_text(key: bytes) -> str:
    return _b64(key)


def key_from_text(text: str) -> bytes:
    return base64.b64decode(text)
