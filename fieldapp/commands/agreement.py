"""`fieldapp agreement render TERMS.json -o OUT.pdf [--key KEY.pem --cert CERT.pem]` and
`fieldapp agreement verify OUT.pdf [--trust ROOT.pem] [--crl CRL.pem]`.

render: exit 0 and the PDF written: signed (PAdES) with a key and its certificate, else a
draft marked as not signed; exit 2 (nothing written) when the terms, the key or the
certificate are bad (a key that is not the certificate's, an expired certificate...).
verify: exit 0 intact; 1 unsigned, altered or not trusted, with the reasons; 2 unreadable.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from fieldapp.core.errors import BadInput

DESCRIPTION = "Render a repayment agreement PDF from its terms, or verify a rendered one."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="render|verify")
    render = sub.add_parser("render", help="TERMS.json -> agreement PDF (see fieldapp/documents/TERMS.md)")
    render.add_argument("terms", type=Path, metavar="TERMS.json")
    render.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.pdf")
    render.add_argument("--lang", default="both", choices=("zh_CN", "en", "both"),
                        help="language of the document (default: both side by side)")
    render.add_argument("--limits", type=Path, metavar="LIMITS.json",
                        help="the institution's plan limits (default: the built-in ones)")
    render.add_argument("--key", type=Path, metavar="KEY.pem", help="sign with this private key "
                        "(passphrase from FIELDAPP_KEY_PASSPHRASE when it is encrypted)")
    render.add_argument("--cert", type=Path, metavar="CERT.pem", help="the key's certificate; chain.pem and "
                        "crl.pem beside it (as `fieldapp server ca issue` writes them) are embedded too")
    render.add_argument("--chain", type=Path, metavar="CHAIN.pem", help="the issuing certificates")
    render.add_argument("--crl", type=Path, metavar="CRL.pem", help="the revocation list to embed")
    render.add_argument("--verify-url", metavar="URL",
                        help="the server address the QR code links to (URL/verify/<sha256>)")
    verify = sub.add_parser("verify", help="check a PDF's signatures, receipt and facts")
    verify.add_argument("pdf", type=Path, metavar="OUT.pdf")
    verify.add_argument("--trust", type=Path, metavar="ROOT.pem", action="append",
                        help="the root certificate to trust (fieldapp server ca export-root)")
    verify.add_argument("--crl", type=Path, metavar="CRL.pem", action="append",
                        help="a revocation list to check too (fieldapp server ca export-crl)")
    verify.add_argument("--json", action="store_true", help="print the verdict as JSON")


def _read_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read the file: {exc.strerror}", where=str(path)) from None
    except UnicodeDecodeError:
        raise BadInput("is not UTF-8 text", where=str(path)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"invalid JSON: {exc.msg}", where=f"{path}:{exc.lineno}:{exc.colno}") from None


def _render(args: argparse.Namespace) -> int:
    from fieldapp.core.plans import PlanLimits
    from fieldapp.documents.agreement import build_agreement_pdf
    from fieldapp.documents.terms import parse_terms

    from fieldapp.core.timeutil import utcnow

    if (args.key is None) != (args.cert is None):
        raise BadInput("give both --key and --cert to sign, or neither for a draft",
                       field="--cert" if args.key else "--key")
    limits = PlanLimits.from_dict(_read_json(args.limits), where=str(args.limits)) if args.limits else PlanLimits()
    terms = parse_terms(_read_json(args.terms), where=str(args.terms), limits=limits,
                        base_dir=args.terms.parent)
    now = utcnow()
    signer = _signer(args, now) if args.key else None
    pdf = build_agreement_pdf(terms, args.lang, where=str(args.terms), draft=signer is None, created=now,
                              verify_url=args.verify_url)
    if signer is not None:
        from fieldapp.documents.signing import sign_pdf

        pdf = sign_pdf(pdf, signer, now=now, reason=f"Repayment agreement {terms.agreement_id}")
    out: Path = args.output
    tmp = out.with_name(out.name + ".part")
    try:
        tmp.write_bytes(pdf)
        os.replace(tmp, out)
    except OSError as exc:
        with contextlib.suppress(OSError):  # e.g. the folder is not one
            tmp.unlink(missing_ok=True)
        raise BadInput(f"cannot write the PDF: {exc.strerror}", where=str(out)) from None
    how = f"signed by {signer.holder.describe()}" if signer else "an unsigned draft"
    print(f"{out}: agreement {terms.agreement_id}, terms SHA-256 {terms.sha256}, {how}")
    return 0


def _signer(args: argparse.Namespace, now):  # type: ignore[no-untyped-def]
    from fieldapp.documents.signing import DocumentSigner

    passphrase = os.environ.get("FIELDAPP_KEY_PASSPHRASE")
    signer = DocumentSigner.from_files(args.key, args.cert, chain=args.chain, crl=args.crl,
                                       passphrase=passphrase.encode("utf-8") if passphrase else None)
    signer.check(now, where=str(args.cert))
    return signer


def _trust(paths: list[Path] | None) -> list:
    from fieldapp.documents.pki import load_certs

    out = []
    for path in paths or ():
        try:
            out += load_certs(path.read_bytes(), where=str(path))
        except OSError as exc:
            raise BadInput(f"cannot read the file: {exc.strerror}", where=str(path)) from None
    return out


def _crls(paths: list[Path] | None) -> list[bytes]:
    from cryptography.hazmat.primitives.serialization import Encoding

    from fieldapp.documents.pki import load_crl

    out = []
    for path in paths or ():
        try:
            out.append(load_crl(path.read_bytes(), where=str(path)).public_bytes(Encoding.DER))
        except OSError as exc:
            raise BadInput(f"cannot read the file: {exc.strerror}", where=str(path)) from None
    return out


def _verify(args: argparse.Namespace) -> int:
    import logging

    from fieldapp.documents.verify import verify_pdf_file

    for name in ("pyhanko", "pyhanko_certvalidator"):  # their path-building notes are ours to report
        logging.getLogger(name).setLevel(logging.CRITICAL)
    result = verify_pdf_file(args.pdf, trust=_trust(args.trust), crls=_crls(args.crl))
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    elif result.intact:
        received = f"received by the server at {result.received_at:%Y-%m-%d %H:%M:%S} UTC" \
            if result.received_at else "not yet received by the server"
        print(f"{args.pdf}: intact: agreement {result.agreement_id}, terms SHA-256 {result.sha256}, "
              f"{result.pages} page(s)")
        print(f"  signed by {result.signer} at {result.signed_at:%Y-%m-%d %H:%M:%S} UTC (device clock); "
              f"{received}")
        for warning in result.warnings:
            print(f"  note: {warning}")
    else:
        label = "unsigned" if result.status == "unsigned" else "NOT intact"
        print(f"{args.pdf}: {label}: {result.problems[0]}", file=sys.stderr)
        for problem in result.problems[1:]:
            print(f"  also: {problem}", file=sys.stderr)
    return 0 if result.intact else 1


def run(args: argparse.Namespace) -> int:
    return _render(args) if args.action == "render" else _verify(args)
