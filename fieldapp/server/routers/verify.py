"""GET /verify/{sha256}: is this document authentic? A page for whoever holds a copy.

The agreement's QR code links here with the SHA-256 of its terms; the SHA-256 of the PDF
file (as signed, or as sealed by the server) works as well. The answer is one of
authentic / unknown / revoked with the server's receipt time, and nothing personal: no
name, no amount, no case. HTML for people (Chinese and English), JSON with `?format=json`
or `Accept: application/json`. No sign-in; the hash is the only input.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from fieldapp.core.i18n import Translator
from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.signing import DocumentStatus
from fieldapp.server.deps import SessionDep
from fieldapp.server.openapi import errors
from fieldapp.server.services import receipts

router = APIRouter(tags=["verify"])
Sha = Annotated[str, Path(pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of the terms or of the PDF")]

MESSAGES = {
    "authentic": "This document was signed on the agent's device and received by the server on {when} (UTC). "
                 "A copy that verifies with `fieldapp agreement verify` is the same document.",
    "unknown": "No signed document with this fingerprint was received by the server. The document may be "
               "forged or altered, or it has not reached the server yet.",
    "revoked": "A document with this fingerprint was received on {when} (UTC), but the device that signed it "
               "had been reported lost or compromised before that. Do not rely on it; contact the institution.",
}
TITLES = {"authentic": "Authentic document", "unknown": "Unknown document", "revoked": "Revoked: do not rely on it"}
COLOURS = {"authentic": "#1b5e20", "unknown": "#8a5a00", "revoked": "#b71c1c"}


def _status(session: SessionDep, sha256: str) -> DocumentStatus:
    state, doc = receipts.lookup(session, sha256.lower())
    when = doc.received_at if doc is not None else None
    text = MESSAGES[state].format(when=f"{when:%Y-%m-%d %H:%M}" if when else "")
    return DocumentStatus(sha256=sha256.lower(), status=state, kind=doc.kind if doc else None,  # type: ignore[arg-type]
                          received_at=when, message=text, server_time=utcnow())


@router.get("/verify/{sha256}", response_class=Response,
            responses={200: {"content": {"text/html": {}, "application/json": {"schema": DocumentStatus.model_json_schema()}}},
                       **errors(422)})
def verify_page(sha256: Sha, request: Request, session: SessionDep,
                format: Annotated[str | None, Query(pattern="^(json|html)$")] = None) -> Response:  # noqa: A002
    status = _status(session, sha256)
    wants_json = format == "json" or (format is None and "application/json" in request.headers.get("accept", "")
                                      and "text/html" not in request.headers.get("accept", ""))
    headers = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
    if wants_json:
        return Response(status.model_dump_json(), media_type="application/json", headers=headers)
    return Response(render(status), media_type="text/html; charset=utf-8", headers=headers)


def render(status: DocumentStatus) -> str:
    """The whole page, self-contained (no scripts, no external files)."""
    when = f"{status.received_at:%Y-%m-%d %H:%M}" if status.received_at else ""
    parts = []
    for lang in ("zh_CN", "en"):
        tr = Translator.for_language(lang)
        parts.append(f'<section lang="{"zh-CN" if lang == "zh_CN" else "en"}">'
                     f'<h1>{escape(tr(TITLES[status.status]))}</h1>'
                     f'<p>{escape(tr(MESSAGES[status.status], when=when))}</p></section>')
    colour = COLOURS[status.status]
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{escape(status.status)}</title>
<style>
body {{ font-family: system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; margin: 0;
       background: #f4f6f8; color: #1f2933; line-height: 1.6; }}
main {{ max-width: 40rem; margin: 2rem auto; background: #fff; padding: 1.5rem 2rem;
       border-top: 10px solid {colour}; }}
h1 {{ color: {colour}; font-size: 1.6rem; margin: .2rem 0 .5rem; }}
section + section {{ border-top: 1px solid #d5dbe1; margin-top: 1rem; padding-top: .5rem; }}
code {{ word-break: break-all; font-size: .85rem; color: #5f6b7a; }}
</style></head>
<body><main data-status="{escape(status.status)}">
{"".join(parts)}
<p><code>SHA-256 {escape(status.sha256)}</code></p>
</main></body></html>
"""
