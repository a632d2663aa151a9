"""Small shared enumerations (wire values are the lower-case strings)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Channel(StrEnum):
    SMS = "sms"
    PHONE = "phone"
    LETTER = "letter"
    EMAIL = "email"
    APP = "app"           # in-app or push message
    IN_PERSON = "in_person"


class CustomerFlag(StrEnum):
    DO_NOT_VISIT = "do_not_visit"
    DISPUTED = "disputed"
    ATTORNEY = "attorney"
    CEASE_CONTACT = "cease_contact"
    DECEASED = "deceased"
    VULNERABLE = "vulnerable"
    BANKRUPTCY = "bankruptcy"
    NO_HOME_VISITS = "no_home_visits"
    GRIEVANCE_PENDING = "grievance_pending"


class ReviewState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    RETURNED = "returned"
    ESCALATED = "escalated"
