"""Bad input gets exactly one line: every subcommand of `fieldapp`, fed garbage (missing,
empty and binary files, a truncated PDF, malformed JSON/YAML/CSV/TOML, bad options, bad
URLs and databases), exits 2 with one non-empty line on stderr and no traceback.

Most cases run in-process (fast); a few run `python -m fieldapp` in a subprocess, so the
real logging set-up is what keeps libraries (pypdf, SQLAlchemy, uvicorn) off the terminal.
A test checks that every command and every action of `fieldapp` has a case here.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import logging
import os
import re
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from fieldapp.cli import COMMANDS, _Parser, main
from fieldapp.core.resources import resource_path

GUI = "(gui)"  # `fieldapp` without a command


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """Garbage, by name; also a good agreement PDF and an initialised server database."""
    d = tmp_path_factory.mktemp("garbage")
    junk = bytes(range(256)) * 16 + b"\x00\xff\xfe"
    made = {
        "empty": b"",
        "junk": junk,
        "bad.json": b'{"a": [1, 2,, }',
        "list.json": b"[1, 2, 3]",
        "obj.json": b'{"foo": 1}',
        "bad.yaml": b"a: [1, 2\n  b: : :\n\t- x",
        "str.yaml": b"just a string\n",
        "bad.toml": b"[policy\nid = = 3\n",
        "thin.toml": b'[policy]\nid = "x"\n',
        "bad.csv": b'external_id,foo\n"unterminated,1\n\xff\xfe,2\n',
        "header.csv": b"a,b,c\n1,2,3\n",
        "weird.pdf": b"%PDF-1.7\n" + junk,
    }
    for name, data in made.items():
        (d / name).write_bytes(data)
    # invalid rows under a valid header: the rows are the report (stdout), one line on stderr
    sample = resource_path("demo", "cases-sample.csv").read_text(encoding="utf-8").splitlines()
    (d / "rows.csv").write_text("\n".join([sample[0], sample[1].replace("15800.00", "abc")]) + "\n",
                                encoding="utf-8")
    (d / "folder").mkdir()
    good = d / "good.pdf"
    assert main(["agreement", "render", str(resource_path("demo", "terms_example.json")), "-o", str(good)]) == 0
    pdf = good.read_bytes()
    (d / "truncated.pdf").write_bytes(pdf[: len(pdf) // 2])
    (d / "head.pdf").write_bytes(pdf[:2000])
    db = d / "server.sqlite3"
    assert main(["server", "init", "--db", f"sqlite:///{db}"]) == 0
    paths = {name: str(d / name) for name in [*made, "rows.csv", "folder", "good.pdf", "truncated.pdf", "head.pdf"]}
    paths.update(missing=str(d / "missing.json"), db=f"sqlite:///{db}", dir=str(d),
                 terms=str(resource_path("demo", "terms_example.json")),
                 context=str(resource_path("policies", "examples", "visit_allowed.json")))
    return paths


def _busy_port() -> socket.socket:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


# (argv with {placeholders} from `files`, extra environment). {busy} is a port in use,
# {dead} an address where nothing listens.
CASES: list[tuple[list[str], dict[str, str]]] = [
    # the desktop app and the top level
    (["nonsense"], {}), (["--bogus"], {}), (["--lang", "xx"], {}), (["--quit-after", "-1"], {}),
    # demo, tour
    (["demo", "--user", "nobody"], {}), (["demo", "--quit-after", "0"], {}), (["demo", "--lang", "xx"], {}),
    (["tour"], {}), (["tour", "--out", "{junk}"], {}), (["tour", "--out", "{junk}/sub"], {}),
    (["tour", "--out", "{dir}", "--lang", "xx"], {}),
    # check
    (["check", "--policy", "cn", "{missing}"], {}), (["check", "--policy", "cn", "{empty}"], {}),
    (["check", "--policy", "cn", "{junk}"], {}), (["check", "--policy", "cn", "{bad.json}"], {}),
    (["check", "--policy", "cn", "{list.json}"], {}), (["check", "--policy", "cn", "{obj.json}"], {}),
    (["check", "--policy", "cn", "{folder}"], {}), (["check", "--policy", "nope", "{context}"], {}),
    (["check", "--policy", "{bad.toml}", "{context}"], {}), (["check", "--policy", "{thin.toml}", "{context}"], {}),
    (["check", "--policy", "{junk}", "{context}"], {}), (["check", "--policy", "{empty}", "{context}"], {}),
    (["check", "--policy", "{missing}", "{context}"], {}), (["check", "--policy", "cn", "--lang", "xx", "{context}"], {}),
    (["check", "{context}"], {}), (["check", "--policy", "us-fdcpa", "{context}"], {}),
    # script
    (["script"], {}), (["script", "bogus"], {}),
    (["script", "validate", "{missing}"], {}), (["script", "validate", "{empty}"], {}),
    (["script", "validate", "{junk}"], {}), (["script", "validate", "{bad.yaml}"], {}),
    (["script", "validate", "{str.yaml}"], {}), (["script", "validate", "{folder}"], {}),
    (["script", "validate", "no_such_script"], {}), (["script", "validate", "--lang", "xx", "home_visit_cn"], {}),
    (["script", "run", "home_visit_cn", "--answers", "{missing}"], {}),
    (["script", "run", "home_visit_cn", "--answers", "{empty}"], {}),
    (["script", "run", "home_visit_cn", "--answers", "{junk}"], {}),
    (["script", "run", "home_visit_cn", "--answers", "{bad.json}"], {}),
    (["script", "run", "home_visit_cn", "--answers", "{list.json}"], {}),
    (["script", "run", "home_visit_cn", "--answers", "{obj.json}"], {}),
    (["script", "run", "{junk}", "--answers", "{obj.json}"], {}),
    (["script", "run", "home_visit_cn", "--answers", "{obj.json}", "--now", "yesterday"], {}),
    (["script", "run", "home_visit_cn", "--answers", "{obj.json}", "--case", "{junk}"], {}),
    (["script", "run", "home_visit_cn"], {}),
    (["script", "practice", "home_visit_cn"], {}), (["script", "practice", "{junk}", "--answers", "{obj.json}"], {}),
    (["script", "practice", "home_visit_cn", "--answers", "{missing}"], {}),
    (["script", "practice", "home_visit_cn", "--answers", "{bad.json}"], {}),
    (["script", "practice", "home_visit_cn", "--answers", "{list.json}"], {}),
    (["script", "practice", "home_visit_cn", "--answers", "{obj.json}", "--now", "yesterday"], {}),
    (["script", "practice", "home_visit_cn", "--answers", "{obj.json}", "--lang", "xx"], {}),
    (["script", "practice", "home_visit_cn", "--answers", "{obj.json}", "--record", "--store", "{junk}"], {}),
    # agreement
    (["agreement"], {}), (["agreement", "sign"], {}),
    (["agreement", "render", "{missing}", "-o", "{dir}/o.pdf"], {}),
    (["agreement", "render", "{empty}", "-o", "{dir}/o.pdf"], {}),
    (["agreement", "render", "{junk}", "-o", "{dir}/o.pdf"], {}),
    (["agreement", "render", "{bad.json}", "-o", "{dir}/o.pdf"], {}),
    (["agreement", "render", "{list.json}", "-o", "{dir}/o.pdf"], {}),
    (["agreement", "render", "{obj.json}", "-o", "{dir}/o.pdf"], {}),
    (["agreement", "render", "{terms}", "-o", "{junk}/o.pdf"], {}),
    (["agreement", "render", "{terms}", "-o", "{folder}"], {}),
    (["agreement", "render", "{terms}", "-o", "{dir}/o.pdf", "--limits", "{junk}"], {}),
    (["agreement", "render", "{terms}", "-o", "{dir}/o.pdf", "--limits", "{list.json}"], {}),
    (["agreement", "render", "{terms}", "-o", "{dir}/o.pdf", "--lang", "fr"], {}),
    (["agreement", "render", "{terms}"], {}),
    (["agreement", "verify", "{missing}"], {}), (["agreement", "verify", "{empty}"], {}),
    (["agreement", "verify", "{junk}"], {}), (["agreement", "verify", "{truncated.pdf}"], {}),
    (["agreement", "verify", "{head.pdf}"], {}), (["agreement", "verify", "{weird.pdf}"], {}),
    (["agreement", "verify", "{folder}"], {}), (["agreement", "verify", "{truncated.pdf}", "--json"], {}),
    # store
    (["store"], {}), (["store", "bogus"], {}),
    (["store", "rescue", "--store", "{missing}"], {}), (["store", "rescue", "--store", "{junk}"], {}),
    (["store", "rescue", "--store", "{empty}"], {}), (["store", "rescue", "--store", "{folder}"], {}),
    (["store", "rescue", "--store", "{junk}", "--out", "{junk}/new.sqlite3"], {}),
    # self-test
    (["self-test", "--keep", "{junk}"], {}), (["self-test", "--bogus"], {}),
    # sync
    (["sync", "--server", "not a url", "--user", "u"], {}), (["sync", "--server", "ftp://x", "--user", "u"], {}),
    (["sync", "--server", "http://[::1", "--user", "u"], {}), (["sync", "--user", "u"], {}),
    (["sync", "--server", "http://127.0.0.1:port", "--user", "u"], {}),
    (["sync", "--server", "{dead}", "--user", "u"], {"FIELDAPP_PASSWORD": "pw-for-nobody"}),
    (["sync", "--server", "{dead}", "--user", "u"], {}),
    (["sync", "--server", "{dead}", "--user", "u", "--page-size", "0"], {}),
    (["sync", "--server", "{dead}", "--user", "u", "--store", "{junk}"], {}),
    (["sync", "--server", "{dead}", "--user", "u", "--store", "{junk}/store.db"], {}),
    # server
    (["server"], {}), (["server", "fly"], {}),
    (["server", "init", "--db", "nonsense"], {}), (["server", "init", "--db", "mysql://x@localhost/y"], {}),
    (["server", "init", "--db", "sqlite:///{junk}"], {}), (["server", "init", "--db", "sqlite:///{junk}/sub/x.db"], {}),
    (["server", "init", "--db", "postgresql+psycopg://nobody@{dead_hostport}/x"], {}),
    (["server", "init", "--config", "{missing}"], {}), (["server", "init", "--config", "{bad.toml}"], {}),
    (["server", "init", "--config", "{junk}"], {}), (["server", "init", "--config", "{thin.toml}"], {}),
    (["server", "create-user", "bob", "--role", "agent", "--db", "{db}"], {}),
    (["server", "create-user", "bob", "--role", "agent", "--db", "{db}"], {"FIELDAPP_PASSWORD": "short"}),
    (["server", "create-user", "bob", "--role", "king", "--db", "{db}"], {}),
    (["server", "import-cases", "{missing}", "--db", "{db}"], {}),
    (["server", "import-cases", "{empty}", "--db", "{db}"], {}),
    (["server", "import-cases", "{junk}", "--db", "{db}"], {}),
    (["server", "import-cases", "{bad.csv}", "--db", "{db}"], {}),
    (["server", "import-cases", "{header.csv}", "--db", "{db}"], {}),
    (["server", "import-cases", "{rows.csv}", "--db", "{db}", "--geocoder", "none"], {}),
    (["server", "import-cases", "{rows.csv}", "--db", "{db}", "--geocoder-url", "gopher://x"], {}),
    (["server", "import-cases", "{rows.csv}", "--db", "{db}", "--rejected", "{folder}/no/such/r.csv"], {}),
    (["server", "seed-demo", "--db", "sqlite:///{junk}"], {}),
    (["server", "reassign", "NOPE", "nobody", "--db", "{db}"], {}),
    (["server", "close-case", "NOPE", "--db", "{db}"], {}),
    (["server", "revoke-device", "nobody", "laptop", "--db", "{db}"], {}),
    (["server", "revoke-device", "nobody", "laptop", "--since", "last week", "--db", "{db}"], {}),
    # the signing CA and the handwriting evidence (no CA passphrase set: the keys stay locked)
    (["server", "ca"], {}), (["server", "ca", "bogus"], {}),
    (["server", "ca", "init", "--db", "{db}"], {}), (["server", "ca", "init", "--db", "{junk}"], {}),
    (["server", "ca", "export-crl", "-o", "{dir}/crl.pem", "--db", "{db}"], {}),
    (["server", "ca", "issue", "bob", "-o", "{junk}/sub", "--db", "{db}"], {}),
    (["server", "ca", "revoke", "no-such-serial", "--db", "{db}"], {}),
    (["server", "ca", "init", "--db", "{db}"], {"FIELDAPP_SERVER_CA_PASSPHRASE_FILE": "{missing}"}),
    (["server", "evidence"], {}),
    (["server", "evidence", "show", "{missing}", "-o", "{dir}/e.png", "--db", "{db}"], {}),
    (["server", "evidence", "show", "{junk}", "-o", "{dir}/e.png", "--db", "{db}"], {}),
    (["server", "institution", "--name", "bogus", "--db", "{db}"], {}),
    (["server", "institution", "--registration", "91320000", "--db", "{db}"], {}),
    (["server", "institution", "--name", "en=Bank", "--tile-url", "ftp://tiles/z/x/y.png", "--db", "{db}"], {}),
    (["server", "propose-appointment", "NOPE", "--start", "x", "--end", "y", "--db", "{db}"], {}),
    (["server", "slots", "NOPE", "--db", "{db}"], {}),
    (["server", "send-notices", "--once", "--db", "sqlite:///{junk}"], {}),
    (["server", "validate-template", "{missing}", "--db", "{db}"], {}),
    (["server", "validate-template", "{junk}", "--db", "{db}"], {}),
    (["server", "run", "--db", "{db}", "--port", "99999"], {}),
    (["server", "run", "--db", "{db}", "--port", "abc"], {}),
    (["server", "run", "--db", "{db}", "--workers", "0"], {}),
    (["server", "run", "--db", "{db}", "--port", "{busy}"], {}),
    (["server", "run", "--db", "sqlite:///{junk}", "--port", "0"], {}),
]

# A few through a real interpreter, so the real logging set-up is under test.
IN_SUBPROCESS = {
    ("agreement", "verify", "{truncated.pdf}"),   # pypdf logs "EOF marker not found"
    ("server", "init", "--db", "sqlite:///{junk}"),   # SQLAlchemy: file is not a database
    ("server", "run", "--db", "{db}", "--port", "{busy}"),   # uvicorn would log around its error
    ("sync", "--server", "{dead}", "--user", "u", "--store", "{junk}"),
    ("check", "--policy", "cn", "{junk}"),
}


def _case_id(case: tuple[list[str], dict[str, str]]) -> str:
    argv, env = case
    text = " ".join(a.replace("{", "").replace("}", "") for a in argv) or "-"
    return text + (" +" + ",".join(env) if env else "")


def _argv(template: list[str], files: dict[str, str], busy: int, dead: str) -> list[str]:
    values = {**files, "busy": str(busy), "dead": dead, "dead_hostport": dead.split("//", 1)[1]}
    return [re.sub(r"\{([\w.]+)\}", lambda m: values[m.group(1)], part) for part in template]


@pytest.fixture()
def places():
    busy = _busy_port()
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    probe.close()
    yield busy.getsockname()[1], dead
    busy.close()


def _one_line(code: int, err: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    assert code == 2, f"exit {code}; stderr:\n{err}"
    assert len(lines) == 1, f"{len(lines)} lines on stderr:\n{err}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_bad_input_exits_2_with_one_line(case, files, places, capsys, monkeypatch, tmp_path):
    template, env = case
    busy, dead = places
    argv = _argv(template, files, busy, dead)
    for name in ("FIELDAPP_PASSWORD", "FIELDAPP_STORE_PASSPHRASE", "FIELDAPP_LOG_FILE", "FIELDAPP_SERVER_CA_PASSPHRASE",
                 "FIELDAPP_SERVER_CA_PASSPHRASE_FILE", "FIELDAPP_KEY_PASSPHRASE",
                 "FIELDAPP_SERVER_DATABASE_URL", "FIELDAPP_SERVER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    if tuple(template) in IN_SUBPROCESS:
        done = subprocess.run([sys.executable, "-m", "fieldapp", *argv], capture_output=True, text=True,
                              env={**os.environ, **env}, stdin=subprocess.DEVNULL, timeout=120, cwd=tmp_path)
        _one_line(done.returncode, done.stderr)
        return
    for name, value in env.items():
        monkeypatch.setenv(name, _argv([value], files, busy, dead)[0])
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: usage errors
        code = exc.code
    _one_line(code, capsys.readouterr().err)


def _actions(command: str) -> list[str]:
    module = importlib.import_module(COMMANDS[command][0])
    parser = _Parser(prog=command)
    module.add_arguments(parser)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return sorted(action.choices)
    return []


def test_every_command_and_action_has_a_case():
    covered = {tuple(argv[:2]) for argv, _ in CASES} | {(argv[0],) for argv, _ in CASES}
    missing = []
    for command in COMMANDS:
        actions = _actions(command)
        missing += [f"{command} {a}" for a in actions if (command, a) not in covered]
        if not actions and (command,) not in covered:
            missing.append(command)
    assert any(argv[0] not in COMMANDS for argv, _ in CASES), GUI
    assert missing == []


# --------------------------------------------------------------------- structured garbage
def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    yield path


def _replace(document, path, new):
    doc = copy.deepcopy(document)
    if not path:
        return new
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return doc


GARBAGE = (None, [], {"x": 1}, -1, "\x00", 1e308, True)


def _each_mutation(document):
    for path in _leaves(document):
        for value in GARBAGE:
            yield path, value, _replace(document, path, value)


def _negative_or_one_line(argv, capsys, what):
    code = main(argv)  # an exception escaping here is a traceback for the person
    err = capsys.readouterr().err
    assert code in (0, 1, 2), what
    if code == 2:
        assert len([line for line in err.splitlines() if line.strip()]) == 1, f"{what}:\n{err}"
    assert "Traceback" not in err, what


def test_a_visit_context_with_any_field_spoilt_is_one_line(tmp_path, capsys):
    """Every field of the example context, in turn, replaced by garbage of every type."""
    context = json.loads(resource_path("policies", "examples", "checkin_blocked.json").read_text(encoding="utf-8"))
    path = tmp_path / "context.json"
    count = 0
    for where, value, doc in _each_mutation(context):
        path.write_text(json.dumps(doc), encoding="utf-8")
        _negative_or_one_line(["check", "--policy", "seed", str(path)], capsys, f"{where} = {value!r}")
        count += 1
    assert count > 100


def test_agreement_terms_with_any_field_spoilt_are_one_line(tmp_path, capsys):
    """Every field of the example terms, in turn, replaced by garbage of every type; a
    spoilt document that still renders is fine, a traceback or a second line is not."""
    terms = json.loads(resource_path("demo", "terms_example.json").read_text(encoding="utf-8"))
    path, out = tmp_path / "terms.json", tmp_path / "out.pdf"
    count = 0
    for where, value, doc in _each_mutation(terms):
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        _negative_or_one_line(["agreement", "render", str(path), "-o", str(out), "--lang", "en"], capsys,
                              f"{where} = {value!r}")
        count += 1
    assert count > 100


def _script_shapes():
    """One mutation point per distinct place in the shipped scripts: a field of a node of
    each type (not of every node), list items as one; both scripts together."""
    import yaml

    seen: dict[tuple, tuple[str, dict, tuple]] = {}
    for name in ("home_visit_cn", "home_visit_us"):
        doc = yaml.safe_load(resource_path("scripts", f"{name}.yaml").read_text(encoding="utf-8"))
        for path in _leaves(doc):
            if len(path) >= 2 and path[0] == "nodes":
                head: tuple = ("nodes", doc["nodes"][path[1]].get("type"))
                rest = path[2:]
            else:
                head, rest = (), path
            shape = (*head, *("#" if isinstance(k, int) else k for k in rest))
            seen.setdefault(shape, (name, doc, path))
    return list(seen.values())


def test_a_script_with_any_field_spoilt_is_invalid_or_one_line(tmp_path, capsys):
    """validate reports a spoilt script (exit 1) or refuses it in one line (2), never a traceback."""
    import yaml

    path = tmp_path / "script.yaml"
    count = 0
    for _name, doc, where in _script_shapes():
        for value in (None, [], {"x": 1}, 1e308):
            path.write_text(yaml.safe_dump(_replace(doc, where, value), allow_unicode=True), encoding="utf-8")
            _negative_or_one_line(["script", "validate", str(path)], capsys, f"{where} = {value!r}")
            count += 1
    assert count > 200


def test_script_answers_with_any_value_spoilt_are_one_line(tmp_path, capsys):
    answers = {"at_door": "answered", "confirm_identity": "confirmed", "talk_now": "yes_talk",
               "listen": {"answer": "income_fell", "note": "Lost his job in May"},
               "offers": "pay_by_date", "promise_amount": "1500", "promise_date": "2026-03-16"}
    path = tmp_path / "answers.json"
    spoilt = [doc for _w, _v, doc in _each_mutation(answers)]
    spoilt += [{**answers, "listen": {"stop": value}} for value in GARBAGE]
    for doc in spoilt:
        path.write_text(json.dumps(doc), encoding="utf-8")
        _negative_or_one_line(["script", "run", "home_visit_cn", "--answers", str(path),
                               "--now", "2026-03-02T09:30:00+08:00"], capsys, json.dumps(doc))


# ------------------------------------------------------------------------------- logging
def _fieldapp(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "FIELDAPP_LOG_FILE"}
    return subprocess.run([sys.executable, "-m", "fieldapp", *argv], capture_output=True, text=True,
                          env={**clean, **(env or {})}, stdin=subprocess.DEVNULL, timeout=120)


def test_library_logs_go_to_the_log_file_and_verbose_shows_them(files, tmp_path):
    log = tmp_path / "fieldapp.log"
    done = _fieldapp("agreement", "verify", files["truncated.pdf"], env={"FIELDAPP_LOG_FILE": str(log)})
    _one_line(done.returncode, done.stderr)
    assert "pypdf" in log.read_text(encoding="utf-8")  # kept, just not on the terminal
    loud = _fieldapp("-v", "agreement", "verify", files["truncated.pdf"])
    assert loud.returncode == 2 and "pypdf" in loud.stderr  # asked for: shown
    bad = _fieldapp("check", "--policy", "cn", files["context"], env={"FIELDAPP_LOG_FILE": str(tmp_path / "no" / "x.log")})
    _one_line(bad.returncode, bad.stderr)
    assert "FIELDAPP_LOG_FILE" in bad.stderr


def test_the_apps_own_warnings_still_reach_the_terminal(capsys, monkeypatch):
    """Only libraries are kept off the terminal: fieldapp's own records at FIELDAPP_LOG's level
    are shown, and a library warning (warnings.warn) is not."""
    from fieldapp import logsetup

    monkeypatch.delenv("FIELDAPP_LOG_FILE", raising=False)
    with logsetup.command_logging():
        logging.getLogger("fieldapp.store").warning("own warning")
        logging.getLogger("pypdf._reader").warning("library warning")
        warnings.warn("a library's UserWarning", UserWarning, stacklevel=1)
    err = capsys.readouterr().err
    assert "own warning" in err
    assert "library" not in err


def test_main_leaves_logging_and_warnings_as_it_found_them(files, capsys):
    root = logging.getLogger()
    handlers, level, showwarning = list(root.handlers), root.level, warnings.showwarning
    assert main(["agreement", "verify", files["truncated.pdf"]]) == 2
    assert (list(root.handlers), root.level, warnings.showwarning) == (handlers, level, showwarning)
    _one_line(2, capsys.readouterr().err)
