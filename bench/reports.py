"""Reports benchmark: the four reports over HTTP at a full school year, against a journal's
period summary in the same run.

Run from the repository root::

    python -m bench.reports [--db sqlite|postgres|both] [--scale 1.0] [--requests 200]

For each database:

0. **A school year**: ``bench.rebuild``'s generator (``SchoolYear``: at ``--scale 1.0`` 40
   classes of 25 students, 15 journals each, lessons on every school day of 2026/27 with their
   homework, absences and 4-6 marks, period marks at each quarter's end), then every read model
   caught up in this process (batches of 1,000) and the admin's password set.
1. **The server**: ``ejournal serve --no-scheduler --now 2027-05-31T12:00:00Z`` (the year
   is over: every week counts), its read models already holding the log.
2. **The requests**, as the school's admin, one client on keep-alive, after ``--warmup``
   untimed rounds: each round asks, for a class (round-robin) and a random quarter,
   ``GET /journals/{id}/programme-completion`` (a random journal of the class),
   ``GET /classes/{id}/homework-load`` and ``…/attendance`` over the whole year, and
   ``…/performance?period_id=``; and the **baseline**, ``GET /journals/{id}/summary?period_id=``
   of the same journal and quarter (one journal's period: the API's existing report).
   Client-side wall time per answer (every answer must be 200): p50, p95, p99, and each
   report's p95 over the baseline's.

The goal: every report answers in under 200 ms at p95 at the full year. PostgreSQL data lives
in a fresh schema ``bench_<random>`` dropped at the end; SQLite in a temporary directory.
Results: a table on stdout and ``bench/results/reports-<db>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from bench.commands import code_version, machine
from bench.http import PASSWORD, free_port
from bench.rebuild import DEFAULT_PG_URL, RESULTS, SEED, SchoolYear, percentile
from ejournal.accounts import Accounts
from ejournal.application import EJournal
from ejournal.projections.base import create_read_engine
from ejournal.projections.catalog import projector_for
from ejournal.settings import Settings

NOW = "2027-05-31T12:00:00Z"
GOAL_P95_MS = 200.0
KINDS = ("programme_completion", "homework_load", "attendance", "performance", "baseline")


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(percentile(ordered, 0.50) * 1000, 2),
            "p95_ms": round(percentile(ordered, 0.95) * 1000, 2),
            "p99_ms": round(percentile(ordered, 0.99) * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2)}


def prepare(app: EJournal, scale: float) -> tuple[SchoolYear, dict[str, float]]:
    started = time.perf_counter()
    year = SchoolYear(app, scale, SEED)
    year.finish()
    generated = time.perf_counter() - started
    print(f"  generated {app.recorder.max_notification_id():,} events ({generated:.0f} s)",
          flush=True)
    started = time.perf_counter()
    projector = projector_for(app)
    try:
        projector.setup()
        projector.catch_up(limit=1000)
    finally:
        projector.engine.dispose()
        projector.reader.dispose()
    projected = time.perf_counter() - started
    print(f"  read models caught up ({projected:.0f} s)", flush=True)
    accounts = Accounts(create_read_engine(app.settings))
    try:
        accounts.setup()
        accounts.set_password(year.admin.id, PASSWORD, now=datetime.now(tz=UTC))
    finally:
        accounts.engine.dispose()
    return year, {"generate_s": round(generated, 1), "project_s": round(projected, 1)}


def requests_of(year: SchoolYear, rng: random.Random, round_: int) -> dict[str, str]:
    klass = year.classes[round_ % len(year.classes)]
    journal = rng.choice(klass.journals).id
    period = rng.choice(year.periods)[0]
    c = f"/api/v1/classes/{klass.aggregate.id}"
    whole = f"from={year.school_days()[0]}&to={year.school_days()[-1]}"
    return {"programme_completion": f"/api/v1/journals/{journal}/programme-completion",
            "homework_load": f"{c}/homework-load?{whole}",
            "attendance": f"{c}/attendance?{whole}",
            "performance": f"{c}/performance?period_id={period}",
            "baseline": f"/api/v1/journals/{journal}/summary?period_id={period}"}


def measure(settings: Settings, year: SchoolYear, requests: int, warmup: int
            ) -> dict[str, Any]:
    port = free_port()
    env = {**os.environ, "EJOURNAL_DATABASE_URL": settings.database_url,
           "EJOURNAL_DATABASE_SCHEMA": settings.database_schema, "EJOURNAL_REQUEST_LOG": "false"}
    server = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "ejournal.cli", "serve", "--port", str(port), "--no-scheduler",
         "--now", NOW], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    sizes: dict[str, int] = {}
    rng = random.Random(SEED + 7)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("ejournal serve did not start")
                time.sleep(0.1)
            token = client.post("/api/v1/auth/token", data={
                "username": "zavuch", "password": PASSWORD}).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            for n in range(warmup + requests):
                for kind, path in requests_of(year, rng, n).items():
                    started = time.perf_counter()
                    answer = client.get(path, headers=headers)
                    spent = time.perf_counter() - started
                    if answer.status_code != 200:
                        raise SystemExit(f"{path}: {answer.status_code} {answer.text[:200]}")
                    if n >= warmup:
                        timings[kind].append(spent)
                        sizes[kind] = max(sizes.get(kind, 0), len(answer.content))
    finally:
        server.terminate()
        server.wait(timeout=60)
    result: dict[str, Any] = {kind: _percentiles(samples) for kind, samples in timings.items()}
    base = result["baseline"]["p95_ms"]
    for kind in KINDS[:-1]:
        result[kind]["ratio_p95_to_baseline"] = round(result[kind]["p95_ms"] / base, 2)
        result[kind]["meets_goal"] = result[kind]["p95_ms"] < GOAL_P95_MS
        result[kind]["largest_answer_bytes"] = sizes[kind]
    result["requests"] = requests
    return result


def run(db: str, args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory(prefix="ejournal-bench-") as tmp:
        settings = (Settings(database_url=f"sqlite:///{Path(tmp) / 'ejournal.db'}")
                    if db == "sqlite" else
                    Settings(database_url=args.pg_url, database_schema=schema))
        app = EJournal(settings)
        try:
            year, prepared = prepare(app, args.scale)
            events = app.recorder.max_notification_id() or 0
        finally:
            app.close()
        try:
            result = measure(settings, year, args.requests, args.warmup)
        finally:
            if db == "postgres":
                conninfo = args.pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
                                 .format(sql.Identifier(schema)))
    return {"db": db, "scale": args.scale, "events": events, "classes": len(year.classes),
            "students": len(year.students), **prepared, **result,
            "loadavg_1_5_15": {"before": load_before, "after": os.getloadavg()},
            "code": code_version(), "machine": machine()}


def table(results: dict[str, dict[str, Any]]) -> str:
    dbs = list(results)
    lines = ["| | " + " | ".join(dbs) + " |", "|---|" + "---:|" * len(dbs)]
    lines.append("| events in the log | " + " | ".join(
        f"{results[d]['events']:,}" for d in dbs) + " |")
    for kind in KINDS:
        cells = []
        for d in dbs:
            r = results[d][kind]
            ratio = (f", x{r['ratio_p95_to_baseline']} of baseline"
                     if "ratio_p95_to_baseline" in r else "")
            cells.append(f"{r['p50_ms']:.1f} / **{r['p95_ms']:.1f}** / {r['p99_ms']:.1f}{ratio}")
        lines.append(f"| {kind} p50 / p95 / p99 ms | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--pg-url", default=os.environ.get("EJOURNAL_BENCH_POSTGRES_URL",
                                                           DEFAULT_PG_URL))
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        print(f"{db}:", flush=True)
        results[db] = run(db, args)
        suffix = "" if args.scale == 1.0 else f"-scale{args.scale}"
        (RESULTS / f"reports-{db}{suffix}.json").write_text(
            json.dumps(results[db], indent=2, default=str), encoding="utf-8")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
