"""The environment of a benchmark's child process: the user's, as an installation runs it.

An installation runs with compiled files (pip writes them when it installs a wheel; a
frozen bundle carries them). A machine whose environment turns writing them off
(PYTHONDONTWRITEBYTECODE) would otherwise compile every module at every start and time that.
"""

from __future__ import annotations

import os

_DROPPED = ("PYTHONDONTWRITEBYTECODE",)


def child_env(*dropped_prefixes: str, **extra: str) -> dict[str, str]:
    """os.environ without the variables named by `dropped_prefixes` (and without turning
    compiled files off), with `extra` set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith((*_DROPPED, *dropped_prefixes))}
    env.update(extra)
    return env
