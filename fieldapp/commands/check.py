"""`fieldapp check --policy ID|FILE CONTEXT.json [--lang zh_CN|en] [--explain]`.

Prints the Decision as JSON (the visit's evidence; keys in a fixed order) or, with
--explain, a rule-by-rule text. Exit 0 allowed, 1 blocked, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fieldapp.core.errors import BadInput

DESCRIPTION = "Evaluate a visit context under a policy and print the Decision (exit 0 allowed, 1 blocked)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", required=True, metavar="ID|FILE",
                        help="a preset id (seed, cn, us-fdcpa, us-ma, uk-fca, in-rbi, ie, au) or a policy .toml file")
    parser.add_argument("context", metavar="CONTEXT.json", help="the visit context ('-' reads standard input)")
    parser.add_argument("--lang", default="en", help="language of the sentences: en (default) or zh_CN")
    parser.add_argument("--explain", action="store_true", help="print a readable rule-by-rule text instead of JSON")


def _read_context(name: str) -> tuple[object, str]:
    where = "<stdin>" if name == "-" else name
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput("context file not found", where=where) from None
    except UnicodeDecodeError:
        raise BadInput("the context file is not UTF-8 text", where=where) from None
    except OSError as exc:
        raise BadInput(f"cannot read the context file ({exc.strerror})", where=where) from None
    try:
        return json.loads(text), where
    except json.JSONDecodeError as exc:
        raise BadInput(f"not valid JSON: {exc.msg}", where=f"{where}:{exc.lineno}:{exc.colno}") from None


def run(args: argparse.Namespace) -> int:
    from fieldapp.core import clock
    from fieldapp.policy import Context, evaluate, load_policy
    from fieldapp.policy.messages import language

    lang = language(args.lang)
    policy = load_policy(args.policy)
    data, where = _read_context(args.context)
    context = Context.from_json(data, where=where)
    # Without `now` this is a planning check made now: notices recorded later than the
    # application's clock are refused (the clock is the one every part of fieldapp reads).
    decision = evaluate(context, policy, lang=lang, checked_at=None if context.now else clock.now())
    if args.explain:
        print(decision.explain())
    else:
        print(json.dumps(decision.to_json(), ensure_ascii=False, indent=2))
    return 0 if decision.allowed else 1
