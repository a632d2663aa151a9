"""An agent's notes: checked by the conduct rules, personal numbers masked, before they are kept.

The rules are the one conduct checker's (`fieldapp.conduct`, resources/conduct/rules.yaml):
threats, exposure, contact of third parties, false legal threats, insults, the debt told to
others, in Chinese and English, however the words are written. A hit is a warning, not a
block: the agent sees it before saving; if the agent saves anyway, the visit record keeps it
(`note_warnings`) for the team lead.

Personal numbers typed into a note (an ID number, a mobile number, a bank card...) are
masked before the note is stored (`prepare_note`), and the agent is told which.
"""

from __future__ import annotations

from typing import Any

from fieldapp.conduct import Finding, Masked, PersonalNumber, Rules, check_text, load_rules, mask_personal_data

NoteWarning = Finding
"""One conduct finding in a note (category, rule, place, the words, the category's label)."""

PhraseList = Rules
"""The rules notes are checked against (the name is kept for callers that pass them in)."""

PHRASES_FILE = "abusive_phrases.yaml"  # the former phrase list: skipped if an old install has it


def check_notes(text: str, phrases: Rules | None = None) -> list[Finding]:
    """The wording in `text` that breaks the conduct rules (empty when none)."""
    return check_text(text, rules=phrases or load_rules())


def prepare_note(text: str) -> Masked:
    """The note as it is stored (personal numbers masked) and the numbers that were masked."""
    return mask_personal_data((text or "").strip())


def personal_numbers(text: str) -> list[PersonalNumber]:
    return list(mask_personal_data(text or "").found)


def warning_from_dict(data: dict[str, Any]) -> Finding:
    """A warning read back from a saved conversation (also the former phrase-list form)."""
    matched = data.get("matched") or data.get("phrase") or ""
    category = {"false_legal_threat": "false_legal", "abuse": "insult"}.get(data["category"], data["category"])
    return Finding(category, data.get("rule") or "notes", int(data["start"]), int(data["end"]), matched,
                   data.get("label", ""))
