"""HTTP benchmark: mark writes against a bare-INSERT baseline, and diary reads over
a year of data, through ``ejournal serve`` on one worker.

Run from the repository root::

    python -m bench.http [--db sqlite|postgres|both] [--scale 0.1] [--clients 32]
                         [--seconds 15] [--reps 2] [--rate 200] [--read-seconds 20]

For each database, in one run:

0. **A school year** from ``bench.rebuild``'s generator (``SchoolYear``: 2026/27, lessons on
   every school day with attendance, marks, corrections, late entries and period marks;
   ``--scale 0.1`` = 4 classes of 25 students, 15 subjects, 60 journals - each student's
   diary holds a full year at any scale), saved through the application and projected into
   the read models before the server starts. Each writing client gets a journal of its own
   and eight fresh lessons (slots 7-10 of past school days, held through the application as
   the journal's teacher); the journals' teachers and ``--clients`` guardians get passwords.
1. **The server**: ``ejournal serve --no-scheduler`` as a subprocess (one uvicorn worker, the
   projector in-process, as a school would run it), with ``EJOURNAL_BENCH_BASELINE=1`` so that
   it also serves ``POST /bench/baseline``: one single-row INSERT + COMMIT through the event
   store's own connection, no auth (``src/ejournal/api/bench.py``).
2. **Writes**, closed loop: ``--clients`` concurrent clients (asyncio, one keep-alive
   HTTP/1.1 connection each, a lean client of a few lines so that the load generator takes
   little of the shared CPU), each as fast as it can for ``--seconds``:
   ``POST .../lessons/{id}/marks`` with its teacher's token (a mark for each enrolled student
   in turn, lesson after lesson), and the baseline the same way. ``--reps`` rounds, baseline
   and marks interleaved. Requests/s (201 answers per second of wall time), p50/p99 of each
   request's latency, the ratio marks/baseline (goal >= 0.3).
3. **Diary reads**, once the server's projector has applied every mark of the writes (the
   wait is reported), open loop at ``--rate`` requests/s for ``--read-seconds``: each request
   scheduled at its own moment and sent by one of ``--clients`` clients (each a guardian
   reading their child's diary: the last ``--read-days`` days of the year, a month by default,
   as ``bench.rebuild`` times it, with the whole year in the database); latency from the
   scheduled moment (so a server that falls behind is charged for the queue). Achieved
   reads/s and p50/p99 (goal: p99 <= 50 ms).

The load generator runs on the same 2 cores as the server: its CPU is part of every figure,
for the baseline as for the marks. PostgreSQL data lives in a fresh schema ``bench_<random>``
dropped at the end; SQLite in a temporary directory. Results: a table on stdout and
``bench/results/http-<db>.json``, with the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import Popen
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import psycopg
from psycopg import sql

from bench.commands import code_version, machine
from bench.rebuild import TIMEZONE, YEAR_END, YEAR_START, SchoolYear
from ejournal.accounts import Accounts
from ejournal.api.bench import ENV, PATH
from ejournal.application import EJournal
from ejournal.application.commands import HoldLesson
from ejournal.domain.people import User
from ejournal.projections.base import create_read_engine
from ejournal.projections.catalog import projector_for
from ejournal.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "bench-pa55word"  # noqa: S105 - a throwaway benchmark database
SEED = 20261129
LESSONS_PER_CLIENT = 8
FREE_SLOTS = (7, 8, 9, 10)  # the generator uses slots 1-6
WRITE_GOAL = 0.3
READ_GOAL_MS = 50.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary(latencies: list[float], ok: int, errors: int, seconds: float) -> dict[str, Any]:
    ms = [x * 1000 for x in latencies]
    return {"requests": ok + errors, "ok": ok, "errors": errors, "seconds": round(seconds, 2),
            "per_s": round(ok / seconds, 1) if seconds else 0.0,
            "p50_ms": round(percentile(ms, 0.50), 2), "p99_ms": round(percentile(ms, 0.99), 2)}


# --- a lean HTTP/1.1 client ---------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection over asyncio streams: a load generator that costs
    the shared CPU far less than a full client library (``httpx`` is used for the setup), so
    that the figures are the server's. Answers with Content-Length only (uvicorn sends it for
    every JSON answer)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str],
                      body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        length = 0
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        payload = await self.reader.readexactly(length)
        return int(status_line.split()[1]), payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


def _target(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


# --- the data ------------------------------------------------------------------------------


@dataclass
class Writer:
    """One writing client: its teacher's token, its journal, lessons and students."""

    username: str
    journal: UUID
    lessons: list[tuple[UUID, list[UUID]]]  # lesson -> students enrolled that day
    token: str = ""
    n: int = 0

    def next_mark(self, rng: random.Random) -> tuple[str, dict[str, Any]]:
        lesson, students = self.lessons[(self.n // len(self.lessons[0][1])) % len(self.lessons)]
        student = students[self.n % len(students)]
        self.n += 1
        return (f"/api/v1/journals/{self.journal}/lessons/{lesson}/marks",
                {"student_id": str(student), "value": rng.choice("2345"), "work": "oral"})


@dataclass
class Reader:
    username: str
    child: UUID
    token: str = ""


@dataclass
class World:
    writers: list[Writer] = field(default_factory=list)
    readers: list[Reader] = field(default_factory=list)
    events: int = 0
    generate_s: float = 0.0
    project_s: float = 0.0


def build(settings: Settings, scale: float, clients: int) -> World:
    world = World()
    app = EJournal(settings)
    accounts = Accounts(create_read_engine(settings))
    try:
        started = time.perf_counter()
        year = SchoolYear(app, scale, SEED)
        year.finish()
        world.generate_s = time.perf_counter() - started
        world.events = app.recorder.max_notification_id() or 0
        print(f"  generated a school year: {world.events:,} events "
              f"({world.generate_s:.0f} s)", flush=True)
        started = time.perf_counter()
        projector = projector_for(app)
        projector.setup()
        projector.catch_up(limit=1000)
        world.project_s = time.perf_counter() - started
        print(f"  read models caught up ({world.project_s:.0f} s)", flush=True)

        accounts.setup()
        now = datetime.now(tz=UTC)
        today = now.astimezone(ZoneInfo(TIMEZONE)).date()
        days = [d for d in year.school_days() if YEAR_START <= d < today]
        if not days:
            raise SystemExit("bench.http writes lessons on past school days of 2026/27: none "
                             "has passed yet")
        rng = random.Random(SEED)
        journals = [(klass, index) for klass in year.classes
                    for index in range(len(klass.journals))]
        if len(journals) < clients:
            raise SystemExit(f"{len(journals)} journals for {clients} clients: raise --scale")
        teachers: dict[UUID, User] = {u.id: u for row in year.teachers for u in row}
        with_password: set[UUID] = set()
        for klass, index in rng.sample(journals, clients):
            journal = klass.journals[index]
            teacher = klass.contexts[index].actor.user_id
            lessons = []
            for k in range(LESSONS_PER_CLIENT):
                day = days[-1 - ((k // len(FREE_SLOTS)) * 7) % len(days)]
                slot = FREE_SLOTS[k % len(FREE_SLOTS)]
                held = app.execute(HoldLesson(teacher, journal.id, lesson_date=day, slot=slot,
                                              topic="Бенчмарк: урок"))
                assert held.id is not None
                enrolled = [s for s in klass.members if klass.aggregate.is_enrolled(s, day)]
                lessons.append((held.id, enrolled))
            width = min(len(students) for _, students in lessons)
            lessons = [(lesson, students[:width]) for lesson, students in lessons]
            if teacher not in with_password:
                accounts.set_password(teacher, PASSWORD, now=now)
                with_password.add(teacher)
            world.writers.append(Writer(teachers[teacher].username, journal.id, lessons))
        for child in rng.sample(year.students, clients):
            student = app.repository.get(child)
            assert isinstance(student, User)
            guardian = app.repository.get(next(iter(student.guardians)))
            assert isinstance(guardian, User)
            accounts.set_password(guardian.id, PASSWORD, now=now)
            world.readers.append(Reader(guardian.username, child))
        projector.catch_up(limit=1000)
    finally:
        app.close()
        accounts.engine.dispose()
    return world


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def server(command: list[str], env: dict[str, str]) -> Iterator[tuple[str, Popen[bytes]]]:
    """Runs ``command --port N`` (from the repository root) until it answers ``/healthz``;
    yields its address and process."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own command
        [*command, "--port", str(port)], env={**os.environ, **env}, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        with httpx.Client(base_url=url, timeout=5) as c:
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"{command[2]} exited")
                if time.monotonic() > deadline:
                    raise SystemExit(f"{command[2]} did not answer")
                try:
                    if c.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    with suppress(subprocess.TimeoutExpired):
                        process.wait(timeout=0.1)
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=60)


@contextmanager
def serve_process(settings: Settings, workers: int = 1) -> Iterator[tuple[str, Popen[bytes]]]:
    """``ejournal serve`` (``--workers``: its uvicorn workers) on these settings."""
    env = {ENV: "1", "EJOURNAL_DATABASE_URL": settings.database_url,
           "EJOURNAL_DATABASE_SCHEMA": settings.database_schema}
    with server([sys.executable, "-m", "ejournal.cli", "serve", "--no-scheduler",
                 "--workers", str(workers)], env) as running:
        yield running


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    with serve_process(settings) as (url, _):
        yield url


def login(url: str, username: str) -> str:
    with httpx.Client(base_url=url, timeout=60) as c:
        answer = c.post("/api/v1/auth/token", data={"username": username,
                                                     "password": PASSWORD})
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def log_in_all(url: str, world: World) -> None:
    """Every writer and reader of ``world`` gets a token (one login a username)."""
    tokens: dict[str, str] = {}
    people: list[Writer | Reader] = [*world.writers, *world.readers]
    for person in people:
        if person.username not in tokens:
            tokens[person.username] = login(url, person.username)
        person.token = tokens[person.username]


# --- load ----------------------------------------------------------------------------------


async def closed_loop(url: str, clients: int, seconds: float,
                      request: Callable[[int], tuple[str, dict[str, Any], dict[str, str]]],
                      method: str = "POST") -> dict[str, Any]:
    """``clients`` clients, each sending its next request as soon as the last is answered: a
    POST with the request's JSON body (201 expected), or a GET with it as the query (200)."""
    expected = 201 if method == "POST" else 200
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    statuses: dict[int, int] = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    host, port = _target(url)

    async def client(i: int) -> None:
        connection = Connection(host, port)
        try:
            while loop.time() < deadline:
                path, body, headers = request(i)
                started = time.perf_counter()
                if method == "POST":
                    status, _ = await connection.request(
                        "POST", path, {**headers, "Content-Type": "application/json"},
                        json.dumps(body).encode())
                else:
                    query = "&".join(f"{name}={value}" for name, value in body.items())
                    status, _ = await connection.request("GET", f"{path}?{query}", headers)
                latencies.append(time.perf_counter() - started)
                counts["ok" if status == expected else "errors"] += 1
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    result = summary(latencies, counts["ok"], counts["errors"], time.perf_counter() - started)
    result["statuses"] = {str(k): v for k, v in sorted(statuses.items())}
    return result


async def open_loop(url: str, clients: int, rate: float, seconds: float,
                    request: Callable[[int], tuple[str, dict[str, str], dict[str, str]]]
                    ) -> dict[str, Any]:
    """Requests scheduled at ``rate`` per second, sent by ``clients`` clients; each latency
    is counted from the request's scheduled moment."""
    total = int(rate * seconds)
    queue: asyncio.Queue[tuple[int, float]] = asyncio.Queue()
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.5

    async def schedule() -> None:
        for k in range(total):
            moment = start + k / rate
            await asyncio.sleep(max(0.0, moment - loop.time()))
            queue.put_nowait((k, moment))
        for _ in range(clients):
            queue.put_nowait((-1, 0.0))

    host, port = _target(url)

    async def client(i: int) -> None:
        connection = Connection(host, port)
        try:
            while True:
                k, moment = await queue.get()
                if k < 0:
                    return
                path, params, headers = request(k)
                query = "&".join(f"{name}={value}" for name, value in params.items())
                status, _ = await connection.request("GET", f"{path}?{query}", headers)
                latencies.append(loop.time() - moment)
                counts["ok" if status == 200 else "errors"] += 1
        finally:
            await connection.close()

    await asyncio.gather(schedule(), *(client(i) for i in range(clients)))
    elapsed = loop.time() - start
    result = summary(latencies, counts["ok"], counts["errors"], elapsed)
    result["target_per_s"] = rate
    return result


@contextmanager
def no_pauses() -> Iterator[None]:
    """The load generator's own garbage-collector pauses (tens of ms with the generated year in
    memory) would be charged to the server: it collects before a timed phase, not during it."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def caught_up(settings: Settings, timeout: float = 120.0) -> float:
    """Waits until the server's projector has applied every event written so far; returns the
    seconds waited. Reads are timed on read models that hold the writes phase's marks (as a
    family reads the diary in the evening), not while the projector is still applying them."""
    started = time.perf_counter()
    app = EJournal(settings)
    try:
        projector = projector_for(app)
        if not projector.wait_for(projector.head(), timeout=timeout):
            raise SystemExit(f"the read models did not catch up within {timeout:.0f} s")
    finally:
        app.close()
        projector.engine.dispose()
    return time.perf_counter() - started


def measure(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()
    world = build(settings, args.scale, args.clients)
    rng = random.Random(SEED + 1)
    with serve(settings) as url:
        log_in_all(url, world)

        def mark(i: int) -> tuple[str, dict[str, Any], dict[str, str]]:
            writer = world.writers[i]
            path, body = writer.next_mark(rng)
            return path, body, {"Authorization": f"Bearer {writer.token}"}

        def bare(i: int) -> tuple[str, dict[str, Any], dict[str, str]]:
            return PATH, {"payload": f"client {i}"}, {}

        # A month of the diary, as a family reads it (bench.rebuild times the same window),
        # with the whole year in the database.
        span = {"from": (YEAR_END - timedelta(days=args.read_days - 1)).isoformat(),
                "to": YEAR_END.isoformat()}

        def diary(k: int) -> tuple[str, dict[str, str], dict[str, str]]:
            reader = world.readers[k % len(world.readers)]
            return (f"/api/v1/students/{reader.child}/diary", span,
                    {"Authorization": f"Bearer {reader.token}"})

        rounds = []
        for rep in range(args.reps):
            print(f"  round {rep + 1}: baseline, then marks "
                  f"({args.clients} clients x {args.seconds} s each)", flush=True)
            with no_pauses():
                base = asyncio.run(closed_loop(url, args.clients, args.seconds, bare))
            with no_pauses():
                marks = asyncio.run(closed_loop(url, args.clients, args.seconds, mark))
            print(f"    baseline {base['per_s']}/s p99 {base['p99_ms']} ms; "
                  f"marks {marks['per_s']}/s p99 {marks['p99_ms']} ms", flush=True)
            rounds.append({"baseline": base, "marks": marks})
        waited = caught_up(settings)
        print(f"  diary reads at {args.rate}/s for {args.read_seconds} s (read models caught "
              f"up with the writes after {waited:.1f} s)", flush=True)
        with no_pauses():
            reads = asyncio.run(open_loop(url, args.clients, args.rate, args.read_seconds,
                                          diary))
        print(f"    {reads['per_s']}/s p50 {reads['p50_ms']} ms p99 {reads['p99_ms']} ms",
              flush=True)
    base_rate = statistics.median(r["baseline"]["per_s"] for r in rounds)
    mark_rate = statistics.median(r["marks"]["per_s"] for r in rounds)
    return {
        "scale": args.scale, "events": world.events, "clients": args.clients,
        "generate_s": round(world.generate_s, 1), "project_s": round(world.project_s, 1),
        "rounds": rounds,
        "baseline_per_s": base_rate, "marks_per_s": mark_rate,
        "baseline_p99_ms": statistics.median(r["baseline"]["p99_ms"] for r in rounds),
        "marks_p99_ms": statistics.median(r["marks"]["p99_ms"] for r in rounds),
        "ratio": round(mark_rate / base_rate, 3) if base_rate else None,
        "write_goal": WRITE_GOAL, "reads": reads, "read_goal_p99_ms": READ_GOAL_MS,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def run_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ejournal-bench-http-") as tmp:
        return measure(Settings(database_url=f"sqlite:///{tmp}/ejournal.db"), args)


def run_postgres(args: argparse.Namespace) -> dict[str, Any]:
    url = args.pg_url
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        return measure(Settings(database_url=url, database_schema=schema), args)
    finally:
        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(schema)))


Row = tuple[str, Callable[[dict[str, Any]], str]]


def table(results: dict[str, dict[str, Any]]) -> str:
    rows: list[Row] = [
        ("baseline: bare INSERT (requests/s)", lambda r: f"{r['baseline_per_s']:.0f}"),
        ("baseline p99 (ms)", lambda r: f"{r['baseline_p99_ms']:.1f}"),
        ("marks written (requests/s)", lambda r: f"{r['marks_per_s']:.0f}"),
        ("marks p99 (ms)", lambda r: f"{r['marks_p99_ms']:.1f}"),
        (f"ratio marks / baseline (goal >= {WRITE_GOAL})", lambda r: f"{r['ratio']:.2f}"),
        ("diary reads (requests/s achieved)", lambda r: f"{r['reads']['per_s']:.0f}"),
        ("diary p50 / p99 (ms; goal p99 <= 50)",
         lambda r: f"{r['reads']['p50_ms']:.1f} / {r['reads']['p99_ms']:.1f}"),
        ("errors (marks, baseline, reads)", lambda r: (
            f"{sum(x['marks']['errors'] for x in r['rounds'])}, "
            f"{sum(x['baseline']['errors'] for x in r['rounds'])}, {r['reads']['errors']}")),
        ("load average before / after", lambda r: f"{r['load_before'][0]} / "
                                                  f"{r['load_after'][0]}"),
    ]
    return markdown(results, rows)


def markdown(results: dict[str, dict[str, Any]], rows: list[Row]) -> str:
    """A Markdown table: a column per database in ``results``, a line per row's label."""
    names = list(results)
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(results[n]) for n in names) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get("EJOURNAL_BENCH_POSTGRES_URL",
                                                           DEFAULT_PG_URL))
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--read-seconds", type=float, default=20.0)
    parser.add_argument("--read-days", type=int, default=30,
                        help="days of the diary each read asks for (the year's last ones)")
    args = parser.parse_args(argv)
    if args.clients < 32:
        print("note: the goal's figure is for >= 32 concurrent clients", file=sys.stderr)
    results: dict[str, dict[str, Any]] = {}
    runs = {"sqlite": run_sqlite, "postgres": run_postgres}
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        print(f"{name}:", flush=True)
        result = runs[name](args)
        result.update({"machine": machine(), "code": code_version(),
                       "recorded_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
                       "args": vars(args)})
        (RESULTS / f"http-{name}.json").write_text(json.dumps(result, indent=2) + "\n",
                                                   encoding="utf-8")
        results[name] = result
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

