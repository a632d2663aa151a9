"""Private files and folders: what the laptop keeps is readable by its user only.

POSIX: files are created 0600 and folders 0700, under a restrictive umask (077) held while
they are made, and those found looser when the application opens them are chmod-ed back
(files other programs made for us, e.g. SQLite's -wal and -shm, take the mode of the
database file, so a private database keeps its companions private too).

Windows has no modes: `restrict()` gives the file or folder an access list of its own
(inheritance from the parent removed) that names the signed-in user and SYSTEM, the way
the user's profile folder is protected, by running
``icacls PATH /inheritance:r /grant:r USER:(OI)(CI)F /grant:r *S-1-5-18:(OI)(CI)F``
(`(OI)(CI)` on folders only: what is made inside inherits the list). `icacls` ships with
every Windows since Vista; when it fails the file keeps its inherited list (under the
profile, already the user's alone) and a warning is logged. Each call is a process, so on
Windows only what the application creates is restricted, when it is created (folders and
the store; SQLite's -wal/-shm and the attachments inherit the folder's list); existing
files are not re-checked at every start (`restrict_existing` and `restrict_all` do nothing
there). Only the command line is tested here (tests/store/test_store_private.py); it is
not run on this project's CI.

The umask is process-wide: `private_umask()` counts its users under a lock so that
threads nesting it never leave the process with the wrong one.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import subprocess
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
PRIVATE_UMASK = 0o077
SYSTEM_SID = "*S-1-5-18"  # LocalSystem, which Windows' own services need (backup, indexing)

_lock = threading.Lock()
_users = 0
_saved_umask = 0o022


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Files and folders made inside are private (umask 077); the old umask comes back
    when the last user leaves."""
    global _users, _saved_umask
    with _lock:
        if _users == 0:
            _saved_umask = os.umask(PRIVATE_UMASK)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                os.umask(_saved_umask)


def make_private_dir(path: Path, *, restrict_existing: bool = True) -> Path:
    """Create `path` (and missing parents) private; an existing one is restricted only
    when it is ours (`restrict_existing`): a folder a person chose may be shared."""
    existed = path.is_dir()
    with private_umask():
        path.mkdir(parents=True, exist_ok=True)
    if not existed or (restrict_existing and os.name != "nt"):
        restrict(path)
    return path


def create_private_file(path: Path) -> None:
    """Create an empty file readable by its user only; never over an existing file
    (FileExistsError)."""
    with private_umask():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), FILE_MODE)
    os.close(fd)
    if os.name == "nt":
        restrict(path)


def write_private(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write `path` whole, privately: a temporary file beside it, flushed, then renamed.
    `sync=False` skips the fsync, for a cache that may be lost but never read half-written."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with private_umask():
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        if os.name == "nt":
            restrict(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def restrict(path: Path, *, system: str | None = None, run: Callable[..., Any] | None = None,
             user: str | None = None) -> None:
    """Make an existing file or folder private (see the module docstring). Never raises:
    a file we cannot restrict (not ours, a read-only medium) is logged and left."""
    system = system or os.name
    directory = path.is_dir()
    if system == "nt":
        cmd = icacls_command(path, directory=directory, user=user or windows_user())
        try:
            (run or subprocess.run)(cmd, check=True, capture_output=True, timeout=30)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("icacls could not restrict %s to its user (%s)", path.name, type(exc).__name__)
        return
    wanted = DIR_MODE if directory else FILE_MODE
    try:
        if path.stat().st_mode & 0o077:
            os.chmod(path, wanted)
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("could not make %s private (%s)", path.name, type(exc).__name__)


def restrict_all(paths: list[Path]) -> None:
    """Existing files lose any group/other access (POSIX; see the module docstring for Windows)."""
    if os.name == "nt":
        return
    for p in paths:
        if p.exists():
            restrict(p)


def icacls_command(path: Path, *, directory: bool, user: str) -> list[str]:
    """The icacls command that leaves `path` to `user` and SYSTEM alone."""
    rights = "(OI)(CI)F" if directory else "F"
    return ["icacls", str(path), "/inheritance:r", "/grant:r", f"{user}:{rights}",
            "/grant:r", f"{SYSTEM_SID}:{rights}"]


def windows_user() -> str:
    """DOMAIN\\user of the signed-in Windows user (the user name alone if no domain)."""
    name = os.environ.get("USERNAME") or getpass.getuser()
    domain = os.environ.get("USERDOMAIN")
    return f"{domain}\\{name}" if domain else name
