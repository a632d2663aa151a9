"""`fieldapp server ca ...` and `fieldapp server evidence show`: the signing authority.

    fieldapp server ca init [--institution NAME]     create the CA once (refuses to overwrite)
    fieldapp server ca export-root -o ROOT.pem        the root certificate to trust
    fieldapp server ca export-crl -o CRL.pem          the current revocation list
    fieldapp server ca issue NAME -o DIR              DIR/key.pem, cert.pem, chain.pem, crl.pem
    fieldapp server ca revoke SERIAL [--since TIME]   revoke one certificate
    fieldapp server evidence show PDF -o OUT.png [--role customer|agent]

The CA passphrase comes from FIELDAPP_SERVER_CA_PASSPHRASE or the file named by
FIELDAPP_SERVER_CA_PASSPHRASE_FILE (mode 0600). Exit codes: 0 done, 1 refused (the CA
exists already, nothing to show), 2 bad input (wrong passphrase, unreadable file...).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

from fieldapp.core.errors import BadInput, FieldappError


def add_parsers(sub, add) -> None:  # type: ignore[no-untyped-def]
    """Register `ca` and `evidence` under `fieldapp server` (`add` gives --db/--config)."""
    ca = sub.add_parser("ca", help="the document-signing authority (init, export-root, issue...)")
    ca_sub = ca.add_subparsers(dest="ca_action", metavar="ACTION", required=True, parser_class=type(ca))

    def ca_add(name: str, text: str) -> argparse.ArgumentParser:
        return add(name, text, sub=ca_sub)

    p = ca_add("init", "create the signing CA, its receipt time-stamping key and its evidence key (once)")
    p.add_argument("--institution", help="the institution named in every certificate (default: the setting)")
    p = ca_add("export-root", "write the root certificate (PEM) that verifiers trust")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="ROOT.pem")
    p = ca_add("export-crl", "write the current certificate revocation list (PEM)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="CRL.pem")
    p = ca_add("issue", "issue a key and certificate for a named signer into DIR")
    p.add_argument("name", metavar="NAME")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="DIR")
    p = ca_add("revoke", "revoke a certificate by its serial number (hex)")
    p.add_argument("serial", metavar="SERIAL")
    p.add_argument("--since", metavar="TIME", help="compromised since (ISO 8601 with offset)")

    ev = sub.add_parser("evidence", help="open the handwriting data in a signed agreement")
    ev_sub = ev.add_subparsers(dest="evidence_action", metavar="ACTION", required=True, parser_class=type(ev))
    p = add("show", "decrypt a signature's strokes and draw them (administrators, for disputes)", sub=ev_sub)
    p.add_argument("pdf", type=Path, metavar="PDF")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.png")
    p.add_argument("--role", choices=("customer", "agent"), default="customer")


def run(args: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    from fieldapp.server.db import make_engine, session_factory, upgrade

    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session, session.begin():
            if args.action == "evidence":
                return _evidence(session, args, settings)
            return _ca(session, args, settings)
    finally:
        engine.dispose()


def _ca(session, args: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    from cryptography.x509 import load_der_x509_crl

    from fieldapp.core.timeutil import parse_aware
    from fieldapp.documents import pki
    from fieldapp.server.services import signing

    action = args.ca_action
    if action == "init":
        secret = signing.passphrase(settings)
        root = signing.init_authority(session, secret, args.institution or settings.institution)
        print(f"signing CA created: {root.subject.rfc4514_string()}, valid until "
              f"{root.not_valid_after_utc:%Y-%m-%d}; SHA-256 fingerprint {pki.fingerprint(root)}")
        return 0
    if action == "export-root":
        root = signing.root_certificate(session)
        _write(args.output, pki.cert_to_pem(root))
        print(f"{args.output}: root certificate, SHA-256 fingerprint {pki.fingerprint(root)}")
        return 0
    if action == "revoke":
        since = parse_aware(args.since, field="--since") if args.since else None
        row = signing.revoke(session, args.serial, since=since)
        print(f"certificate {row.serial} revoked")
        return 0
    authority = signing.open_authority(session, signing.passphrase(settings))
    crl = signing.current_crl(session, authority)
    if action == "export-crl":
        _write(args.output, pki.crl_to_pem(load_der_x509_crl(crl)))
        print(f"{args.output}: revocation list")
        return 0
    key, cert = signing.issue_named(session, authority, args.name, url=signing.crl_url(settings))
    out: Path = args.output
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"cannot create the folder: {exc.strerror}", where=str(out)) from None
    if (out / "key.pem").exists():
        raise BadInput("key.pem exists already; choose an empty folder", where=str(out))
    signing.write_private(out / "key.pem", pki.key_to_pem(key))
    _write(out / "cert.pem", pki.cert_to_pem(cert))
    _write(out / "chain.pem", pki.cert_to_pem(authority.root))
    _write(out / "crl.pem", pki.crl_to_pem(load_der_x509_crl(crl)))
    print(f"{out}: key.pem (mode 600), cert.pem, chain.pem, crl.pem for {args.name}; "
          f"serial {cert.serial_number:x}, valid until {cert.not_valid_after_utc:%Y-%m-%d}")
    return 0


def _evidence(session, args: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    from fieldapp.documents import evidence
    from fieldapp.documents.agreement import TERMS_FILE, evidence_file, signature_file
    from fieldapp.documents.facts import check_facts
    from fieldapp.server.services import signing

    where = str(args.pdf)
    try:
        data = args.pdf.read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read the file: {exc.strerror}", where=where) from None
    facts = check_facts(data, where=where)
    if facts.agreement_id is None:
        raise BadInput(f"not an agreement with readable terms ({TERMS_FILE})", where=where)
    files = PdfReader(io.BytesIO(data)).attachments
    blob, png = files.get(evidence_file(args.role)), files.get(signature_file(args.role))
    if not blob or not png:
        print(f"{where}: no handwriting data for the {args.role}'s signature", file=sys.stderr)
        return 1
    import hashlib

    private = signing.evidence_private_key(session, signing.passphrase(settings))
    aad = evidence.context(facts.agreement_id, args.role, hashlib.sha256(png[0]).hexdigest())
    writing = evidence.open_envelope(blob[0], private, aad, where=where)
    _write(args.output, evidence.render_png(writing))
    started = f", started {writing.started_at:%Y-%m-%d %H:%M:%S} UTC" if writing.started_at else ""
    print(f"{args.output}: the {args.role}'s signature in agreement {facts.agreement_id}: "
          f"{len(writing.strokes)} strokes, {writing.points} points, {writing.duration_ms / 1000:.1f} s"
          f"{started}, pressure {'measured' if writing.pressure else 'not measured'}")
    return 0


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise BadInput(f"cannot write the file: {exc.strerror}", where=str(path)) from None


__all__ = ["FieldappError", "add_parsers", "run"]
