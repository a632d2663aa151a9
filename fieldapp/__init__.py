"""fieldapp: lawful, announced, respectful home visits about overdue debts."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("fieldapp")
except _metadata.PackageNotFoundError:  # running from a checkout that is not installed
    __version__ = "0.1.0"

API_VERSION = 1
