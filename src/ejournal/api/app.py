"""The FastAPI application: routers, problem+json errors, body limit, security headers."""

from __future__ import annotations

import gc
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ejournal import __version__
from ejournal.api import bench, metrics, openapi, problems
from ejournal.api.access import audit_refusal
from ejournal.api.route_table import add_routes
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
from ejournal.leadership import Leadership, lease_for
from ejournal.settings import Settings, networks

MAX_BODY = 64 * 1024
#: A file to import (a roster of thousands) and its login slips may be larger.
MAX_FILE = 10 * 1024 * 1024
#: Routes that take a homework file, with its limit plus room for the form around it.
FILE_BODIES = (
    (re.compile(r"(/api/v1)?/journals/[^/]+/lessons/[^/]+/attachments"), MAX_FILE, "file"),
)
FORM_ROOM = 64 * 1024


def body_limit(scope: Scope) -> tuple[int, str | None]:
    """The most bytes this request's body may hold, and the form field it carries (if a
    homework file's route)."""
    path = scope.get("path", "")
    if "/imports/" in path or path.endswith("/login-slips"):
        return MAX_FILE, None
    if scope.get("method") == "POST":
        for pattern, most, field in FILE_BODIES:
            if pattern.fullmatch(path):
                return most + FORM_ROOM, field
    return MAX_BODY, None


def too_large(limit: int, field: str | None) -> tuple[str, dict[str, Any]]:
    """The 413's detail and extra members: naming the form field on a file's route."""
    if field is None:
        return f"a body is at most {limit} bytes", {}
    detail = f"{field} is at most {limit - FORM_ROOM} bytes (10 MB)"
    return detail, {"errors": [{"field": field, "message": detail}]}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "frame-ancestors 'none'",
}
#: The pages' policy (ejournal.web): everything from this site, no inline script or style.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")


class BodyLimit:
    """Counts the bytes of a request body as they arrive: a body without Content-Length
    (chunked) is refused with 413 as soon as it passes MAX_BODY, before it is parsed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0
        limit, field = body_limit(scope)

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                # FastAPI passes an HTTPException from reading the body on to the handlers.
                raise HTTPException(413, too_large(limit, field)[0])
            return message

        await self.app(scope, counted, send)


class Guard:
    """The outermost middleware (pure ASGI: no task group, no extra copy of the answer): a
    declared body over MAX_BODY is 413 before anything reads it, and every answer carries
    the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, field = body_limit(scope)
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                detail, extra = too_large(limit, field)
                response = problems.problem(413, detail, headers=SECURITY_HEADERS, **extra)
                await response(scope, receive, send)
                return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                html = any(name.lower() == b"content-type" and value.startswith(b"text/html")
                           for name, value in headers)
                chosen = {**SECURITY_HEADERS, "Content-Security-Policy": PAGE_CSP} if html \
                    else SECURITY_HEADERS
                headers += [(name.lower().encode("latin-1"), value.encode("latin-1"))
                            for name, value in chosen.items()
                            if name.lower().encode("latin-1") not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, secured)


def create_app(settings: Settings | None = None, *, clock: Clock | None = None,
               run_projector: bool = True, run_scheduler: bool = False,
               settle_heap: bool = False, elect: bool = False) -> FastAPI:
    """``clock``: what "now" is for every request and command (the real clock if None; tests
    set their own, so that no answer depends on the day they run). ``run_scheduler``: run the
    compliance scheduler in this process too (``ejournal serve`` does, unless
    ``--no-scheduler``). ``settle_heap``: the process is the server's own (``ejournal
    serve``): what it holds once started is kept out of the garbage collector's full passes
    (``gc.freeze``). ``elect``: several processes serve the database (``--workers``): the
    projector, the mail sender and the scheduler run in the one that wins the lease of
    leadership (``ejournal.leadership``), and sessions' last writes are kept in the database."""
    chosen = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = Services.open(chosen, clock, shared_writes=elect)
        shards = Sharded(chosen, svc, clock, shared_writes=elect) if chosen.shards else None
        measured.watch(svc)
        to_thread.current_default_thread_limiter().total_tokens = chosen.request_threads
        schedulers: list[Any] = []  # the compliance scheduler, once this process runs it

        def duties() -> None:
            if run_projector:
                svc.start_projector()
                if chosen.smtp_url:
                    svc.start_mailer()
                if shards is not None:
                    shards.each(start_projector)
            if run_scheduler:
                from ejournal.scheduler.service import ComplianceScheduler

                for settings in [chosen, *(s.settings for s in (shards.shards.values()
                                                               if shards else ()))]:
                    scheduler = ComplianceScheduler(settings, clock)
                    scheduler.run_observers.append(measured.scheduler_run)
                    scheduler.start()
                    schedulers.append(scheduler)

        def start_projector(shard: Services) -> None:
            shard.start_projector()
            if chosen.smtp_url:
                shard.start_mailer()

        leadership = Leadership(lease_for(chosen), duties, svc.stop) if elect else None
        if leadership is not None:
            leadership.start()
        else:
            duties()
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
            if leadership is not None:
                leadership.join(timeout=10)
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
    bench.install(app)  # only with EJOURNAL_BENCH_BASELINE=1 (bench/http.py)

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

    # Innermost (added first): it counts a body's bytes as the route reads them; the guard
    # (outermost) refuses a declared oversized body before anything reads it.
    app.add_middleware(BodyLimit)

    app.add_middleware(Guard)
    measured = metrics.install(app, chosen)

    # The client's address is the TCP peer, unless that peer is a configured proxy: then the
    # address it forwards (the rate limit and the audit key on it). The server itself never
    # reads X-Forwarded-* (``ejournal serve`` runs uvicorn with proxy_headers off).
    proxies = networks(chosen.trusted_proxies)
    if proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)

    return app
