"""`fieldapp demo`: the real server in-process on a temporary SQLite file with the demo
data, and the app signed in as a demo agent, first sync done.

Everything lives in a temporary folder removed at exit: server database, the client
store (protected by a throw-away passphrase) and the window settings. The OS keyring is
not touched: a demo must leave nothing behind.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from pathlib import Path

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import LANGUAGES

DESCRIPTION = "Embedded server on a temporary SQLite file, demo data, and the app signed in as a demo user."

DEMO_USERS = ("agent1", "agent2", "agent3", "lead1")
# The creditor printed on the demo's agreements (a real install sets its own in Settings).
DEMO_INSTITUTION = ("南京示范银行 Nanjing Demo Bank", "江苏省南京市玄武区中山路 1 号", "91320000MA1DEMO01X")


def name_demo_institution(ctx) -> None:
    settings = ctx.settings
    if not settings.institution_name:
        (settings.institution_name, settings.institution_address,
         settings.institution_registration) = DEMO_INSTITUTION


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", default="agent1", choices=DEMO_USERS,
                        help="demo user to sign in as (password demo-USER; default agent1)")
    parser.add_argument("--lang", choices=LANGUAGES, help="language of the app (default: as last chosen)")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS", help="close after SECONDS (smoke tests)")


def _no_keyring() -> None:
    """Keep the demo's keys and session out of the person's real keyring."""
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())


def _report(field_app) -> None:
    """One line on what the demo showed, for people and smoke tests."""
    lead = getattr(field_app, "lead_window", None)
    if lead is not None:  # a team lead signed in: the review window was shown
        print(f"fieldapp demo: {lead.queue.model.rowCount()} visits in the review queue; "
              f"{lead.status_text.text()}", file=sys.stderr, flush=True)
        return
    window = field_app.window
    print(f"fieldapp demo: {window.model.total} cases in the list; "
          f"{window.sync_status.message.text()}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from fieldapp.commands.gui import check_quit_after
    from fieldapp.ui.display import headless_reason

    reason = headless_reason("fieldapp demo")
    if reason:
        raise BadInput(reason)
    check_quit_after(args.quit_after)

    from fieldapp.server.testing import LiveServer
    from fieldapp.sync.service import AgentService
    from fieldapp.ui.app import Credentials, create_application
    from fieldapp.ui.app import run as run_gui
    from fieldapp.ui.settings import SettingsStore

    app = create_application()
    language = args.lang or SettingsStore().load().language
    _no_keyring()
    with tempfile.TemporaryDirectory(prefix="fieldapp-demo-") as tmp:
        folder = Path(tmp)
        with LiveServer(f"sqlite:///{folder / 'server.sqlite3'}", seed_demo=True, geocoder="none",
                        signing_ca=True, institution="Nanjing Demo Bank") as server:
            print(f"fieldapp demo: server at {server.url}, signed in as {args.user} "
                  f"(password demo-{args.user})", file=sys.stderr, flush=True)
            service = AgentService(store_path=folder / "client.sqlite3", passphrase=secrets.token_urlsafe(24))
            try:
                return run_gui(service, credentials=Credentials(server.url, args.user, f"demo-{args.user}"),
                               language=language, quit_after=args.quit_after,
                               settings_store=SettingsStore(folder / "ui-settings.json"), app=app,
                               on_quit=_report, prepare=name_demo_institution)
            finally:
                service.close()
