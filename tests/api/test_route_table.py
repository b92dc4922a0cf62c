"""The route table: the routes tried first match no path another route matches, so moving
them ahead changes no answer; the routers' routes are all served."""

from __future__ import annotations

import re
from uuid import uuid4

from starlette.routing import Match

from ejournal.api.route_table import HOT
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
