"""GET /healthz (the process answers) and GET /readyz (it can serve: database reachable,
schema current, registered checks pass). No sign-in, no personal data, never cached."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz", responses={200: {"description": "The process is alive"}})
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


@router.get("/readyz", responses={200: {"description": "Ready to serve"},
                                  503: {"description": "Not ready; `checks` says why"}})
async def readyz(request: Request) -> JSONResponse:
    report = await request.app.state.readiness.check()
    return JSONResponse({"status": "ready" if report.ready else "not_ready", "checks": report.checks},
                        status_code=200 if report.ready else 503, headers=NO_STORE)
