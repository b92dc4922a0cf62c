"""Routers' routes put in the application's own route table.

FastAPI (0.165) keeps an included router behind a wrapper that matches the request against
the router's routes once to choose it and once more to handle it, so a request for a route of
a router included late paid for every router before it (``docs/performance.md``, "The stack's
cost per request"). Our routers set only a prefix and tags, which their routes already carry,
so their routes can stand in the application's table as they are, in the same order."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """``router``'s routes matched by ``app`` directly, after those it has."""
    if router.dependencies or router.callbacks or router.on_startup or router.on_shutdown:
        raise ValueError("a router with its own dependencies or events is included instead")
    app.router.routes.extend(router.routes)
