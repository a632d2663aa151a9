"""The customer's side of the server: the page reached by the link in a notice (server-rendered
Jinja2, no JavaScript needed) and the SMS gateway's delivery receipts."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    from fieldapp.server.routers import webhooks

    app.include_router(webhooks.router)
