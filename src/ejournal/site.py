"""What ``ejournal serve`` serves: the HTTP API (``api``) and the browser pages beside it
(``web``, which stands on the API's access rules and services; the API knows nothing of it)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from ejournal import web
from ejournal.api import app as api
from ejournal.settings import Settings


def create_app(settings: Settings | None = None, **options: Any) -> FastAPI:
    """The API's application (``options`` as ``api.app.create_app`` takes them) with the
    pages, their static files and the Swagger UI at ``/docs`` mounted on it (not with
``EJOURNAL_SHARDS``: docs/scaling.md)."""
    served = api.create_app(settings, **options)
    # The pages read the main database's services directly: not yet served with shards.
    if not (settings or Settings()).shards:
        web.install(served)
    return served
