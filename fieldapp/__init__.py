"""fieldapp: lawful, announced, respectful home visits about overdue debts."""

from __future__ import annotations

API_VERSION = 1


def __getattr__(name: str) -> str:
    # The version is read from the package metadata on first use only: the lookup costs
    # tens of milliseconds that the GUI's start-up should not pay.
    if name == "__version__":
        from importlib import metadata

        try:
            version = metadata.version("fieldapp")
        except metadata.PackageNotFoundError:  # a checkout that is not installed
            version = "0.1.0"
        globals()["__version__"] = version
        return version
    raise AttributeError(f"module 'fieldapp' has no attribute {name!r}")
