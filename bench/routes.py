"""What finding a request's route costs: the whole route table tried in turn, against the
table narrowed by the path's leading segments (``api/route_table.py``'s ``RouteIndex``).

    python -m bench.routes [--n 2000]

The application ``ejournal serve`` serves (pages mounted, the bench baseline route added), on
an empty SQLite file; for a few requests, the routes tried until the first full match and the
microseconds a lookup, median of 5 runs of ``--n`` lookups (the narrowed one includes finding
the narrowed table). No request is handled: only the matching.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

from starlette.routing import BaseRoute, Match

from ejournal.api.bench import ENV
from ejournal.api.route_table import RouteIndex
from ejournal.settings import Settings

ID = "0b6f5b8e-1111-4111-8111-111111111111"
REQUESTS = (("POST", f"/api/v1/journals/{ID}/lessons/{ID}/marks"),
            ("GET", f"/api/v1/students/{ID}/diary"), ("GET", "/api/v1/me"),
            ("POST", "/bench/baseline"), ("GET", f"/journals/{ID}"), ("GET", "/diary"))


def lookup(routes: Callable[[], Sequence[BaseRoute]], scope: dict[str, Any]) -> int:
    for tried, route in enumerate(routes(), 1):
        if route.matches(scope)[0] is Match.FULL:
            return tried
    raise LookupError(scope["path"])


def timed(routes: Callable[[], Sequence[BaseRoute]], scope: dict[str, Any], n: int) -> float:
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            lookup(routes, scope)
        runs.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args(argv)
    os.environ[ENV] = "1"
    from ejournal.site import create_app  # after ENV: the baseline route is added at creation

    with tempfile.TemporaryDirectory(prefix="ejournal-bench-routes-") as tmp:
        app = create_app(Settings(database_url=f"sqlite:///{tmp}/x.db"), run_projector=False)
        index = app.router.middleware_stack
        if not isinstance(index, RouteIndex):
            raise SystemExit("the application's router has no route index")
        table = app.router.routes
        print(f"{len(table)} routes\n\n| request | tried: whole table / narrowed | "
              "us a lookup: whole table / narrowed |\n|---|---:|---:|")
        for method, path in REQUESTS:
            scope = {"type": "http", "method": method, "path": path, "root_path": "",
                     "headers": []}

            def whole() -> Sequence[BaseRoute]:
                return table

            def narrowed(path: str = path) -> Sequence[BaseRoute]:
                return index.view_for(path).routes

            shown = path.replace(ID, "{id}")
            print(f"| `{method} {shown}` | {lookup(whole, scope)} / {lookup(narrowed, scope)} "
                  f"| {timed(whole, scope, args.n):.1f} / {timed(narrowed, scope, args.n):.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
