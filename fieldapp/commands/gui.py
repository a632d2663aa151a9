"""`fieldapp` without a command: the desktop app, signing in (or resuming the stored
session) against the configured server.

The window is shown first; the local store is opened right after, on the database
worker (it loads the database layer and, on a computer without a keyring, asks for the
passphrase), so the app is on screen at once.
"""

from __future__ import annotations

import argparse
import os

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import LANGUAGES

DESCRIPTION = "The desktop app: sign in, see your cases, sync."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=LANGUAGES, help="language of the app (default: as last chosen)")
    parser.add_argument("--store", help="client store file (default: the user data folder)")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS", help="close after SECONDS (smoke tests)")


def check_quit_after(value: float | None) -> None:
    if value is not None and not value > 0:
        raise BadInput("must be a positive number of seconds", field="--quit-after")


def run(args: argparse.Namespace) -> int:
    from fieldapp.ui.display import headless_reason

    reason = headless_reason()
    if reason:
        raise BadInput(reason)
    check_quit_after(args.quit_after)

    from fieldapp.ui.app import create_application
    from fieldapp.ui.app import run as run_gui

    app = create_application()
    store_path = args.store

    def open_service(passphrase: str | None):
        from fieldapp.sync.service import AgentService

        return AgentService(store_path=store_path,
                            passphrase=passphrase or os.environ.get("FIELDAPP_STORE_PASSPHRASE"))

    return run_gui(None, open_service=open_service, language=args.lang, quit_after=args.quit_after, app=app)
