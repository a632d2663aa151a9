"""GET /api/v1/meta: which API versions this server speaks (no sign-in, no version check)."""

from __future__ import annotations

from fastapi import APIRouter

from fieldapp import __version__
from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import MetaResponse
from fieldapp.server.deps import SUPPORTED_VERSIONS

router = APIRouter(prefix="/api/v1", tags=["meta"])


@router.get("/meta", response_model=MetaResponse)
def meta() -> MetaResponse:
    return MetaResponse(api_versions=list(SUPPORTED_VERSIONS), server_version=__version__,
                        server_time=utcnow())
