"""Error types shared by every layer.

`BadInput` is what the command line turns into exit code 2 with a one-line reason; its
message always names where the problem is (file, line, field) so a person can fix it.
"""

from __future__ import annotations


class FieldappError(Exception):
    """Base of every error the application raises on purpose."""


class BadInput(FieldappError):
    """Input that cannot be used: malformed file, wrong type, unknown value.

    `where` names the file (and line or field) the problem is in; `field` the offending
    field; the message is a sentence a person can act on.
    """

    def __init__(self, message: str, *, where: str | None = None, field: str | None = None):
        self.where = where
        self.field = field
        self.reason = message
        parts = [p for p in (where, field) if p]
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class NotFound(FieldappError):
    """A referenced thing (case, policy, script, user) does not exist."""


class Conflict(FieldappError):
    """The operation collides with what already exists (same id, other content)."""
