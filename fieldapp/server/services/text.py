"""Free text the server keeps (visit notes, the lead's comments): personal numbers masked
before it is stored, whatever the laptop did, and the conduct findings named for the audit.

The audit keeps only kinds and categories (e.g. `cn_mobile`, `third_party`), never the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fieldapp.conduct import check_text, mask_personal_data


@dataclass
class Cleaned:
    text: str
    masked: list[str] = field(default_factory=list)    # kinds of personal numbers masked
    conduct: list[str] = field(default_factory=list)   # categories of conduct findings


def clean_text(text: str, *, check: bool = True) -> Cleaned:
    masked = mask_personal_data(text or "")
    found = sorted({f.category for f in check_text(masked.text)}) if check and masked.text.strip() else []
    return Cleaned(masked.text, masked.kinds(), found)


def clean_visit_record(record: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The visit record with personal numbers masked in its free texts (the notes, the notes
    taken during the conversation, the reason no location was recorded)."""
    kinds: set[str] = set()

    def mask(value: Any) -> Any:
        if not isinstance(value, str) or not value:
            return value
        result = mask_personal_data(value)
        kinds.update(result.kinds())
        return result.text

    out = dict(record)
    out["notes"] = mask(out.get("notes"))
    out["location_exception"] = mask(out.get("location_exception"))
    transcript = []
    for entry in out.get("transcript") or []:
        if isinstance(entry, dict) and isinstance(entry.get("note"), str):
            entry = {**entry, "note": mask(entry["note"])}
        transcript.append(entry)
    out["transcript"] = transcript
    return out, sorted(kinds)
