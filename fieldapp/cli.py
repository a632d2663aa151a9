"""The one entry point `fieldapp`, with subcommands (contract in DESIGN.md / README).

Each subcommand lives in its own module under `fieldapp.commands` exposing
`add_arguments(parser)` and `run(args) -> int`; only the chosen one is imported, so
`fieldapp check` does not pay for Qt or the server.

Exit codes: 0 success (for `check`: allowed), 1 a negative result (blocked, invalid,
verify failed), 2 bad input or usage, with a one-line reason on stderr and no traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import os
import sys

from fieldapp.core.errors import BadInput, FieldappError, NotFound
from fieldapp.logsetup import command_logging

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("fieldapp.commands.demo", "embedded server on SQLite + demo data + GUI"),
    "tour": ("fieldapp.commands.tour", "offscreen walk through a whole visit: screenshots + PDFs"),
    "server": ("fieldapp.commands.server", "run and administer the sync server"),
    "sync": ("fieldapp.commands.sync", "sync this laptop's store with the server, headless"),
    "store": ("fieldapp.commands.store", "rescue what is readable of a damaged laptop store"),
    "check": ("fieldapp.commands.check", "evaluate a visit context under a policy -> Decision JSON"),
    "script": ("fieldapp.commands.script", "validate or run a conversation script"),
    "agreement": ("fieldapp.commands.agreement", "render or verify a repayment agreement PDF"),
    "self-test": ("fieldapp.commands.selftest", "check that this installation works end to end"),
}


def _columns() -> int:
    """The terminal's width as `shutil.get_terminal_size()` reads it (COLUMNS, else the
    terminal of standard output, else 80), without importing shutil (3 ms of every command:
    argparse asks for the width at each `add_argument`)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line on stderr and exit 2."""

    def __init__(self, *args, **kwargs) -> None:
        formatter = kwargs.get("formatter_class", argparse.HelpFormatter)
        kwargs["formatter_class"] = functools.partial(formatter, width=_columns() - 2)  # as argparse's own
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message}\n")


def _top_parser() -> argparse.ArgumentParser:
    from fieldapp import __version__

    parser = _Parser(
        prog="fieldapp",
        description="Field visits, done lawfully. Without a command: the desktop app.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands:\n" + "\n".join(f"  {n:<11} {h}" for n, (_, h) in COMMANDS.items()),
    )
    parser.add_argument("--version", action="version", version=f"fieldapp {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = False
    while argv and argv[0] in ("-v", "--verbose"):
        verbose = True
        argv.pop(0)
    with contextlib.ExitStack() as stack:
        try:  # library logs away from the terminal (fieldapp/logsetup.py)
            stack.enter_context(command_logging(verbose))
        except BadInput as exc:  # FIELDAPP_LOG_FILE cannot be opened
            print(f"fieldapp: {exc}", file=sys.stderr)
            return 2
        return _command(argv)


def _command(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        if argv and not argv[0].startswith("-"):
            _top_parser().error(f"unknown command {argv[0]!r} (see fieldapp --help)")
        if argv and argv[0] in ("-h", "--help", "--version"):
            _top_parser().parse_args(argv)
        # Anything else (e.g. --lang zh_CN) is an option of the desktop app itself.
        module_name, name = "fieldapp.commands.gui", "fieldapp"
    else:
        name = argv.pop(0)
        module_name = COMMANDS[name][0]
        name = f"fieldapp {name}"

    module = importlib.import_module(module_name)
    parser = _Parser(prog=name, description=getattr(module, "DESCRIPTION", None))
    module.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return int(module.run(args) or 0)
    except (BadInput, NotFound) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    except FieldappError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        return 0
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
