"""Server logs as one JSON object per line.

`logging_config(format, level)` is a `logging.config.dictConfig` dictionary that `server run`
applies in its own process and hands to uvicorn (which applies it in every worker), so
uvicorn's own messages, ours and any library's go through one handler on stderr. uvicorn's
access log is off: the request middleware writes one access line per request instead, with
the route template rather than the raw path (ids and query strings stay out of the log).

A line looks like::

    {"ts":"2026-03-02T01:30:00.123Z","level":"info","logger":"fieldapp.access","msg":"POST
     /api/v1/sync/push 200","request_id":"9f1c...","user_id":"1b2e...","method":"POST",
     "route":"/api/v1/sync/push","status":200,"duration_ms":41.7}

Lines carry ids (request, user, case, visit), counts, codes and durations; never names,
phone numbers, addresses or amounts: nothing in the server logs those, and the access line
takes no path, query or body.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.config
from typing import Any, Literal

from fieldapp.server.observability import context

LogFormat = Literal["json", "text"]

# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {
    "message", "asctime", "color_message", "taskName"}


class JsonFormatter(logging.Formatter):
    """One line of JSON per record: ts (UTC), level, logger, msg, the request's ids, extras."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = dt.datetime.fromtimestamp(record.created, dt.timezone.utc)
        out: dict[str, Any] = {
            "ts": stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z",
            "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        ctx = context.current()
        if ctx is not None:
            out["request_id"] = ctx.request_id
            if ctx.user_id:
                out["user_id"] = ctx.user_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str, separators=(",", ":"))


def logging_config(fmt: LogFormat = "json", level: str = "info") -> dict[str, Any]:
    """The dictConfig for the server process and each uvicorn worker."""
    lvl = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": f"{__name__}.JsonFormatter"},
            "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": fmt,
                                "stream": "ext://sys.stderr"}},
        "loggers": {
            # uvicorn's loggers hand their records to the root handler (no handlers of their own).
            "uvicorn": {"handlers": [], "level": lvl, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": lvl, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "alembic.runtime.plugins": {"level": "WARNING"},
        },
        "root": {"handlers": ["stderr"], "level": lvl},
    }


def configure(fmt: LogFormat = "json", level: str = "info") -> None:
    logging.config.dictConfig(logging_config(fmt, level))
