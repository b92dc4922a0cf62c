"""Routers' routes put in the application's own route table, the most requested first.

FastAPI (0.165) keeps an included router behind a wrapper that matches the request against
the router's routes once to choose it and once more to handle it, so a request for a route of
a router included late paid for every router before it (``docs/performance.md``, "The stack's
cost per request"). Our routers set only a prefix and tags, which their routes already carry,
so their routes can stand in the application's table as they are, in the same order.

The router then tries each route in turn (a regular expression or two each, ~150 routes with
the pages): the family's diary and the journal's marks and grid, most of a school's requests,
are tried first. That changes no answer while no other route matches their paths, whatever
the method (``tests/api/test_route_table.py`` checks it)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute

#: Templates tried before every other route.
HOT = ("/api/v1/students/{student_id}/diary",
       "/api/v1/journals/{journal_id}/lessons/{lesson_id}/marks",
       "/api/v1/journals/{journal_id}/grid")


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """``router``'s routes matched by ``app`` directly, after those it has."""
    if router.dependencies or router.callbacks or router.on_startup or router.on_shutdown:
        raise ValueError("a router with its own dependencies or events is included instead")
    app.router.routes.extend(router.routes)


def hot_first(app: FastAPI) -> None:
    """The routes of the ``HOT`` templates moved to the front of ``app``'s table, in their
    order; where they stood is kept for ``declared``."""
    routes = app.router.routes
    hot = [(i, r) for i, r in enumerate(routes) if getattr(r, "path", None) in HOT]
    routes[:] = [r for _, r in hot] + [r for r in routes if getattr(r, "path", None) not in HOT]
    app.state.hot_routes = hot


def declared(app: FastAPI) -> list[BaseRoute]:
    """``app``'s routes in the order they were declared (the OpenAPI document's order)."""
    hot: list[tuple[int, BaseRoute]] = getattr(app.state, "hot_routes", [])
    routes = list(app.router.routes[len(hot):])
    for index, route in hot:
        routes.insert(index, route)
    return routes
