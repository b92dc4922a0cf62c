"""The route table: the routes tried first match no path another route matches, so moving
them ahead changes no answer; the routers' routes are all served."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from uuid import uuid4

from starlette.routing import Match

from ejournal.api.route_table import HOT, RouteIndex
from ejournal.settings import Settings
from ejournal.site import create_app

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid4()), template)


def test_no_other_route_matches_a_hot_route_s_paths(tmp_path: object) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db"), run_projector=False)
    routes = app.router.routes
    first = [str(getattr(r, "path", "")) for r in routes[:len(HOT)]]
    assert sorted(first) == sorted(HOT)
    for template in HOT:
        path = _path(template)
        for route in routes[len(HOT):]:
            for method in METHODS:
                scope = {"type": "http", "method": method, "path": path, "root_path": "",
                         "headers": []}
                match, _ = route.matches(scope)
                assert match is Match.NONE, (template, getattr(route, "path", route), method)


def _first(routes: list[Any], scope: dict[str, Any]) -> tuple[Any, Match]:
    """The route a router picks: the first full match, else the first partial one."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route, match
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial, Match.PARTIAL if partial is not None else Match.NONE


def test_the_index_picks_the_route_the_whole_table_picks(tmp_path: object) -> None:
    """For every route's paths (and their neighbours: a slash more or less, a segment more,
    a literal changed), with every method, the narrowed table the index gives picks the route
    the whole table picks - or none, and the whole router then answers."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db"), run_projector=False)
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    assert not app.router._low_priority_routes  # the narrowed tables have none either
    routes = app.router.routes
    paths = {"/", "/nothing", "/api", "/api/v1", "/static/style.css", "/static"}
    for route in routes:
        template = str(getattr(route, "path", ""))
        if template.startswith("/"):
            path = _path(template)
            paths |= {path, path + "/", path + "/x", path.rstrip("/") or "/",
                      path.replace("/api/v1/", "/api/v2/", 1), "/" + path[2:]}
    picked = 0
    for path in sorted(paths):
        view = index.view_for(path).routes
        assert len(view) < len(routes) or path in ("/",)
        for method in METHODS:
            scope = {"type": "http", "method": method, "path": path, "root_path": "",
                     "headers": []}
            whole = _first(routes, scope)
            narrowed = _first(view, scope)
            if whole[1] is not Match.NONE:
                assert narrowed == whole, (path, method)
                picked += 1
    assert picked > 2 * len(routes)


async def _answer(app: Any, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": [(b"host", b"testserver")],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80), "state": {}}
    await app(scope, receive, send)
    start = sent[0]
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


def test_not_found_method_not_allowed_and_slash_redirects_are_the_router_s(
        tmp_path: object) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db"), run_projector=False)
    index = app.router.middleware_stack
    cases = [("GET", "/nothing/here"), ("DELETE", f"/api/v1/students/{uuid4()}/diary"),
             ("GET", "/api/v1/me/"), ("GET", f"/api/v1/students/{uuid4()}/diary/x"),
             ("PUT", "/healthz")]

    async def both() -> list[tuple[Any, Any]]:
        answers = []
        for method, path in cases:
            indexed_answer = await _answer(app, method, path)
            app.router.middleware_stack = app.router.app
            try:
                plain = await _answer(app, method, path)
            finally:
                app.router.middleware_stack = index
            answers.append((indexed_answer, plain))
        return answers

    answers = asyncio.run(both())
    for (got, expected), case in zip(answers, cases, strict=True):
        got[1].pop("x-request-id", None)
        expected[1].pop("x-request-id", None)
        assert got == expected, case
    assert [a[0][0] for a in answers] == [404, 405, 307, 404, 405]
