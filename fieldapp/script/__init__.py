"""Conversation scripts: YAML data written by compliance staff, proved safe, then run.

    script = load_script("home_visit_cn")          # a shipped id, or a path to a .yaml file
    problems = validate(script)                     # [] when safe to use
    rt = Runtime(script, {"amount_due": "12000.00", "currency": "CNY", ...}, "zh_CN")
    rt.current.text; rt.answer("confirmed"); rt.back(); rt.stop("distress")
    saved = rt.to_json(); rt = Runtime.from_json(saved)
    check_notes("...")                              # wording against the conduct rules (fieldapp.conduct)

The format is documented in resources/scripts/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fieldapp.core.errors import BadInput, NotFound
from fieldapp.script.case import CaseFacts
from fieldapp.script.model import STOP_KINDS, Issue, Script
from fieldapp.script.notes import PHRASES_FILE, NoteWarning, PhraseList, check_notes
from fieldapp.script.parse import parse_script
from fieldapp.script.runtime import InputView, OptionView, Runtime, View
from fieldapp.script.validate import validate

__all__ = ["load_script", "load_script_text", "validate", "list_shipped", "Runtime", "View", "OptionView",
           "InputView", "Script", "Issue", "CaseFacts", "check_notes", "NoteWarning", "PhraseList",
           "ShippedScript", "STOP_KINDS"]


def _scripts_dir() -> Path:
    from fieldapp.core.resources import resources_root

    return resources_root() / "scripts"


def load_script_text(text: str, *, source: str = "<script>") -> Script:
    """A script from YAML text (bad YAML raises BadInput naming `source:line`)."""
    return parse_script(text, source=source)


def load_script(path_or_id: str | Path) -> Script:
    """A script from a file path or a shipped script id ("home_visit_cn").

    Raises BadInput naming the file (and line) when it cannot be read at all; problems
    inside a readable script are reported by `validate`.
    """
    text_form = str(path_or_id)
    path = Path(path_or_id)
    looks_like_path = (path.suffix in (".yaml", ".yml") or "/" in text_form or "\\" in text_form
                       or path.is_file())
    if not looks_like_path:
        try:
            path = _scripts_dir() / f"{text_form}.yaml"
        except NotFound as exc:
            raise BadInput(str(exc), where=text_form) from None
        if not path.is_file():
            known = ", ".join(s.id for s in list_shipped()) or "none"
            raise BadInput(f"no shipped script with this id (shipped: {known})", where=text_form)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read the script: {exc.strerror or exc}", where=str(path)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise BadInput("the file is not UTF-8 text", where=f"{path}:{line}") from None
    return parse_script(text, source=str(path))


@dataclass(frozen=True)
class ShippedScript:
    id: str
    path: Path
    title: dict[str, str]


def list_shipped() -> list[ShippedScript]:
    """The scripts in resources/scripts/ (every *.yaml except the phrase list), by id."""
    try:
        folder = _scripts_dir()
    except NotFound:
        return []
    out = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name == PHRASES_FILE:
            continue
        try:
            script = load_script(path)
            out.append(ShippedScript(script.id or path.stem, path, dict(script.title)))
        except BadInput:
            out.append(ShippedScript(path.stem, path, {}))
    return out
