"""What the OpenAPI description says each route can answer besides success: every error is
an `ErrorBody`, per status code, so the schema matches the real responses (a schemathesis
run in the test suite holds the server to it)."""

from __future__ import annotations

from typing import Any

from fieldapp.protocol.v1 import ErrorBody

DESCRIPTIONS = {
    400: "The body cannot be read (a bad Content-Length, not UTF-8)",
    401: "Not signed in, or the token expired, was revoked or belongs to a revoked device "
         "(error: token_missing, token_invalid, token_expired, device_revoked; at sign-in bad_credentials)",
    403: "Signed in, but this role or team may not do this (error: forbidden)",
    404: "No such object, or none this user may see (error: not_found)",
    409: "Conflicts with the server's state, e.g. a cursor ahead of the change log, an appointment no "
         "longer active, a server without a signing CA (error: conflict, no_authority)",
    413: "The body is larger than the server accepts (error: too_large)",
    422: "Invalid input; `detail` names the field (error: invalid or hash_mismatch; not_allowed: a slot "
         "the policy forbids, the reasons in `detail`)",
    426: "The X-Fieldapp-Api version is not one this server speaks (error: incompatible_version)",
    429: "Too many failed sign-ins: wait `retry_after` seconds (also the Retry-After header)",
    503: "The server cannot do this now: busy, retry after `retry_after` seconds (also the Retry-After "
         "header); or its signing CA cannot be opened (error: busy, no_authority)",
}

SIGNED_IN = (401, 422, 426, 503)   # every route behind a token: sign-in, version, parameters, busy
WITH_BODY = (400, 413, 422)   # every route that reads a JSON body


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route or router for these status codes."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in sorted(set(codes)):
        entry: dict[str, Any] = {"model": ErrorBody, "description": DESCRIPTIONS[code]}
        if code in (429, 503):
            entry["headers"] = {"Retry-After": {"description": "seconds to wait",
                                                "schema": {"type": "integer", "minimum": 1}}}
        out[code] = entry
    return out
