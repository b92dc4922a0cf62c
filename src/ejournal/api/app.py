"""The FastAPI application: routers, problem+json errors, body limit, security headers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from ejournal import __version__
from ejournal.api import problems
from ejournal.api.routes import auth, journal_writes, reads, schools
from ejournal.api.services import Services
from ejournal.settings import Settings

MAX_BODY = 64 * 1024
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def create_app(settings: Settings | None = None, *, run_projector: bool = True) -> FastAPI:
    chosen = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = Services.open(chosen)
        if run_projector:
            svc.start_projector()
        app.state.services = svc
        try:
            yield
        finally:
            svc.close()

    app = FastAPI(title="ejournal", version=__version__, lifespan=lifespan,
                  description="Electronic class journal and student diary: HTTP API v1.")
    problems.install(app)
    app.include_router(auth.router)
    app.include_router(schools.router)
    app.include_router(journal_writes.router)
    app.include_router(reads.router)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.middleware("http")
    async def guard(request: Request,
                    call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            response: Response = problems.problem(413, f"a body is at most {MAX_BODY} bytes")
        else:
            response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
