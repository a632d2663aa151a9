"""Words the lead screens show for codes (review states, decisions, exception kinds,
outcomes), and the colours that go with them (never the only signal: a word goes too)."""

from __future__ import annotations

from typing import Callable

from fieldapp.core.errors import BadInput
from fieldapp.core.outcomes import Outcome
from fieldapp.documents.visit_report import OUTCOME_LABELS
from fieldapp.ui.i18n import N_

STATES = {"pending": N_("To review"), "approved": N_("Approved"), "returned": N_("Returned to the agent"),
          "escalated": N_("Escalated")}
STATE_COLOURS = {"pending": "#5f6368", "approved": "#2e7d32", "returned": "#8a6100", "escalated": "#c62828"}
# How the customer took in the whole agreement before signing (AgreementRecord.read_before_signing).
READINGS = {"customer_read": N_("Before signing, the customer read the whole agreement."),
            "read_aloud": N_("Before signing, the agent read the whole agreement aloud to the customer.")}
DECISIONS = {"approve": N_("Approve"), "return": N_("Return to the agent"), "escalate": N_("Escalate")}
EXCEPTIONS = {"location_missing": N_("No location"), "outside_geofence": N_("Outside the geofence"),
              "warnings": N_("Policy warnings"), "abusive_phrases": N_("Abusive-phrase warning"),
              "after_handover": N_("Received after the case moved on")}
PENDING = {"waiting": N_("Your decision “{decision}” waits to be sent."),
           "sending": N_("Your decision “{decision}” is being sent."),
           "rejected": N_("Your decision “{decision}” was refused: {reason}")}


def outcome_label(code: str | None, tr: Callable[..., str]) -> str:
    try:
        return tr(OUTCOME_LABELS[Outcome(code)])
    except (ValueError, KeyError):
        return code or ""


def state_label(state: str, tr: Callable[..., str]) -> str:
    return tr(STATES[state]) if state in STATES else state


LIST_SEPARATOR = N_(", ")


def exception_labels(kinds: tuple[str, ...] | list[str], tr: Callable[..., str]) -> str:
    return tr(LIST_SEPARATOR).join(tr(EXCEPTIONS[k]) if k in EXCEPTIONS else k for k in kinds)


def metres_text(metres: float | None, tr: Callable[..., str]) -> str:
    """A distance with its unit in the reader's words ("812 m", "812 米", "1.2 公里")."""
    if metres is None:
        return "—"
    if metres < 1000:
        return tr("{metres} m", metres=f"{metres:.0f}")
    return tr("{km} km", km=f"{metres / 1000:.1f}")


def location_reason(stored: str | None, tr: Callable[..., str]) -> str:
    """Why no location was recorded, as stored by the visit (`<code>` or `<code>: <the
    agent's words>`, or free text), in words."""
    from fieldapp.ui.visit.flow_state import LOCATION_REASONS

    if not stored:
        return ""
    code, sep, words = stored.partition(":")
    if code.strip() not in LOCATION_REASONS:
        return stored
    reason = tr(LOCATION_REASONS[code.strip()])
    return tr("{reason}: {words}", reason=reason, words=words.strip()) if sep and words.strip() else reason


# Categories of the phrase list that came before the conduct rules, in visits recorded then.
LEGACY_CATEGORIES = {"abuse": "insult"}


def note_warning_texts(stored: list[str], tr: Callable[..., str]) -> list[str]:
    """The phrase check's hits the agent kept (`<category>: <phrase>`), the category in words."""
    from fieldapp.conduct.rules import load_rules

    try:
        labels = load_rules().labels
    except BadInput:
        labels = {}
    out = []
    for hit in stored:
        category, sep, phrase = hit.partition(":")
        category = LEGACY_CATEGORIES.get(category.strip(), category.strip())
        if sep and category in labels:
            out.append(tr("{kind}: “{phrase}”", kind=tr(labels[category]), phrase=phrase.strip()))
        else:
            out.append(hit)
    return out


def pending_text(decision: str | None, state: str | None, reason: str | None, tr: Callable[..., str]) -> str:
    if not decision or state not in PENDING:
        return ""
    return tr(PENDING[state], decision=tr(DECISIONS.get(decision, decision)), reason=reason or "")
