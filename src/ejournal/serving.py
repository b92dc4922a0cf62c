"""``ejournal serve``'s server: one uvicorn process, or ``--workers N`` processes on one
port (uvicorn's supervisor restarts a worker that dies). Behind several workers one of them,
elected (``ejournal.leadership``), runs the projector, the ledger, the scheduler and the
mail; sessions, tokens, login limits and each session's last write are kept in the database,
so any worker answers any request."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime

import uvicorn
from fastapi import FastAPI

from ejournal.settings import Settings

#: How the parent hands the workers what it was asked to serve.
ENV = "EJOURNAL_SERVE_WORKER"


@dataclass(frozen=True)
class Serving:
    run_projector: bool = True
    run_scheduler: bool = True
    request_log: bool = True
    now: str | None = None  # tests only: the server's clock stands still here (ISO 8601)


def application(settings: Settings, serving: Serving, *, elect: bool) -> FastAPI:
    from ejournal.site import create_app

    if serving.request_log:
        from ejournal.api import request_log

        request_log.to_stdout()
    frozen = datetime.fromisoformat(serving.now) if serving.now else None
    clock = (lambda: frozen) if frozen is not None else None
    return create_app(settings, clock=clock, run_projector=serving.run_projector,
                      run_scheduler=serving.run_scheduler, settle_heap=True, elect=elect)


def worker_app() -> FastAPI:
    """uvicorn's factory in each worker: the settings and options the parent was given."""
    from ejournal import leadership

    leadership.announce()
    handed = json.loads(os.environ[ENV])
    return application(Settings.model_validate(handed["settings"]),
                       Serving(**handed["serving"]), elect=True)


def run(settings: Settings, serving: Serving, *, host: str, port: int, workers: int) -> None:
    # proxy_headers off: the app believes X-Forwarded-For only from EJOURNAL_TRUSTED_PROXIES.
    options = {"host": host, "port": port, "log_level": "info", "access_log": False,
               "proxy_headers": False}
    if workers <= 1:
        uvicorn.run(application(settings, serving, elect=False), **options)  # type: ignore[arg-type]
        return
    os.environ[ENV] = json.dumps({"settings": settings.model_dump(mode="json"),
                                  "serving": asdict(serving)})
    uvicorn.run("ejournal.serving:worker_app", factory=True, workers=workers,
                **options)  # type: ignore[arg-type]
