"""`fieldapp demo`: the real server in-process on a temporary SQLite file with the demo
data, and the app signed in as a demo agent, first sync done.

Everything lives in a temporary folder removed at exit: server database, the client
store (protected by a throw-away passphrase) and the window settings. The OS keyring is
not touched: a demo must leave nothing behind.

The server sends its notices for real, to a mail server and an SMS gateway on loopback:
each message the demo "sent" is printed (with the customer's link, to open in a browser)
and kept as an .eml file in the demo's mail folder (`--mail-dir DIR` keeps them after exit).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import threading
from pathlib import Path

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import LANGUAGES

DESCRIPTION = "Embedded server on a temporary SQLite file, demo data, and the app signed in as a demo user."

DEMO_USERS = ("agent1", "agent2", "agent3", "lead1")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", default="agent1", choices=DEMO_USERS,
                        help="demo user to sign in as (password demo-USER; default agent1)")
    parser.add_argument("--lang", choices=LANGUAGES, help="language of the app (default: as last chosen)")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS", help="close after SECONDS (smoke tests)")
    parser.add_argument("--mail-dir", metavar="DIR", help="keep the emails the demo sends in DIR (.eml files)")


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


class DemoChannels:
    """The demo's loopback mail server and SMS gateway, and the settings pointing at them."""

    def __init__(self, mail_dir: Path):
        import secrets as _secrets

        from fieldapp.server.demo import INSTITUTION as DEMO_INSTITUTION
        from fieldapp.server.notify.loopback import LoopbackSmsGateway, LoopbackSmtp
        from fieldapp.server.testing import reserve_socket

        self.mail_dir = mail_dir
        # The server's port is needed (for the notices' links) before the server starts:
        # the socket stays bound meanwhile, so nothing else on the machine can take it.
        self.socket = reserve_socket()
        self.port = self.socket.getsockname()[1]
        secret = _secrets.token_urlsafe(16)
        self.smtp = LoopbackSmtp(mailbox=mail_dir, on_message=self._email)
        self.gateway = LoopbackSmsGateway(secret=secret, on_message=self._sms)
        self.settings = {"smtp_url": self.smtp.url, "sms_gateway_url": self.gateway.url, "sms_webhook_secret": secret,
                         "public_base_url": f"http://127.0.0.1:{self.port}", "notice_worker": True,
                         "institution_name": DEMO_INSTITUTION["names"]["en"], "institution_phone": "95599"}

    def _email(self, message) -> None:  # type: ignore[no-untyped-def]
        link = next((w for w in message.get_content().split() if "/c/" in w), "")
        print(f"fieldapp demo: email to {message['To']}: {message['Subject']} {link} (kept in {self.mail_dir})",
              file=sys.stderr, flush=True)

    def _sms(self, record: dict) -> None:
        print(f"fieldapp demo: SMS to {record['to']}: {record['text']}", file=sys.stderr, flush=True)
        threading.Timer(2.0, self._receipt, args=(record["client_message_id"],)).start()

    def _receipt(self, client_message_id: str) -> None:
        try:
            self.gateway.deliver(client_message_id)  # the phone network confirms delivery
        except Exception:  # noqa: BLE001 - the demo may be closing
            pass

    def announce(self, server) -> None:  # type: ignore[no-untyped-def]
        from fieldapp.server.demo import announce_demo_visits

        with server.session() as s, s.begin():
            made = announce_demo_visits(s, server.settings)
        print(f"fieldapp demo: {len(made)} visits proposed; their notices go out now", file=sys.stderr, flush=True)

    def __enter__(self) -> "DemoChannels":
        self.smtp.start()
        self.gateway.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.gateway.stop()
        self.smtp.stop()


def demo_channels(mail_dir: Path) -> DemoChannels:
    return DemoChannels(mail_dir)


def run(args: argparse.Namespace) -> int:
    from fieldapp.commands.gui import check_quit_after
    from fieldapp.ui.display import headless_reason

    reason = headless_reason("fieldapp demo")
    if reason:
        raise BadInput(reason)
    check_quit_after(args.quit_after)

    from fieldapp.server.testing import LiveServer
    from fieldapp.server.tileserver import LoopbackTileServer, use_tiles
    from fieldapp.sync.service import AgentService
    from fieldapp.ui.app import Credentials, create_application
    from fieldapp.ui.app import run as run_gui
    from fieldapp.ui.settings import SettingsStore

    app = create_application()
    language = args.lang or SettingsStore().load().language
    _no_keyring()
    with tempfile.TemporaryDirectory(prefix="fieldapp-demo-") as tmp, demo_channels(
            Path(args.mail_dir) if args.mail_dir else Path(tmp) / "mail") as channels:
        folder = Path(tmp)
        with LiveServer(f"sqlite:///{folder / 'server.sqlite3'}", seed_demo=True, geocoder="none",
                        signing_ca=True, institution="Nanjing Demo Bank",
                        sock=channels.socket, **channels.settings) as server:
            tiles = LoopbackTileServer().start()  # the institution's map tiles, generated
            use_tiles(server, tiles.url)
            print(f"fieldapp demo: server at {server.url}, signed in as {args.user} "
                  f"(password demo-{args.user})", file=sys.stderr, flush=True)
            channels.announce(server)
            service = AgentService(store_path=folder / "client.sqlite3", passphrase=secrets.token_urlsafe(24))
            try:
                return run_gui(service, credentials=Credentials(server.url, args.user, f"demo-{args.user}"),
                               language=language, quit_after=args.quit_after,
                               settings_store=SettingsStore(folder / "ui-settings.json"), app=app,
                               on_quit=_report)
            finally:
                service.close()
                tiles.stop()
