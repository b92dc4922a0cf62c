"""ejournal against the bare stack, and one hot lesson: ``ejournal serve`` and a bare FastAPI +
SQLAlchemy app (``bench/bare_app.py``), one uvicorn worker each, on the same database.

Run from the repository root::

    python -m bench.bare [--db sqlite|postgres|both] [--scale 0.1] [--clients 32]
                         [--seconds 15] [--reps 3] [--hot-seconds 20] [--workers 2]

For each database, ``bench.http``'s school year and writers (each client a journal of its own,
eight fresh lessons), then both servers as subprocesses, and ``--reps`` rounds, each running
in turn (one load at a time, the other server idle; after each of ejournal's write phases the
benchmark waits until its projector has applied them, so that the next phase runs alone):

1. ``POST /insert`` of the bare app (one single-row INSERT + COMMIT), then ejournal's mark
   writes (``POST .../lessons/{id}/marks``, every client its own journal, lesson after lesson):
   ``--clients`` closed-loop keep-alive connections for ``--seconds`` each (goal: marks >= 0.6x
   the INSERTs);
2. ``GET /select`` of the bare app (50 rows as JSON), then a guardian's diary for a month
   (``--read-days``, the year in the database), closed loop the same way (goal: >= 1.0x);
   With ``--workers N`` (N > 1) a second ``ejournal serve --workers N`` runs beside the first
   on the same database, and each round also runs the mark writes against it (the two in
   alternating order from round to round): its writes/s over one worker's (goal: >= 1.3x
   with 2 workers on PostgreSQL);
3. with ``--hot-seconds`` > 0: ``--clients`` clients writing marks to ONE lesson (its
   teacher's token, the clients spread over its students), then ``--clients`` clients on as
   many lessons (one each), ``--hot-seconds`` each; every answer that is not 201 is counted by
   status (goal: none), and the ratio hot/spread (goal: >= 0.5).

For every phase the CPU seconds of each server (its process and every process under it: a
server's workers), of the PostgreSQL cluster (the postmaster and its backends, found from a
connection's backend; a cluster shared with others counts theirs too) and of the load generator
(from ``/proc/<pid>/stat``), and of the whole machine (``/proc/stat``: everyone else on the
shared machine is the rest). Ratios are of the medians over the rounds. Results:
a table on stdout and ``bench/results/bare-<db>.json``, with the load average before/after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from bench.commands import code_version, machine
from bench.http import (
    DEFAULT_PG_URL,
    RESULTS,
    SEED,
    World,
    Writer,
    build,
    caught_up,
    closed_loop,
    log_in_all,
    markdown,
    no_pauses,
    serve_process,
    server,
)
from bench.rebuild import YEAR_END
from ejournal.settings import Settings

WRITE_GOAL = 0.6
READ_GOAL = 1.0
HOT_GOAL = 0.5
WORKERS_GOAL = 1.3
TICK = os.sysconf("SC_CLK_TCK")
Request = Callable[[int], tuple[str, dict[str, Any], dict[str, str]]]
#: The bare app's server: one uvicorn worker, no access log.
BARE = [sys.executable, "-m", "uvicorn", "--factory", "bench.bare_app:create",
        "--log-level", "info", "--no-access-log", "--no-proxy-headers"]


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def _stat(pid: int | str) -> list[str]:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        return f.read().rpartition(")")[2].split()


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and of every process under it so far, the ones that ended
    too (a parent counts a child it has reaped: cutime, cstime)."""
    children: dict[int, list[int]] = {}
    seconds: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = _stat(entry)
        except OSError:  # ended meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        seconds[int(entry)] = sum(int(x) for x in fields[11:15]) / TICK
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        total += seconds.get(current, 0.0)
        pending.extend(children.get(current, ()))
    return total


def postmaster(settings: Settings) -> int | None:
    """The PostgreSQL server's postmaster process, if it runs on this machine (the parent of
    a backend)."""
    conninfo = settings.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
    try:
        return int(_stat(row[0])[1]) if row else None
    except OSError:
        return None


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (all cores; no steal, guest counted in
    user)."""
    with open("/proc/stat", encoding="ascii") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return (sum(ticks[:3]) + ticks[5] + ticks[6]) / TICK  # user nice system irq softirq


def phase(url: str, clients: int, seconds: float, request: Request, method: str,
          pids: dict[str, int]) -> dict[str, Any]:
    """One closed-loop load with the CPU seconds every process spent meanwhile."""
    before = {name: tree_cpu(pid) for name, pid in pids.items()}
    before["load generator"] = process_cpu(os.getpid())
    busy = machine_busy()
    with no_pauses():
        result = asyncio.run(closed_loop(url, clients, seconds, request, method))
    cpu = {name: round(tree_cpu(pid) - before[name], 2) for name, pid in pids.items()}
    cpu["load generator"] = round(process_cpu(os.getpid()) - before["load generator"], 2)
    cpu["machine"] = round(machine_busy() - busy, 2)
    result["cpu_s"] = cpu
    return result


def line(name: str, r: dict[str, Any]) -> str:
    cpu = ", ".join(f"{k} {v}" for k, v in r["cpu_s"].items())
    bad = {k: v for k, v in r["statuses"].items() if k not in ("200", "201")}
    return (f"    {name}: {r['per_s']}/s p50 {r['p50_ms']} p99 {r['p99_ms']} ms"
            f"{f' not ok {bad}' if bad else ''}; CPU s: {cpu}")


class Loads:
    """The requests of each kind of load, client ``i``'s next one: marks by the given writers
    (each their own journal), a guardian's ``read_days`` of the diary, the bare app's INSERT
    and SELECT."""

    def __init__(self, world: World, rng: random.Random, read_days: int) -> None:
        self.world, self.rng = world, rng
        self.span = {"from": (YEAR_END - timedelta(days=read_days - 1)).isoformat(),
                     "to": YEAR_END.isoformat()}

    def marks_of(self, writers: list[Writer]) -> Request:
        def mark(i: int) -> tuple[str, dict[str, Any], dict[str, str]]:
            path, body = writers[i].next_mark(self.rng)
            return path, body, {"Authorization": f"Bearer {writers[i].token}"}
        return mark

    def diary(self, i: int) -> tuple[str, dict[str, Any], dict[str, str]]:
        reader = self.world.readers[i % len(self.world.readers)]
        return (f"/api/v1/students/{reader.child}/diary", self.span,
                {"Authorization": f"Bearer {reader.token}"})

    @staticmethod
    def insert(i: int) -> tuple[str, dict[str, Any], dict[str, str]]:
        return "/insert", {"payload": f"client {i}"}, {}

    @staticmethod
    def select(_: int) -> tuple[str, dict[str, Any], dict[str, str]]:
        return "/select", {}, {}


def measure(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()
    world = build(settings, args.scale, args.clients)
    rng = random.Random(SEED + 2)
    env = {"EJOURNAL_DATABASE_URL": settings.database_url,
           "EJOURNAL_DATABASE_SCHEMA": settings.database_schema}
    with ExitStack() as servers:
        url, ej = servers.enter_context(serve_process(settings))
        bare_url, bare = servers.enter_context(server(BARE, env))
        pids = {"ejournal": ej.pid, "bare": bare.pid}
        many = f"ejournal x{args.workers}"
        if args.workers > 1:
            many_url, ej_many = servers.enter_context(serve_process(settings, args.workers))
            pids[many] = ej_many.pid
        if settings.database_url.startswith("postgresql") and \
                (root := postmaster(settings)) is not None:
            pids["postgres"] = root
        log_in_all(url, world)
        first = world.writers[0]
        hot = [Writer(first.username, first.journal, first.lessons[:1], first.token, n=i)
               for i in range(args.clients)]
        spread = [Writer(w.username, w.journal, w.lessons[:1], w.token)
                  for w in world.writers]
        load = Loads(world, rng, args.read_days)
        marks_of, diary, insert, select = load.marks_of, load.diary, load.insert, load.select

        n, secs = args.clients, args.seconds
        rounds: list[dict[str, Any]] = []
        for rep in range(args.reps):
            print(f"  round {rep + 1} ({n} clients, {secs} s a load)", flush=True)
            r: dict[str, Any] = {}
            r["insert"] = phase(bare_url, n, secs, insert, "POST", pids)
            print(line("bare INSERT", r["insert"]), flush=True)
            writes = [("marks", url, "marks")]
            if args.workers > 1:
                writes.insert(rep % 2, ("marks_workers", many_url, f"marks, {many}"))
            for kind, at, label in writes:
                r[kind] = phase(at, n, secs, marks_of(world.writers), "POST", pids)
                print(line(label, r[kind]), flush=True)
                r["projector_wait_s"] = round(caught_up(settings), 1)
            r["select"] = phase(bare_url, n, secs, select, "GET", pids)
            print(line("bare SELECT", r["select"]), flush=True)
            r["diary"] = phase(url, n, secs, diary, "GET", pids)
            print(line("diary", r["diary"]), flush=True)
            if args.hot_seconds > 0:
                r["hot"] = phase(url, n, args.hot_seconds, marks_of(hot), "POST", pids)
                print(line("one hot lesson", r["hot"]), flush=True)
                caught_up(settings)
                r["spread"] = phase(url, n, args.hot_seconds, marks_of(spread), "POST", pids)
                print(line(f"{n} lessons", r["spread"]), flush=True)
                caught_up(settings)
            rounds.append(r)
    return summarise(rounds, world.events, args, load_before)


def summarise(rounds: list[dict[str, Any]], events: int, args: argparse.Namespace,
              load_before: tuple[float, float, float]) -> dict[str, Any]:
    def median(kind: str) -> float:
        return statistics.median(r[kind]["per_s"] for r in rounds) if kind in rounds[0] else 0

    def cpu(kind: str) -> dict[str, float]:
        """CPU seconds of every process in this kind of phase, summed over the rounds."""
        summed: dict[str, float] = {}
        for r in rounds:
            for name, seconds in r.get(kind, {}).get("cpu_s", {}).items():
                summed[name] = round(summed.get(name, 0.0) + seconds, 2)
        return summed

    def ratio(a: str, b: str) -> float | None:
        return round(median(a) / median(b), 3) if median(b) else None

    not_201: dict[str, int] = {}
    for r in rounds:
        for status, count in r.get("hot", {}).get("statuses", {}).items():
            if status != "201":
                not_201[status] = not_201.get(status, 0) + count
    return {
        "scale": args.scale, "events": events, "clients": args.clients, "rounds": rounds,
        "per_s": {kind: median(kind) for kind in ("insert", "marks", "marks_workers",
                                                  "select", "diary", "hot", "spread")},
        "workers": args.workers, "workers_ratio": ratio("marks_workers", "marks"),
        "workers_goal": WORKERS_GOAL,
        "cpu_s": {kind: cpu(kind) for kind in ("marks", "marks_workers")},
        "writes_ratio": ratio("marks", "insert"), "write_goal": WRITE_GOAL,
        "reads_ratio": ratio("diary", "select"), "read_goal": READ_GOAL,
        "hot_ratio": ratio("hot", "spread"), "hot_goal": HOT_GOAL,
        "hot_not_201": not_201,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def run_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ejournal-bench-bare-") as tmp:
        return measure(Settings(database_url=f"sqlite:///{tmp}/ejournal.db"), args)


def run_postgres(args: argparse.Namespace) -> dict[str, Any]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        return measure(Settings(database_url=args.pg_url, database_schema=schema), args)
    finally:
        conninfo = args.pg_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(schema)))


def table(results: dict[str, dict[str, Any]]) -> str:
    def fmt(x: float | None) -> str:
        return "-" if x is None else f"{x:.2f}"

    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        *((f"{label} (requests/s, median)", lambda r, k=kind: f"{r['per_s'][k]:.0f}")
          for label, kind in (("bare INSERT", "insert"), ("marks", "marks"),
                              ("bare SELECT", "select"), ("diary, a month", "diary"),
                              ("marks, one hot lesson", "hot"), ("marks, a lesson each",
                                                                 "spread"))),
        (f"marks / INSERT (goal >= {WRITE_GOAL})", lambda r: fmt(r["writes_ratio"])),
        (f"diary / SELECT (goal >= {READ_GOAL})", lambda r: fmt(r["reads_ratio"])),
        (f"hot / spread (goal >= {HOT_GOAL})", lambda r: fmt(r["hot_ratio"])),
        ("hot lesson: answers not 201 (goal: none)", lambda r: str(r["hot_not_201"] or 0)),
        ("marks, N workers (requests/s, median)",
         lambda r: f"{r['per_s']['marks_workers']:.0f} (N = {r['workers']})"
         if r["workers"] > 1 else "-"),
        (f"N workers / 1 worker (goal >= {WORKERS_GOAL} at N = 2)",
         lambda r: fmt(r["workers_ratio"])),
        ("CPU s, marks, 1 worker", lambda r: _split(r["cpu_s"]["marks"])),
        ("CPU s, marks, N workers", lambda r: _split(r["cpu_s"]["marks_workers"])),
        ("load average before / after",
         lambda r: f"{r['load_before'][0]} / {r['load_after'][0]}"),
    ]
    return markdown(results, rows)


def _split(cpu: dict[str, float]) -> str:
    """CPU seconds by process, summed over the rounds' phases of one kind."""
    return "; ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items()) or "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get("EJOURNAL_BENCH_POSTGRES_URL",
                                                           DEFAULT_PG_URL))
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--hot-seconds", type=float, default=20.0,
                        help="seconds of each hot-lesson load (0: none)")
    parser.add_argument("--workers", type=int, default=1,
                        help="also write marks through `ejournal serve --workers N` (N > 1)")
    parser.add_argument("--read-days", type=int, default=30,
                        help="days of the diary each read asks for (the year's last ones)")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    runs = {"sqlite": run_sqlite, "postgres": run_postgres}
    for name in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        print(f"{name}:", flush=True)
        result = runs[name](args)
        result.update({"machine": machine(), "code": code_version(),
                       "recorded_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
                       "args": vars(args)})
        (RESULTS / f"bare-{name}.json").write_text(json.dumps(result, indent=2) + "\n",
                                                   encoding="utf-8")
        results[name] = result
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
