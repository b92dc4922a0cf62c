"""One kind of load at a time against ``ejournal serve`` and the bare app (``bench/bare.py``'s
school, servers and closed loop), for looking into one phase - with a profiler attached to the
printed process ids, for instance::

    python -m bench.probe [--db sqlite|postgres] [--kinds insert,marks,select,diary]
                          [--seconds 10] [--clients 32] [--reps 1] [--workers 1]
                          [--serve-args=--no-projector]

Each kind runs ``--clients`` closed-loop keep-alive connections for ``--seconds``: ``insert``
and ``select`` against the bare app, ``marks`` (each client its own journal) and ``diary`` (a
guardian's month) against ejournal; after marks, the next kind waits for the projector. A line
per phase: requests/s, p50/p99 and the CPU seconds of each process (``bench.bare.phase``).
Not a benchmark of record: ``bench.bare`` measures the goals.
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import sys
import tempfile
import uuid
from contextlib import ExitStack

import psycopg
from psycopg import sql

from bench.bare import BARE, Loads, Request, line, phase
from bench.http import DEFAULT_PG_URL, SEED, build, caught_up, log_in_all, server
from ejournal.api.bench import ENV
from ejournal.settings import Settings


def run(settings: Settings, args: argparse.Namespace) -> None:
    world = build(settings, 0.1, args.clients)
    rng = random.Random(SEED + 2)
    env = {"EJOURNAL_DATABASE_URL": settings.database_url,
           "EJOURNAL_DATABASE_SCHEMA": settings.database_schema}
    extra = shlex.split(args.serve_args)
    with ExitStack() as stack:
        url, ejournal = stack.enter_context(server(
            [sys.executable, "-m", "ejournal.cli", "serve", "--no-scheduler",
             "--workers", str(args.workers), *extra], {ENV: "1", **env}))
        bare_url, bare = stack.enter_context(server(BARE, env))
        pids = {"ejournal": ejournal.pid, "bare": bare.pid}
        print("pids", pids, flush=True)
        log_in_all(url, world)
        load = Loads(world, rng, 30)
        kinds: dict[str, tuple[str, Request, str]] = {
            "insert": (bare_url, load.insert, "POST"), "select": (bare_url, load.select, "GET"),
            "marks": (url, load.marks_of(world.writers), "POST"), "diary": (url, load.diary, "GET")}
        for _ in range(args.reps):
            for kind in args.kinds.split(","):
                at, request, method = kinds[kind]
                print(line(kind, phase(at, args.clients, args.seconds, request, method, pids)),
                      flush=True)
                if kind == "marks" and "--no-projector" not in extra:
                    caught_up(settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("EJOURNAL_BENCH_POSTGRES_URL",
                                                           DEFAULT_PG_URL))
    parser.add_argument("--kinds", default="insert,marks,select,diary")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--serve-args", default="",
                        help="more `ejournal serve` options: --serve-args='--no-projector ...'")
    args = parser.parse_args(argv)
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ejournal-bench-probe-") as tmp:
            run(Settings(database_url=f"sqlite:///{tmp}/ejournal.db"), args)
    else:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        try:
            run(Settings(database_url=args.pg_url, database_schema=schema), args)
        finally:
            conninfo = args.pg_url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    sql.Identifier(schema)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
