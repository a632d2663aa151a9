"""PUT/GET /api/v1/attachments/{sha256}: raw bytes, content-addressed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from fieldapp.core.timeutil import iso, utcnow
from fieldapp.protocol.v1 import SHA256_PATTERN, AttachmentResponse
from fieldapp.server.deps import PrincipalDep, SessionDep
from fieldapp.server.openapi import SIGNED_IN, WITH_BODY, errors
from fieldapp.server.services import attachments as service

router = APIRouter(prefix="/api/v1/attachments", tags=["attachments"])
Sha = Annotated[str, Path(pattern=SHA256_PATTERN, description="lower-case hex SHA-256 of the bytes")]


async def raw_body(request: Request) -> bytes:
    return await request.body()  # size is capped by the BodyLimit middleware


@router.put("/{sha256}", response_model=AttachmentResponse, responses=errors(*SIGNED_IN, *WITH_BODY),
            openapi_extra={"requestBody": {"required": True, "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
def put_attachment(sha256: Sha, data: Annotated[bytes, Depends(raw_body)], session: SessionDep,
                   principal: PrincipalDep) -> AttachmentResponse:
    size, created = service.put(session, principal.user, sha256, data, principal.token.device_pk)
    return AttachmentResponse(sha256=sha256, size=size, created=created, server_time=utcnow())


@router.get("/{sha256}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {"schema": {"type": "string",
                                                                               "format": "binary"}}},
                             "description": "The attachment's bytes"},
                       **errors(*SIGNED_IN, 404)})
def get_attachment(sha256: Sha, session: SessionDep, principal: PrincipalDep) -> Response:
    data = service.get(session, principal.user, sha256)
    return Response(content=data, media_type="application/octet-stream",
                    headers={"ETag": f'"{sha256}"', "X-Server-Time": iso(utcnow()),
                             "Cache-Control": "private, max-age=31536000, immutable"})
