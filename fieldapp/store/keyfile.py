"""The key file beside a store: `store.sqlite3.key`, 0600.

It says that a store exists at this place and how to open it without reading the store
itself: the store's id (which names its data key in the OS keyring), the device id (the
server's sessions belong to it), the sealed key check and, in passphrase mode, the data
key wrapped by the passphrase (scrypt + AES-GCM, as in the meta row). It never holds a key
in clear, a passphrase or anything personal.

Two things depend on it: a store that is missing (or emptied) while its key file is there
is an error instead of a silent new store; and `fieldapp store rescue` can open a store
whose meta row is damaged.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from fieldapp.core import private
from fieldapp.store.errors import BAD_KEYFILE, StoreDamaged

SUFFIX = ".key"
VERSION = 1


@dataclass(frozen=True)
class KeyFile:
    store_id: str
    device_id: str
    key_check: str | None = None     # base64 of the sealed key check
    wrapped_key: str | None = None   # passphrase mode only (WrappedKey.to_text())

    @property
    def key_check_bytes(self) -> bytes | None:
        return base64.b64decode(self.key_check) if self.key_check else None


def keyfile_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + SUFFIX)


def read_keyfile(store_path: Path) -> KeyFile | None:
    """The key file of the store at `store_path`, or None when there is none."""
    path = keyfile_path(store_path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or raw.get("version") != VERSION:
            raise ValueError(f"not a version {VERSION} key file")
        kf = KeyFile(store_id=str(raw["store_id"]), device_id=str(raw["device_id"]),
                     key_check=raw.get("key_check"), wrapped_key=raw.get("wrapped_key"))
        kf.key_check_bytes  # noqa: B018 - valid base64, or ValueError
        return kf
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreDamaged(BAD_KEYFILE, keyfile=path, problem=type(exc).__name__) from None


def write_keyfile(store_path: Path, kf: KeyFile) -> None:
    data = {"version": VERSION, **asdict(kf)}
    private.write_private(keyfile_path(store_path), (json.dumps(data, indent=1) + "\n").encode("utf-8"))


def make_keyfile(store_id: str, device_id: str, key_check: bytes | None, wrapped_key: str | None) -> KeyFile:
    check = base64.b64encode(key_check).decode("ascii") if key_check else None
    return KeyFile(store_id=store_id, device_id=device_id, key_check=check, wrapped_key=wrapped_key)
