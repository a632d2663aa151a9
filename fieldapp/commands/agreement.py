"""`fieldapp agreement render TERMS.json -o OUT.pdf` and `fieldapp agreement verify OUT.pdf`.

render: exit 0 and the PDF written; exit 2 (nothing written) when the terms are bad.
verify: exit 0 intact; 1 altered or unverifiable, with the reasons; 2 unreadable.
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
    verify = sub.add_parser("verify", help="check a PDF against the terms embedded in it")
    verify.add_argument("pdf", type=Path, metavar="OUT.pdf")
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

    limits = PlanLimits.from_dict(_read_json(args.limits), where=str(args.limits)) if args.limits else PlanLimits()
    terms = parse_terms(_read_json(args.terms), where=str(args.terms), limits=limits,
                        base_dir=args.terms.parent)
    pdf = build_agreement_pdf(terms, args.lang, where=str(args.terms))
    out: Path = args.output
    tmp = out.with_name(out.name + ".part")
    try:
        tmp.write_bytes(pdf)
        os.replace(tmp, out)
    except OSError as exc:
        with contextlib.suppress(OSError):  # e.g. the folder is not one
            tmp.unlink(missing_ok=True)
        raise BadInput(f"cannot write the PDF: {exc.strerror}", where=str(out)) from None
    print(f"{out}: agreement {terms.agreement_id}, terms SHA-256 {terms.sha256}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from fieldapp.documents.verify import verify_pdf_file

    result = verify_pdf_file(args.pdf)
    if args.json:
        print(json.dumps({"intact": result.intact, "agreement_id": result.agreement_id,
                          "sha256": result.sha256, "pages": result.pages,
                          "problems": result.problems}, ensure_ascii=False, indent=2))
    elif result.intact:
        print(f"{args.pdf}: intact: agreement {result.agreement_id}, terms SHA-256 {result.sha256}, "
              f"{result.pages} page(s)")
    else:
        print(f"{args.pdf}: NOT intact: {result.problems[0]}", file=sys.stderr)
        for problem in result.problems[1:]:
            print(f"  also: {problem}", file=sys.stderr)
    return 0 if result.intact else 1


def run(args: argparse.Namespace) -> int:
    return _render(args) if args.action == "render" else _verify(args)
