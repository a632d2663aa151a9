"""The customer's side of the server: the page reached by the link in a notice (server-rendered
Jinja2, no JavaScript needed; pages.py) and the SMS gateway's delivery receipts."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent / "static"
_TOKEN_IN_PATH = re.compile(r"(/c/)[A-Za-z0-9_-]{8,}")


class HideLinkTokens(logging.Filter):
    """The access log never shows a customer's link: /c/<token>/... is logged as /c/…/..."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_TOKEN_IN_PATH.sub(r"\1…", a) if isinstance(a, str) else a for a in record.args)
        return True


def install(app: FastAPI) -> None:
    from fieldapp.server.customer import pages
    from fieldapp.server.routers import webhooks

    app.include_router(webhooks.router)
    app.include_router(pages.router)

    @app.get("/c-static/page.css", include_in_schema=False)
    def stylesheet() -> FileResponse:
        return FileResponse(STATIC / "page.css", media_type="text/css",
                            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})

    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideLinkTokens) for f in access.filters):
        access.addFilter(HideLinkTokens())
