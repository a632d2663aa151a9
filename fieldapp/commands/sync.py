"""`fieldapp sync --server URL --user NAME`: one whole sync, headless.

The password comes from FIELDAPP_PASSWORD or a prompt. Where the system has no keyring,
the store's passphrase comes from FIELDAPP_STORE_PASSPHRASE or a prompt. Progress goes to
stderr, the summary to stdout. Exit 0: synced; 1: synced, but the server rejected items or
this sync set items aside (quarantined: their data on the laptop is damaged; one
`warning:` line each); 2: no sync (bad input, a store that is missing, emptied or damaged,
wrong credentials, offline, server refused or failed). Items set aside by an earlier sync
are recalled in one line and do not change the exit code.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import Translator, normalise_language

DESCRIPTION = "Sync this laptop's store with the server, headless (exit 1 when items were rejected)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", required=True, help="server address, e.g. https://sync.example.com")
    parser.add_argument("--user", required=True, help="user name on the server")
    parser.add_argument("--store", help="client store file (default: the user data folder)")
    parser.add_argument("--page-size", type=int, default=1000, help="cases per pulled page (1-1000)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def _translator() -> Translator:
    for name in ("FIELDAPP_LANG", "LANGUAGE", "LC_ALL", "LANG"):
        value = os.environ.get(name)
        if value:
            try:
                return Translator.for_language(normalise_language(value.split(":")[0].split(".")[0]))
            except BadInput:
                return Translator.for_language("en")
    return Translator.for_language("en")


def _secret(env: str, prompt: str) -> str:
    value = os.environ.get(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise BadInput(f"no {env} set and no terminal to ask on", field=env)
    return getpass.getpass(prompt)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DatabaseError

    from fieldapp.store import Store
    from fieldapp.store.crypto import PassphraseRequired
    from fieldapp.store.errors import StoreProblem
    from fieldapp.store.health import damaged, is_corruption
    from fieldapp.sync.errors import SyncError, TokenExpired
    from fieldapp.sync.service import AgentService

    tr = _translator()
    if not 1 <= args.page_size <= 1000:
        raise BadInput("must be between 1 and 1000", field="--page-size")
    passphrase = os.environ.get("FIELDAPP_STORE_PASSPHRASE")

    def open_service(phrase: str | None) -> AgentService:
        return AgentService(store=Store(args.store, passphrase=phrase), translator=tr,
                            page_size=args.page_size)

    try:
        try:
            service = open_service(passphrase)
        except PassphraseRequired:
            service = open_service(_secret("FIELDAPP_STORE_PASSPHRASE", tr("Store passphrase: ")))
    except StoreProblem as exc:  # missing, emptied, damaged, locked: said in one line, exit 2
        raise BadInput(exc.said(tr)) from None
    except DatabaseError as exc:  # e.g. --store names a file that is not a store
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise BadInput(f"cannot open the store: {reason}", field="--store") from None
    except OSError as exc:  # e.g. its folder cannot be made
        raise BadInput(f"cannot open the store: {exc.strerror or exc}", field="--store") from None

    def progress(phase: str, done: int, total: int | None) -> None:
        if args.quiet or phase == "done":
            return
        text = f"{done}/{total}" if total else str(done)
        print(tr("{phase}: {count}", phase=tr(phase), count=text), file=sys.stderr, flush=True)

    try:
        from fieldapp.sync.transport import normalise_url

        url = normalise_url(args.server)
        same = service.account() == (url, args.user)
        summary = None
        if same and service.resume() is not None:
            try:
                summary = service.sync(progress)
            except TokenExpired:
                summary = None
        if summary is None:
            password = _secret("FIELDAPP_PASSWORD", tr("Password for {user}: ", user=args.user))
            service.login(url, args.user, password)
            summary = service.sync(progress)
    except SyncError as exc:
        print(f"fieldapp sync: {exc}", file=sys.stderr)
        return 2
    except DatabaseError as exc:  # damage found while syncing: nothing more is written
        if not is_corruption(exc):
            raise
        raise BadInput(damaged(service.store.path, exc).said(tr)) from None
    finally:
        service.close()

    if summary.resynced:
        print(tr("the server's history was behind this laptop's (restored from a backup?): everything "
                 "pulled again, {resent} sent items sent again", resent=summary.resent))
    print(tr("pulled: {upserts} cases updated, {tombstones} removed ({kept} kept for unsent work)",
             upserts=summary.pulled_upserts, tombstones=summary.pulled_tombstones,
             kept=len(summary.kept_for_outbox)))
    print(tr("pushed: {accepted} accepted, {duplicate} already on the server, {rejected} rejected",
             accepted=summary.pushed_accepted, duplicate=summary.pushed_duplicate,
             rejected=summary.pushed_rejected))
    for r in summary.rejected:
        print(tr("  rejected {id} (case {ref}): {code}: {reason}", id=r.id, ref=r.case_reference or "-",
                 code=r.code, reason=r.reason))
    for q in summary.quarantined:
        print(tr("warning: {id} (case {ref}) set aside, not sent: {reason}", id=q.id,
                 ref=q.case_reference or "-", reason=q.reason))
    earlier = summary.quarantined_held - len(summary.quarantined)
    if earlier > 0:
        print(tr("{count} item set aside earlier is kept on this laptop: see the Outbox", count=earlier)
              if earlier == 1 else
              tr("{count} items set aside earlier are kept on this laptop: see the Outbox", count=earlier))
    for problem in summary.attachment_errors:
        print(tr("  attachment not uploaded: {problem}", problem=problem))
    if summary.clock_offset_s is not None:
        offset = summary.clock_offset_s  # server minus this computer
        line = (tr("clock: this computer is {seconds} s behind the server", seconds=f"{offset:.1f}")
                if offset >= 0 else
                tr("clock: this computer is {seconds} s ahead of the server", seconds=f"{-offset:.1f}"))
        if summary.clock_skew:
            line += " " + tr("(more than 5 minutes: fix the computer's clock)")
        print(line)
    return 1 if summary.rejected or summary.quarantined else 0
