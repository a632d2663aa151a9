"""`fieldapp script validate FILE...` and `fieldapp script run FILE --answers ANSWERS.json`.

validate: exit 0 when every script is valid, 1 when one is invalid (the problems are
listed, one per line, with file:line and node), 2 when a file cannot be read.

run: plays a script headless with the answers given per node id and prints the
transcript and the outcome as JSON.

practice: rehearses a script the same way against a simulated customer (the script's
example_case, never a real case) and prints the transcript and the completion record;
with --record the completion goes into this laptop's outbox, sent with the next sync. An answer is a value (an option id, an amount, a
date, yes/no), a list of values used one per visit of the node, or an object
{"answer": value, "note": "..."}; {"stop": "distress" | "asked_to_leave" | "not_customer"}
takes a stop at that node. Read-out (say) nodes need no answer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, Callable

from fieldapp.core.errors import BadInput
from fieldapp.core.i18n import Translator
from fieldapp.core.timeutil import parse_aware

DESCRIPTION = "validate or run a conversation script"
MAX_STEPS = 10_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="{validate,run,practice}")
    check = sub.add_parser("validate", help="prove scripts safe; list every problem with file:line and node")
    check.add_argument("files", nargs="+", metavar="FILE", help="a script .yaml file or a shipped script id")
    check.add_argument("--lang", default="en", help="language of the messages (en, zh_CN)")
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    play = sub.add_parser("run", help="play a script with given answers; print transcript and outcome")
    play.add_argument("file", metavar="FILE", help="a script .yaml file or a shipped script id")
    play.add_argument("--answers", required=True, metavar="ANSWERS.json", help="answers keyed by node id")
    play.add_argument("--case", metavar="CASE.json", help="case data (default: the script's example_case)")
    play.add_argument("--lang", default="en", help="language of the conversation (en, zh_CN)")
    play.add_argument("--now", metavar="ISO", help="fixed clock, e.g. 2026-03-02T09:30:00+08:00")
    rehearse = sub.add_parser("practice", help="rehearse a script against a simulated customer; nothing "
                                                "reaches a case")
    rehearse.add_argument("file", metavar="FILE", help="a script .yaml file or a shipped script id")
    rehearse.add_argument("--answers", required=True, metavar="ANSWERS.json", help="answers keyed by node id")
    rehearse.add_argument("--lang", default="en", help="language of the conversation (en, zh_CN)")
    rehearse.add_argument("--now", metavar="ISO", help="fixed clock, e.g. 2026-03-02T09:30:00+08:00")
    rehearse.add_argument("--agent-name", help="the name the simulated conversation uses for you")
    rehearse.add_argument("--record", action="store_true",
                          help="put the completion in this laptop's outbox (sent with the next sync)")
    rehearse.add_argument("--store", help="client store file for --record (default: the user data folder)")


def run(args: argparse.Namespace) -> int:
    if args.action == "practice":
        return _practice(args)
    return _validate(args) if args.action == "validate" else _run(args)


def _validate(args: argparse.Namespace) -> int:
    from fieldapp.script import load_script, validate

    tr = Translator.for_language(args.lang)
    worst, report = 0, []
    for name in args.files:
        try:
            script = load_script(name)
        except BadInput as exc:
            worst = 2
            report.append({"file": name, "readable": False, "valid": False, "error": str(exc), "issues": []})
            if not args.json:
                print(f"fieldapp script: {exc}", file=sys.stderr)
            continue
        issues = validate(script)
        worst = max(worst, 1 if issues else 0)
        report.append({"file": script.source, "readable": True, "valid": not issues,
                       "nodes": len(script.nodes), "issues": [i.to_dict(tr) for i in issues]})
        if not args.json:
            for issue in issues:
                print(issue.render(tr))
            if issues:
                print(tr("{file}: {count} problem(s)", file=script.source, count=len(issues)))
            else:
                print(tr("{file}: valid ({count} nodes)", file=script.source, count=len(script.nodes)))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return worst


def _read_json(path: str, what: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BadInput(f"cannot read the {what} file: {exc.strerror or exc}", where=path) from None
    except UnicodeDecodeError:
        raise BadInput(f"the {what} file is not UTF-8 text", where=path) from None
    try:
        return json.loads(text, parse_float=str)
    except json.JSONDecodeError as exc:
        raise BadInput(f"bad JSON: {exc.msg}", where=f"{path}:{exc.lineno}") from None


def _valid_script_and_answers(args: argparse.Namespace, doing: str):  # type: ignore[no-untyped-def]
    """The script of `args.file` and the answers of `args.answers`, or None (after printing
    the script's problems on stderr) when the script is not valid."""
    from fieldapp.script import load_script, validate

    script = load_script(args.file)
    issues = validate(script)
    if issues:
        for issue in issues:
            print(issue.render(), file=sys.stderr)
        print(f"fieldapp script: {script.source} is not valid ({len(issues)} problem(s)); not {doing}",
              file=sys.stderr)
        return None
    answers = _read_json(args.answers, "answers")
    if not isinstance(answers, dict):
        raise BadInput("answers must be a JSON object keyed by node id", where=args.answers)
    unknown = sorted(set(answers) - set(script.nodes))
    if unknown:
        raise BadInput(f"no such node(s) in the script: {', '.join(unknown)}", where=args.answers)
    return script, answers


def _run(args: argparse.Namespace) -> int:
    from fieldapp.script import CaseFacts, Runtime

    found = _valid_script_and_answers(args, "run")
    if found is None:
        return 1
    script, answers = found
    if args.case:
        case = CaseFacts.parse(_read_json(args.case, "case"), where=args.case)
    elif script.example_case is not None:
        case = CaseFacts.parse(script.example_case, where=f"{script.source}: example_case")
    else:
        case = CaseFacts()
    clock = _clock(args.now)
    rt = Runtime(script, case, args.lang, clock=clock)
    _play(rt, answers, args.answers)
    out = {"script": {"id": script.id, "version": script.version, "sha256": script.sha256},
           "lang": rt.lang, **rt.record(), "facts": {k: _plain(v) for k, v in rt.facts.items()},
           "notes": rt.notes, "note_warning_details": [
               {**w.to_dict(), "message": w.message(rt.tr)} for w in rt.note_warnings]}
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def _clock(now: str | None) -> Callable[[], dt.datetime]:
    if now:
        fixed = parse_aware(now, field="--now")
        return lambda: fixed
    from fieldapp.core import clock

    return clock.now


def _practice(args: argparse.Namespace) -> int:
    import uuid

    from fieldapp.script.practice import completion, start_practice

    found = _valid_script_and_answers(args, "practised")
    if found is None:
        return 1
    script, answers = found
    clock = _clock(args.now)
    rt = start_practice(script, args.lang, agent_name=args.agent_name, clock=clock)
    _play(rt, answers, args.answers)
    done = completion(rt, practice_id=str(uuid.uuid4()), clock=clock)
    out: dict[str, Any] = {"practice": done, "simulated_case": rt.case.to_dict(), "transcript": rt.transcript,
                           "note_warnings": [w.to_record() for w in rt.note_warnings], "recorded": None}
    if args.record:
        out["recorded"] = _record_practice(done, args.store)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def _record_practice(done: dict[str, Any], store: str | None) -> str:
    import os

    from fieldapp.protocol.v1 import PracticeRecord
    from fieldapp.store.crypto import PassphraseRequired, StoreLocked
    from fieldapp.sync.service import AgentService

    try:
        service = AgentService(store_path=store, passphrase=os.environ.get("FIELDAPP_STORE_PASSPHRASE"))
    except (PassphraseRequired, StoreLocked) as exc:
        raise BadInput(f"cannot open the store: {exc} (set FIELDAPP_STORE_PASSPHRASE)", field="--store") from None
    try:
        return service.record_practice(PracticeRecord.model_validate(done))
    finally:
        service.close()


def _play(rt: Any, answers: dict[str, Any], where: str) -> None:
    used: dict[str, int] = {}
    for _ in range(MAX_STEPS):
        if rt.finished:
            return
        node = rt.node
        given = answers.get(node.id)
        if isinstance(given, list):
            index = used.get(node.id, 0)
            if index >= len(given):
                raise BadInput(f"node '{node.id}' is reached {index + 1} times but has {len(given)} answer(s)",
                               where=where)
            used[node.id] = index + 1
            given = given[index]
        if given is None and node.type != "say":
            raise BadInput(f"no answer for node '{node.id}' (script line {node.line})", where=where)
        if isinstance(given, dict) and not isinstance(given.get("note", ""), (str, type(None))):
            raise BadInput(f"the note for node '{node.id}' must be text", where=where)
        try:
            if isinstance(given, dict) and "stop" in given:
                rt.stop(given["stop"], note=given.get("note"))
            elif isinstance(given, dict):
                rt.answer(given.get("answer"), note=given.get("note"))
            else:
                rt.answer(given)
        except BadInput as exc:
            raise BadInput(f"answer for node '{node.id}': {exc.reason}", where=where) from None
    raise BadInput(f"the answers go round a loop: more than {MAX_STEPS} steps", where=where)


def _plain(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
