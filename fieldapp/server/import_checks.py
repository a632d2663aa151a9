"""Checks of imported values that are independent of how the import is carried out: one
function per rule, each returning None or the reason, so any importer (row by row today,
set-based later) applies the same rules with the same words.

- `text_problem`: control and invisible formatting characters are refused wherever they
  stand: a NUL ends strings in C and is refused by PostgreSQL, others hide or reorder
  text (U+202E shows a name backwards, U+200B makes two ids look the same). Line breaks
  and tabs are allowed only in the columns that may span lines (the address).
- `PolicyCheck`: a case must name a policy the server can load (a shipped preset or an
  institution's own file), or it could never be checked before a visit.
"""

from __future__ import annotations

import unicodedata

from fieldapp.server.compliance import Assessor

MULTILINE_COLUMNS = frozenset({"address"})
_JOINERS = frozenset({"\u200c", "\u200d"})  # zero-width (non-)joiners: needed by some scripts
_LINE = {"\n": "a line break", "\r": "a line break", "\t": "a tab"}


def text_problem(value: str, column: str) -> str | None:
    """Why `value` (as read from the file, before trimming) cannot be stored in `column`.
    Spaces, line breaks and tabs around a value are trimmed and do not count."""
    if value.isprintable():  # at C speed: no control, formatting or line-separator character
        return None
    start = len(value) - len(value.lstrip())
    end = len(value.rstrip())
    for index in range(start, end):
        char = value[index]
        if char in _LINE:
            if column in MULTILINE_COLUMNS:
                continue
            return (f"{_LINE[char]} at character {index + 1}; only "
                    f"{', '.join(sorted(MULTILINE_COLUMNS))} may span lines")
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp") or (category == "Cf" and char not in _JOINERS):
            kind = "control character" if category == "Cc" else "invisible formatting character"
            return f"{kind} U+{ord(char):04X} at character {index + 1} is not allowed"
    return None


class PolicyCheck:
    """Whether a policy id can be loaded; each id is tried once per import."""

    def __init__(self, assessor: Assessor | None = None) -> None:
        self._assessor = assessor or Assessor()
        self._seen: dict[str, str | None] = {}

    def problem(self, policy_id: str) -> str | None:
        if policy_id not in self._seen:
            self._seen[policy_id] = self._assessor.policy_problem(policy_id)
        return self._seen[policy_id]
