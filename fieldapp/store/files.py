"""Attachment files (signatures, agreement PDFs), encrypted, named by their SHA-256.

A file is written to a temporary name, flushed and renamed, so a crash leaves either the
whole sealed file or nothing under the final name. Files are 0600 in a 0700 folder
(`fieldapp.core.private`). The database row is written after the
file, in the caller's transaction; files without a row are swept at start-up.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from fieldapp.core import private
from fieldapp.store.crypto import Cipher, Tampered

SUFFIX = ".sealed"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class AttachmentFiles:
    def __init__(self, directory: Path, cipher: Cipher):
        self.directory = directory
        self._cipher = cipher
        private.make_private_dir(directory)

    def path(self, sha256: str) -> Path:
        return self.directory / f"{sha256}{SUFFIX}"

    def write(self, sha256: str, data: bytes) -> None:
        target = self.path(sha256)
        if target.exists():
            return
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        with private.private_umask():
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0),
                         private.FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(self._cipher.seal(data, f"attachment:{sha256}"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)

    def read(self, sha256: str) -> bytes:
        try:
            blob = self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise Tampered(f"attachment {sha256[:12]} is missing from {self.directory}") from None
        data = self._cipher.open(blob, f"attachment:{sha256}")
        if sha256_hex(data) != sha256:
            raise Tampered(f"attachment {sha256[:12]} does not match its hash")
        return data

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def names(self) -> set[str]:
        return {p.name[:-len(SUFFIX)] for p in self.directory.glob(f"*{SUFFIX}")}

    def sweep(self, keep: set[str]) -> int:
        """Delete leftovers: temporary files and sealed files no row refers to."""
        removed = 0
        for tmp in self.directory.glob("*.tmp"):
            tmp.unlink(missing_ok=True)
            removed += 1
        for name in self.names() - keep:
            self.delete(name)
            removed += 1
        return removed

    def make_private(self) -> None:
        """Files written by an older version (or copied in) lose any group/other access."""
        private.restrict_all([self.directory, *self.directory.iterdir()])

    def clear(self) -> None:
        for p in self.directory.iterdir():
            if p.is_file():
                p.unlink(missing_ok=True)
