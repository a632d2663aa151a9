"""Where log records and warnings go while a `fieldapp` command runs (fieldapp.cli.main).

The terminal carries a command's output and, on bad input, exactly one line: libraries
never write to it. So:

- stderr shows the application's own records (loggers under `fieldapp`) at the level
  named by FIELDAPP_LOG (DEBUG, INFO, WARNING, ERROR; default WARNING);
- libraries' records (pypdf, reportlab, fontTools, PIL, httpx, alembic, SQLAlchemy, the
  embedded server's uvicorn ...) and `warnings.warn` (as the logger `py.warnings`) never
  reach the terminal: they go, with the application's own, to the file named by
  FIELDAPP_LOG_FILE when it is set (appended to, at the same level), and nowhere otherwise;
- `fieldapp -v COMMAND` shows everything at DEBUG on stderr, for a person debugging.

`server run` is the exception by design: uvicorn configures its own loggers and prints its
start-up lines and access log on the terminal, which is the server's log.

The set-up is undone when the command returns, so calling `main()` in-process (tests, the
frozen bundle's self-test) leaves the interpreter's logging as it found it.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from fieldapp.core.errors import BadInput

APP_LOGGER = "fieldapp"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class _Stderr(logging.StreamHandler):
    """stderr as it is when a record is written (tests and the GUI may swap sys.stderr)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):  # noqa: ANN201
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # noqa: ANN001
        pass

    def emit(self, record: logging.LogRecord) -> None:
        if sys.stderr is not None:  # a windowed Windows executable has none
            super().emit(record)


def _own(record: logging.LogRecord) -> bool:
    return record.name == APP_LOGGER or record.name.startswith(APP_LOGGER + ".")


def level_from_env() -> int:
    name = os.environ.get("FIELDAPP_LOG", "WARNING").strip().upper()
    return getattr(logging, name) if name in LEVELS else logging.WARNING


def _log_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    """warnings.showwarning: a warning becomes a record of `py.warnings` (as
    logging.captureWarnings does, but undone with the rest of the set-up)."""
    text = warnings.formatwarning(message, category, filename, lineno, line).rstrip()
    logging.getLogger("py.warnings").warning("%s", text)


@contextmanager
def command_logging(verbose: bool = False) -> Iterator[None]:
    """Route records and warnings as the module docstring says, for the duration."""
    level = logging.DEBUG if verbose else level_from_env()
    formatter = logging.Formatter(FORMAT)
    terminal = _Stderr()
    terminal.setLevel(level)
    terminal.setFormatter(formatter)
    if not verbose:
        terminal.addFilter(_own)
    handlers: list[logging.Handler] = [terminal]
    path = os.environ.get("FIELDAPP_LOG_FILE")
    if path:
        try:
            to_file = logging.FileHandler(path, encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"cannot open the log file ({exc.strerror or exc})",
                           where=path, field="FIELDAPP_LOG_FILE") from None
        to_file.setLevel(level)
        to_file.setFormatter(formatter)
        handlers.append(to_file)

    root = logging.getLogger()
    saved_level, saved_showwarning = root.level, warnings.showwarning
    for handler in handlers:
        root.addHandler(handler)
    if root.level > level:  # never raise it: an embedding program may want more
        root.setLevel(level)
    warnings.showwarning = _log_warning
    try:
        yield
    finally:
        warnings.showwarning = saved_showwarning
        root.setLevel(saved_level)
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()
