"""The FastAPI application: routes, problem+json errors, and the one middleware (``edge``)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ejournal import __version__
from ejournal.api import bench, duties, metrics, openapi, problems, request_threads
from ejournal.api.access import audit_refusal
from ejournal.api.edge import SECURITY_HEADERS, Edge
from ejournal.api.route_table import add_routes, hot_first, indexed
from ejournal.api.routes import (
    archives,
    attachments,
    auth,
    compliance,
    credentials,
    documents,
    exports,
    imports,
    journal_writes,
    ledger,
    lookups,
    messages,
    mfa,
    notifications,
    periods,
    reads,
    reports,
    schools,
    students,
)
from ejournal.api.services import Clock, Services
from ejournal.api.shards import Sharded, sharded
from ejournal.settings import Settings, networks


def create_app(settings: Settings | None = None, *, clock: Clock | None = None,
               run_projector: bool = True, run_scheduler: bool = False,
               settle_heap: bool = False, shared_writes: bool = False) -> FastAPI:
    """``clock``: what "now" is for every request and command (the real clock if None; tests
    set their own, so that no answer depends on the day they run). ``run_projector``,
    ``run_scheduler``: run the projector (with the ledger's follower and the mail) and the
    compliance scheduler in this process too (``api/duties.py``; ``ejournal serve`` runs
    them in a process of their own instead). ``settle_heap``: the process is the server's own
    (``ejournal serve``): what it holds once started is kept out of the garbage collector's
    full passes (``gc.freeze``). ``shared_writes``: several processes serve the database
    (``--workers``): sessions' last writes are kept in the database."""
    chosen = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = Services.open(chosen, clock, shared_writes=shared_writes)
        shards = (Sharded(chosen, svc, clock, shared_writes=shared_writes) if chosen.shards
                  else None)
        measured.watch(svc)
        reads = chosen.read_threads or request_threads.read_threads(chosen.database_url)
        request_threads.install(reads=reads, writes=chosen.request_threads)
        schedulers = duties.start(chosen, svc, shards, clock, projector=run_projector,
                                  scheduler=run_scheduler,
                                  on_scheduler_run=measured.scheduler_run)
        app.state.services = svc
        app.state.shards = shards
        if settle_heap:
            # What the process holds once started (modules, the schema, SQLAlchemy's and
            # pydantic's structures) is kept out of the collector's full passes, which scan
            # all of it each time (tens of ms, during which no request moves).
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            svc.stop.set()
            for scheduler in schedulers:
                scheduler.shutdown()
            svc.close()
            if shards is not None:
                shards.close()

    # /docs is served by the pages (ejournal.site mounts them), from local assets; no ReDoc.
    app = FastAPI(title="ejournal", version=__version__, lifespan=lifespan,
                  description="Electronic class journal and student diary: HTTP API v1.",
                  docs_url=None, redoc_url=None)
    problems.install(app, on_refusal=audit_refusal)
    openapi.install(app)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # A bug: logged by the server with its traceback; the client gets a problem too.
        return problems.problem(500, "an unexpected error; it has been logged",
                                headers=SECURITY_HEADERS)

    for router in (
        auth.router, credentials.router, mfa.router, schools.router,
        journal_writes.router, reads.router, compliance.router, ledger.router,
        lookups.router, periods.router, students.router, reports.router,
        attachments.router, exports.router, documents.router, messages.router,
        archives.router, imports.router, notifications.router):
        add_routes(app, router)
    hot_first(app)  # the diary, marks and the grid: most requests
    bench.install(app)  # only with EJOURNAL_BENCH_BASELINE=1 (bench/http.py)
    indexed(app)  # each request tries only the routes its path can match

    @app.get("/healthz", tags=["service"])
    def healthz(request: Request) -> dict[str, Any]:
        """200 once the database answers a query of the log; else 503 (problem+json). With
        shards: each one's state too ("down": its schools' requests answer 503)."""
        svc: Services = request.app.state.services
        svc.projector.head()
        shards = sharded(request)
        if shards is None:
            return {"status": "ok"}
        states = shards.health()
        return {"status": "ok" if set(states.values()) <= {"ok"} else "degraded",
                "shards": states}

    measured = metrics.install(app, chosen)
    # Body limits, security headers, each request's metrics and log line: one layer.
    app.add_middleware(Edge, metrics=measured.requests)

    # The client's address is the TCP peer, unless that peer is a configured proxy: then the
    # address it forwards (the rate limit and the audit key on it). The server itself never
    # reads X-Forwarded-* (``ejournal serve`` runs uvicorn with proxy_headers off).
    proxies = networks(chosen.trusted_proxies)
    if proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)

    return app
