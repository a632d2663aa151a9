"""GET /api/v1/visits/{visit_id}/documents/{kind}: a visit's document as the server sealed it.

The laptop fetches the sealed copy of the agreement and of the visit report after a sync
(the customer's copy, printed or saved from the app, is then the one with the server's
receipt). Only the visit's agent, the lead of that agent's team and administrators may.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response

from fieldapp.core.timeutil import iso, utcnow
from fieldapp.server.deps import PrincipalDep, SessionDep
from fieldapp.server.openapi import SIGNED_IN, errors
from fieldapp.server.services import receipts

router = APIRouter(prefix="/api/v1/visits", tags=["documents"])
Kind = Annotated[Literal["agreement", "visit_report"], Path(description="which document of the visit")]


@router.get("/{visit_id}/documents/{kind}", response_class=Response,
            responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                             "description": "The sealed PDF (its SHA-256 in the ETag)"},
                       **errors(*SIGNED_IN, 403, 404)})
def sealed_document(visit_id: Annotated[str, Path(min_length=1, max_length=64)], kind: Kind,
                    session: SessionDep, principal: PrincipalDep) -> Response:
    data, doc = receipts.sealed_copy(session, principal.user, visit_id, kind)
    return Response(content=data, media_type="application/pdf",
                    headers={"ETag": f'"{doc.sealed_sha256}"', "X-Server-Time": iso(utcnow()),
                             "X-Received-At": iso(doc.received_at), "Cache-Control": "private, no-store"})
