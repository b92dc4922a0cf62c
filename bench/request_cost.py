"""What one request costs the server in process: Python calls and CPU time a request.

    python -m bench.request_cost [--scale 0.05] [--n 500] [--profiled 200] [--top 0]
                                 [--api-only] [--keep DIR]

The school is ``bench.http``'s (a year of ``bench.rebuild``'s generator, SQLite; ``--keep``
keeps it in DIR for the next run). The application (``ejournal.site``'s, the pages mounted, or
the API's alone with ``--api-only``; its projector running, idle) is called as an ASGI app in
this process, the way uvicorn calls it, without sockets: what is counted is the server's work
from the scope to the last body message, uvicorn's own parsing aside. For each kind of request -
``baseline`` (``POST /bench/baseline``: one INSERT), ``me`` (``GET /api/v1/me``), ``diary`` (a
guardian's month of their child's diary) and ``mark`` (``POST .../marks``) - ``--n`` requests
timed by ``time.process_time`` (every thread of the process), then ``--profiled`` under
cProfile in every thread (the event loop's and the request threads'): calls a request. Call
counts do not move with the machine's load; CPU time does.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import sqlite3
import sqlite3.dbapi2
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from bench.http import PASSWORD, Reader, World, Writer, build
from bench.rebuild import YEAR_END
from ejournal.api.bench import ENV
from ejournal.settings import Settings

Call = tuple[str, str, dict[str, str], bytes, dict[str, str]]  # method, path, query, body, headers


async def call(app: Any, method: str, path: str, query: dict[str, str] | None = None,
               body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One request through the ASGI app, as uvicorn sends it."""
    sent = False
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    raw += [(b"host", b"127.0.0.1:8000"), (b"content-length", str(len(body)).encode())]
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
             "http_version": "1.1", "method": method, "scheme": "http", "path": path,
             "raw_path": path.encode(), "query_string": urlencode(query or {}).encode(),
             "root_path": "", "headers": raw, "client": ("127.0.0.1", 50000),
             "server": ("127.0.0.1", 8000), "state": {}}
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # never: the app has its body
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def _world(directory: Path, scale: float) -> tuple[Settings, World]:
    settings = Settings(database_url=f"sqlite:///{directory}/ejournal.db")
    saved = directory / "world.json"
    if saved.exists():
        data = json.loads(saved.read_text())
        return settings, World(
            writers=[Writer(w["username"], UUID(w["journal"]),
                            [(UUID(x), [UUID(s) for s in ss]) for x, ss in w["lessons"]])
                     for w in data["writers"]],
            readers=[Reader(r["username"], UUID(r["child"])) for r in data["readers"]])
    directory.mkdir(parents=True, exist_ok=True)
    world = build(settings, scale, 4)
    saved.write_text(json.dumps(asdict(world), default=str))
    return settings, world


async def measure(app: Any, name: str, make: Callable[[int], Call], n: int, profiled: int,
                  top: int, sort: str, callers: str = "") -> dict[str, Any]:
    for i in range(50):  # warm up: caches, request threads, the first statements' plans
        status, answer = await call(app, *make(i))
        if status >= 400:
            raise SystemExit(f"{name}: {status} {answer[:300]!r}")
    counted = len(_traced)
    started = time.process_time()
    for i in range(n):
        await call(app, *make(50 + i))
    cpu_ms = (time.process_time() - started) / n * 1000
    statements = (len(_traced) - counted) / n
    background = sum(_traced[counted:]) / n
    _enable_in_threads()
    main = cProfile.Profile()
    main.enable()
    for i in range(profiled):
        await call(app, *make(50 + n + i))
    main.disable()
    stats = pstats.Stats(main)
    for p in _stop_threads():
        stats.add(p)
    calls = stats.total_calls / profiled  # type: ignore[attr-defined]
    print(f"  {name:9} {cpu_ms:6.3f} ms CPU a request (n={n}); "
          f"{calls:7,.0f} Python calls a request (n={profiled}); "
          f"{statements:5.2f} statements a request ({statements - background:.2f} in the "
          f"request)", flush=True)
    if top:
        stats.sort_stats(sort).print_stats(top)
        if callers:
            stats.print_callers(callers)
    return {"kind": name, "cpu_ms": round(cpu_ms, 3), "calls": round(calls),
            "statements": round(statements, 2),
            "request_statements": round(statements - background, 2)}


#: One item per statement SQLite has run in this process (on the connections made after
#: ``_count``), True if a background thread of the server's ran it (the projector, the
#: ledger's follower: ``ejournal-*``): ``list.append`` is atomic, as the threads need.
_traced: list[bool] = []


def _count() -> None:
    """Every SQLite connection made from now on counts the statements it runs."""
    connect = sqlite3.connect

    def counting(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection: sqlite3.Connection = connect(*args, **kwargs)
        connection.set_trace_callback(_counted)
        return connection

    sqlite3.connect = counting  # type: ignore[assignment]
    sqlite3.dbapi2.connect = counting  # type: ignore[assignment]  # SQLAlchemy's


def _counted(_: str) -> None:
    _traced.append(threading.current_thread().name.startswith("ejournal-"))


# Every anyio worker thread profiles itself: its job queue runs our hook first.
_thread_profiles: list[cProfile.Profile] = []
_hook_lock = threading.Lock()


def _enable_in_threads() -> None:
    import anyio._backends._asyncio as backend

    original = backend.WorkerThread.run
    if getattr(backend.WorkerThread, "_profiled", False):
        backend.WorkerThread._armed = True  # type: ignore[attr-defined]
        return

    def run(self: Any) -> None:
        queue = self.queue
        get = queue.get

        def profiled_get(*a: Any, **k: Any) -> Any:
            item = get(*a, **k)
            profile = getattr(self, "_profile", None)
            if backend.WorkerThread._armed and profile is None:  # type: ignore[attr-defined]
                profile = cProfile.Profile()
                self._profile = profile
                with _hook_lock:
                    _thread_profiles.append(profile)
                profile.enable()
            elif not backend.WorkerThread._armed and profile is not None:  # type: ignore[attr-defined]
                profile.disable()
                self._profile = None
            return item

        queue.get = profiled_get
        original(self)

    backend.WorkerThread.run = run  # type: ignore[method-assign]
    backend.WorkerThread._profiled = True  # type: ignore[attr-defined]
    backend.WorkerThread._armed = True  # type: ignore[attr-defined]


def _stop_threads() -> list[cProfile.Profile]:
    import anyio._backends._asyncio as backend

    backend.WorkerThread._armed = False  # type: ignore[attr-defined]
    with _hook_lock:
        found = list(_thread_profiles)
        _thread_profiles.clear()
    return found


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    os.environ[ENV] = "1"
    _count()
    directory = Path(args.keep or tempfile.mkdtemp(prefix="ejournal-request-cost-"))
    settings, world = _world(directory, args.scale)
    if args.api_only:
        from ejournal.api.app import create_app
    else:
        from ejournal.site import create_app
    app = create_app(settings)
    _enable_in_threads()  # before the first request thread starts
    _stop_threads()
    async with app.router.lifespan_context(app):
        tokens: dict[str, str] = {}
        for person in (world.writers[0].username, world.readers[0].username):
            status, answer = await call(
                app, "POST", "/api/v1/auth/token",
                body=urlencode({"username": person, "password": PASSWORD}).encode(),
                headers={"content-type": "application/x-www-form-urlencoded"})
            if status != 200:
                raise SystemExit(f"login {person}: {status} {answer!r}")
            tokens[person] = json.loads(answer)["access_token"]
        writer, reader = world.writers[0], world.readers[0]
        teacher = {"authorization": f"Bearer {tokens[writer.username]}",
                   "content-type": "application/json"}
        guardian = {"authorization": f"Bearer {tokens[reader.username]}"}
        month = {"from": YEAR_END.replace(day=1).isoformat(), "to": YEAR_END.isoformat()}
        rng = random.Random(1)

        def baseline(i: int) -> Call:
            return ("POST", "/bench/baseline", {}, json.dumps({"payload": f"p{i}"}).encode(),
                    {"content-type": "application/json"})

        def me(_: int) -> Call:
            return "GET", "/api/v1/me", {}, b"", guardian

        def diary(_: int) -> Call:
            return "GET", f"/api/v1/students/{reader.child}/diary", month, b"", guardian

        def mark(_: int) -> Call:
            path, body = writer.next_mark(rng)
            return "POST", path, {}, json.dumps(body).encode(), teacher

        chosen = {"baseline": baseline, "me": me, "diary": diary, "mark": mark}
        return [await measure(app, name, chosen[name], args.n, args.profiled, args.top,
                              args.sort, args.callers)
                for name in args.kinds]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--profiled", type=int, default=200)
    parser.add_argument("--top", type=int, default=0, help="the N functions called most")
    parser.add_argument("--sort", default="tottime", help="pstats' order for --top")
    parser.add_argument("--callers", default="", help="with --top: who calls these")
    parser.add_argument("--api-only", action="store_true", help="without the pages")
    parser.add_argument("--keep", help="a directory for the school (reused if there)")
    parser.add_argument("--kinds", nargs="+", default=["baseline", "me", "diary", "mark"])
    args = parser.parse_args(argv)
    print(f"bench.request_cost: load average {os.getloadavg()[0]:.1f}", flush=True)
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
