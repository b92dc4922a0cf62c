"""Routers' routes put in the application's own route table, the most requested first.

FastAPI (0.165) keeps an included router behind a wrapper that matches the request against
the router's routes once to choose it and once more to handle it, so a request for a route of
a router included late paid for every router before it (``docs/performance.md``, "The stack's
cost per request"). Our routers set only a prefix and tags, which their routes already carry,
so their routes can stand in the application's table as they are, in the same order.

Each request then tries only the routes its path can match (``RouteIndex``: the table
narrowed by the path's leading literal segments), in the table's order; the family's diary and
the journal's marks and grid, most of a school's requests, stand first. Moving them ahead
changes no answer while no other route matches their paths, whatever the method, and the
narrowed table picks the route the whole one picks (``tests/api/test_route_table.py``)."""

from __future__ import annotations

import copy

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute, Mount
from starlette.types import Receive, Scope, Send

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


# --- dispatch by the path's literal segments -------------------------------------------------
#
# Tried in turn, ~170 routes cost ~2.5 us each: a page or an API route near the end of the
# table paid ~0.25 ms to be found, a quarter of a light request. The index narrows the table
# to the routes whose template's leading literal segments the path begins with (those are the
# only ones whose regular expression can match it), in their order, and lets the router try
# only those: the first full match, or the first partial one (405), is the same route.
# Whatever the narrowed table does not match goes to the whole router, so its 404s, 405s and
# slash redirects are its own.


def _literal(route: BaseRoute) -> tuple[str, ...]:
    """The segments a path must begin with for ``route`` to match it (none: any path)."""
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not path.startswith("/"):
        return ()  # a host or a root mount: tried for every path
    literal: list[str] = []
    for segment in path.split("/")[1:]:
        if "{" in segment:
            break
        literal.append(segment)
    if isinstance(route, Mount):
        return tuple(literal) if literal != [""] else ()
    return tuple(literal)


def _route_path(scope: Scope) -> str:
    """The path the router matches: the request's, less the root path it is mounted at."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        return path[len(root):]
    return path


class _Node:
    __slots__ = ("children", "here", "view")

    def __init__(self, view: APIRouter) -> None:
        self.children: dict[str, _Node] = {}
        self.here: list[int] = []  # the routes whose literal segments end at this node
        self.view = view  # the router narrowed to the routes of this node and above it


class RouteIndex:
    """The application router's table narrowed by the request path's leading segments."""

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self._built: int | None = None
        self._root = _Node(router)

    def _build(self) -> None:
        routes = self.router.routes
        root = _Node(self.router)
        for index, route in enumerate(routes):
            node = root
            for segment in _literal(route):
                node = node.children.setdefault(segment, _Node(self.router))
            node.here.append(index)

        def views(node: _Node, above: list[int]) -> None:
            within = sorted(above + node.here)
            view = copy.copy(self.router)  # the same router, its table narrowed
            view.routes = [routes[i] for i in within]
            view.redirect_slashes = False
            view.default = self.router.app
            node.view = view
            for child in node.children.values():
                views(child, within)

        views(root, [])
        self._root = root
        self._built = len(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router.app(scope, receive, send)
            return
        scope.setdefault("router", self.router)
        await self.view_for(_route_path(scope)).app(scope, receive, send)

    def view_for(self, path: str) -> APIRouter:
        """The router narrowed to the routes that may match ``path``."""
        if self._built != len(self.router.routes):
            self._build()
        node = self._root
        for segment in path.split("/")[1:]:
            deeper = node.children.get(segment)
            if deeper is None:
                break
            node = deeper
        return node.view


def indexed(app: FastAPI) -> None:
    """``app``'s router dispatches through a :class:`RouteIndex` of its table (built at the
    first request, again whenever routes are added)."""
    app.router.middleware_stack = RouteIndex(app.router)
