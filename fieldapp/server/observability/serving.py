"""What `fieldapp server run` sets up before uvicorn starts: JSON logs for this process
and (through uvicorn's `log_config`) every worker; the metrics folder shared by the
workers (emptied first) and, with `metrics_port` set, the /metrics listener on its own
port."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fieldapp.core.errors import BadInput
from fieldapp.server.observability import logs, multiproc

log = logging.getLogger("fieldapp.server")


def prepare(settings: Any, api_port: int, data_dir: Path) -> dict[str, Any]:
    """Set up logging and metrics; returns the logging keyword arguments for `uvicorn.run`."""
    logs.configure(settings.log_format, settings.log_level)
    if settings.metrics_port is not None and settings.metrics_port == api_port:
        raise BadInput("metrics_port must differ from the API port", field="metrics_port")
    if settings.metrics_port is not None or multiproc.current() is not None:
        # (a folder named in the environment is made ready even with metrics off: the
        # workers write into it as soon as it is named)
        folder = multiproc.prepare(data_dir / "metrics" / str(api_port))
    if settings.metrics_port is not None:
        from fieldapp.server.observability import metrics

        try:
            metrics.serve(settings.metrics_host, settings.metrics_port)
        except OSError as exc:
            raise BadInput(f"cannot serve metrics on {settings.metrics_host}:{settings.metrics_port}: "
                           f"{exc.strerror or exc}", field="metrics_port") from None
        log.info("metrics on http://%s:%d/metrics", settings.metrics_host, settings.metrics_port,
                 extra={"metrics_dir": str(folder)})
    return {"log_config": logs.logging_config(settings.log_format, settings.log_level),
            "log_level": settings.log_level, "access_log": False}


def announce(host: str, port: int, workers: int, database: str, settings: Any) -> None:
    """The start-up line: a log record (JSON by default), or plain text on stdout."""
    text = f"fieldapp server on http://{host}:{port} ({workers} worker(s)), database {database}"
    if settings.log_format == "text":
        print(text, flush=True)
    else:
        log.info(text, extra={"host": host, "port": port, "workers": workers})
