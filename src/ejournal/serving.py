"""``ejournal serve``'s server: one uvicorn process, or ``--workers N`` processes on one port
(uvicorn's supervisor restarts a worker that dies), and beside them one process of the duties
(``ejournal.api.duties``: the projector, the ledger, the scheduler and the mail), which this
process starts, starts again if it ends, and stops. The request-serving processes only answer
requests: sessions, tokens, login limits and, behind several workers, each session's last
write are kept in the database, so any worker answers any request."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

import uvicorn
from fastapi import FastAPI

from ejournal.api.duties import ENV
from ejournal.leadership import RETRY
from ejournal.settings import Settings

log = logging.getLogger("ejournal.leadership")


@dataclass(frozen=True)
class Serving:
    run_projector: bool = True
    run_scheduler: bool = True
    request_log: bool = True
    now: str | None = None  # tests only: the server's clock stands still here (ISO 8601)
    #: Several processes answer requests: each session's last write is kept in the database.
    shared_writes: bool = False


def application(settings: Settings, serving: Serving) -> FastAPI:
    """A request-serving process's application: the duties run elsewhere (``Duties``)."""
    from ejournal.site import create_app

    if serving.request_log:
        from ejournal.api import request_log

        request_log.to_stdout()
    frozen = datetime.fromisoformat(serving.now) if serving.now else None
    clock = (lambda: frozen) if frozen is not None else None
    return create_app(settings, clock=clock, run_projector=False, run_scheduler=False,
                      settle_heap=True, shared_writes=serving.shared_writes)


def worker_app() -> FastAPI:
    """uvicorn's factory in each worker: the settings and options the parent was given."""
    handed = json.loads(os.environ[ENV])
    return application(Settings.model_validate(handed["settings"]),
                       Serving(**handed["serving"]))


class Duties:
    """The duties' process (``python -m ejournal.api.duties``), started again ``RETRY`` seconds
    after it ends while the server runs (a PostgreSQL leader that lost its lease ends
    itself). Its standard input is a pipe from this process: when this process ends, however
    it ends, that input ends and the duties' process stops."""

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._supervise, name="ejournal-duties",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _supervise(self) -> None:
        while True:
            with self._lock:
                if self._stopping.is_set():
                    return
                self._proc = proc = subprocess.Popen([sys.executable, "-m", "ejournal.api.duties"],
                                                     stdin=subprocess.PIPE)
            code = proc.wait()
            if self._stopping.wait(RETRY):
                return
            log.warning("the duties' process ended (exit code %s); it starts again", code)

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc is not None and proc.stdin is not None:
            proc.stdin.close()
        self._thread.join(timeout=RETRY + 1)


def run(settings: Settings, serving: Serving, *, host: str, port: int, workers: int) -> None:
    # proxy_headers off: the app believes X-Forwarded-For only from EJOURNAL_TRUSTED_PROXIES.
    # uvloop and httptools (docs/performance.md, "Serving": ~0.3 ms of CPU less a request
    # than asyncio's loop and h11), named so that their absence fails rather than falls back.
    options = {"host": host, "port": port, "log_level": "info", "access_log": False,
               "proxy_headers": False, "loop": "uvloop", "http": "httptools"}
    chosen = replace(serving, shared_writes=workers > 1)
    os.environ[ENV] = json.dumps({"settings": settings.model_dump(mode="json"),
                                  "serving": asdict(chosen)})
    duties = Duties() if serving.run_projector or serving.run_scheduler else None
    if duties is None:
        _serve(settings, chosen, options, workers)
        return
    from ejournal import leadership

    leadership.announce()
    duties.start()
    # uvicorn, once shut down, raises again the SIGTERM it caught: here it ends the server
    # only after the duties' process has stopped, and then as that signal would.
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        _serve(settings, chosen, options, workers)
    except _Terminated:
        duties.stop()
        signal.signal(signal.SIGTERM, previous)
        signal.raise_signal(signal.SIGTERM)
    finally:
        duties.stop()


class _Terminated(Exception):
    pass


def _terminated(*_: object) -> None:
    raise _Terminated


def _serve(settings: Settings, serving: Serving, options: dict[str, Any], workers: int) -> None:
    if workers <= 1:
        uvicorn.run(application(settings, serving), **options)
    else:
        uvicorn.run("ejournal.serving:worker_app", factory=True, workers=workers, **options)
