"""The browser UI (docs/ui.md): server-rendered Russian pages over the same application, read
models and access rules as the HTTP API, with htmx for in-place updates; every asset, the
Swagger UI's included, is served from here (a school network may have no internet)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from ejournal.api.route_table import add_routes
from ejournal.web import (
    pages_account,
    pages_audit,
    pages_common,
    pages_documents,
    pages_family,
    pages_files,
    pages_finals,
    pages_imports,
    pages_journal,
    pages_messages,
    pages_notifications,
    pages_reports,
    pages_school,
    pages_structure,
)
from ejournal.web.docs import router as docs_router

STATIC = Path(__file__).parent / "static"


class Assets(StaticFiles):
    """Static files, revalidated by their ETag on each use (a new release shows at once)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def cached(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      (b"cache-control", b"no-cache")]
            await send(message)

        await super().__call__(scope, receive, cached)


def install(app: FastAPI) -> None:
    """Mounts the pages, the Swagger UI at ``/docs`` and the static files."""
    swagger = files("fastapi_offline") / "static"
    app.mount("/static/swagger", Assets(directory=str(swagger)), name="swagger-assets")
    app.mount("/static", Assets(directory=STATIC), name="static")
    add_routes(app, docs_router)
    add_routes(app, pages_common.router)
    add_routes(app, pages_account.router)
    add_routes(app, pages_notifications.router)
    add_routes(app, pages_family.router)
    add_routes(app, pages_journal.router)
    add_routes(app, pages_files.router)
    add_routes(app, pages_audit.router)
    add_routes(app, pages_school.router)
    add_routes(app, pages_structure.router)
    add_routes(app, pages_imports.router)
    add_routes(app, pages_documents.router)
    add_routes(app, pages_finals.router)
    add_routes(app, pages_reports.router)
    add_routes(app, pages_messages.router)
