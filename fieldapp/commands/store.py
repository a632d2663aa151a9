"""`fieldapp store rescue [--store FILE] [--out NEWFILE]`: copy what is readable of a damaged
laptop store into a new store (see fieldapp/store/rescue.py for what is kept).

Without --out, the damaged store (with its log, key file and attachment folder) is renamed
aside to `<name>.damaged-<UTC time>` and the new store takes its place; with --out, the
damaged store stays where it is and the new one is written to NEWFILE (which must not
exist). The damaged files are never modified. Close the app before rescuing its store.

The store passphrase (no OS keyring) comes from FIELDAPP_STORE_PASSPHRASE or a prompt;
messages follow FIELDAPP_LANG. Exit 0: everything was rescued; 1: rescued, but something
was damaged beyond reading (listed); 2: nothing done (no store, no key, NEWFILE exists).
"""

from __future__ import annotations

import argparse
import os
import sys

from fieldapp.core.errors import BadInput

DESCRIPTION = "Look after this laptop's store: rescue what is readable of a damaged one."
SHOWN_IDS = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=type(parser))
    p = sub.add_parser("rescue", help="copy every readable item of a damaged store into a new store",
                       description="Copy every readable outbox item, attachment, case, task, draft and "
                                   "the account of a damaged store into a new store; the damaged files "
                                   "are kept aside, unchanged.")
    p.add_argument("--store", metavar="FILE", help="the damaged store (default: the user data folder's)")
    p.add_argument("--out", metavar="NEWFILE",
                   help="write the new store here (default: in the damaged store's place, which is set aside)")


def run(args: argparse.Namespace) -> int:
    from fieldapp.commands.sync import _secret, _translator
    from fieldapp.store import default_store_path
    from fieldapp.store.crypto import PassphraseRequired
    from fieldapp.store.errors import StoreProblem
    from fieldapp.store.rescue import rescue

    tr = _translator()
    source = args.store or default_store_path()
    passphrase = os.environ.get("FIELDAPP_STORE_PASSPHRASE")
    try:
        try:
            report = rescue(source, args.out, passphrase=passphrase)
        except PassphraseRequired:
            report = rescue(source, args.out,
                            passphrase=_secret("FIELDAPP_STORE_PASSPHRASE", tr("Store passphrase: ")))
    except StoreProblem as exc:
        raise BadInput(exc.said(tr)) from None
    except OSError as exc:  # a folder that cannot be written, a file that cannot be read
        raise BadInput(f"cannot rescue {source}: {exc.strerror or exc}", field="--store") from None
    _print(report, tr)
    return 0 if report.complete else 1


def _print(report, tr) -> None:
    out = sys.stdout
    print(tr("rescued into {path}", path=report.new_store), file=out)
    if report.set_aside is not None:
        print(tr("the damaged store is kept, unchanged, at {path}", path=report.set_aside), file=out)
    if report.empty_source:
        print(tr("the damaged store held no readable data (empty or missing): what it held is lost"), file=out)
    if report.header_repaired:
        print(tr("its header was damaged: it was read with a repaired copy of the header"), file=out)
    if report.missing_pages:
        print(tr("the file is missing {count} pages at its end: what they held is lost",
                 count=report.missing_pages), file=out)
    print(tr("outbox: {rescued} items rescued ({unsent} unsent), {aside} set aside (unreadable), "
             "{lost} lost", rescued=len(report.outbox_rescued), unsent=report.unsent_rescued,
             aside=len(report.outbox_set_aside), lost=len(report.outbox_unreadable)), file=out)
    for item in (report.outbox_set_aside + report.outbox_unreadable)[:SHOWN_IDS]:
        print(tr("  not sendable: {id}", id=item), file=out)
    print(tr("attachments: {rescued} rescued, {lost} unreadable", rescued=report.attachments_rescued,
             lost=len(report.attachments_unreadable)), file=out)
    print(tr("cases: {cases} rescued, {lost} unreadable; tasks: {tasks}; drafts: {drafts} rescued, "
             "{drafts_lost} lost; review items: {reviews}", cases=report.cases_rescued,
             lost=report.cases_unreadable, tasks=report.tasks_rescued, drafts=report.drafts_rescued,
             drafts_lost=report.drafts_lost, reviews=report.reviews_rescued), file=out)
    if report.other_unreadable:
        print(tr("{count} other rows were unreadable", count=report.other_unreadable), file=out)
    print(tr("account kept: the next sync sends the rescued items and pulls every case again")
          if report.account_kept else
          tr("the account could not be read: sign in again; the next sync pulls every case again"), file=out)
