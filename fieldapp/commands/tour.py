"""`fieldapp tour --out DIR`: the agent's app driven through a whole visit offscreen, and the
team lead's review of it, against the embedded demo server, with a screenshot of every
screen in each language and the agreement PDF. Prints the files written.

Like `fieldapp demo`, everything but DIR lives in a temporary folder removed at the end
(server database, the agent's and the team lead's stores, settings), and the OS keyring
is not touched.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
from pathlib import Path

from fieldapp.core.errors import BadInput

DESCRIPTION = "Offscreen walk through a whole visit: screenshots of every screen and the PDFs."
LANG_CHOICES = ("en", "zh_CN", "both")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the screenshots and PDFs")
    parser.add_argument("--lang", choices=LANG_CHOICES, default="both",
                        help="language of the screenshots (default: both)")


def _out_dir(text: str) -> Path:
    out = Path(text)
    if out.exists() and not out.is_dir():
        raise BadInput("exists and is not a folder", field="--out", where=str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"cannot create the folder ({exc.strerror or exc})", field="--out", where=str(out)) from None
    if not os.access(out, os.W_OK):
        raise BadInput("the folder is not writable", field="--out", where=str(out))
    return out


def run(args: argparse.Namespace) -> int:
    out = _out_dir(args.out)
    languages = ["en", "zh_CN"] if args.lang == "both" else [args.lang]
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a tour never opens a window

    from fieldapp.commands.demo import _no_keyring
    from fieldapp.server.testing import LiveServer
    from fieldapp.server.tileserver import LoopbackTileServer, use_tiles
    from fieldapp.sync.lead_service import LeadService
    from fieldapp.sync.service import AgentService
    from fieldapp.ui.app import create_application
    from fieldapp.ui.tour import Tour, TourError

    create_application()
    _no_keyring()
    with tempfile.TemporaryDirectory(prefix="fieldapp-tour-") as tmp:
        folder = Path(tmp)
        with LiveServer(f"sqlite:///{folder / 'server.sqlite3'}", seed_demo=True, geocoder="none",
                        signing_ca=True, institution="Nanjing Demo Bank") as server, LoopbackTileServer() as tiles:
            use_tiles(server, tiles.url)
            agent = AgentService(store_path=folder / "agent.sqlite3", passphrase=secrets.token_urlsafe(24))
            lead = LeadService(store_path=folder / "lead.sqlite3", passphrase=secrets.token_urlsafe(24))
            tour = Tour(out, languages, server.url, agent, lead,
                        progress=lambda message: print(f"fieldapp tour: {message}", file=sys.stderr, flush=True))
            try:
                files = tour.run()
            except TourError as exc:
                print(f"fieldapp tour: failed: {exc}", file=sys.stderr)
                return 1
            finally:
                agent.close()
                lead.close()
    for path in files:
        print(path)
    return 0
