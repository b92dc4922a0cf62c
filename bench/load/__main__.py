"""Load test: a school day's mix against the real service, then a reconciliation.

Run from the repository root::

    python -m bench.load [--db sqlite|postgres|both] [--minutes 10] [--clients 16]
                         [--workers 2] [--serve-workers N] [--kills K] [--scale 0.1]
                         [--guardians 60] [--journals N] [--max-requests N]
    python -m bench.load --minutes 0.25 --scale 0.025 --guardians 4 --journals 4 --clients 6  # CI

For each database:

0. **A school**: ``bench.rebuild``'s generated school year (``--scale 0.1`` = 4 classes of 25
   students, 15 subjects, 60 journals) recorded up to yesterday and projected; two fresh
   lessons per journal for the driver (``bench/load/world.py``).
1. **The service**, as real processes (``bench/load/processes.py``): on SQLite one
   ``ejournal serve`` with its projector and scheduler (in its duties' process); on
   PostgreSQL ``--workers`` ``ejournal serve --no-projector --no-scheduler`` beside one
   ``ejournal project`` and one
   ``ejournal scheduler``. Clients spread over the workers. With ``--serve-workers N`` (N >
   1), on either database, one ``ejournal serve --workers N`` instead (one port; the projector
   and the scheduler in its duties' process).
2. **The load** (``bench/load/driver.py``) for ``--minutes`` (or ``--max-requests``): 70% diary
   and grid reads by guardians and teachers, 30% journal writes by teachers, ``--clients``
   concurrent closed-loop clients on loopback. Throughput, p50/p99 per request kind, server
   errors (5xx), projection lag (events behind the head; seconds from a write's answer until
   the read models hold it), the RSS of every server process at the start and the end.
   With ``--kills K``, K times during the load (evenly spaced), every process of the service
   is killed with SIGKILL at once - a server's workers too, as a crash of the machine would -
   and all are started again on their ports; the clients meet broken connections and retry
   their writes with their keys.
3. **The reconciliation** (``bench/load/reconcile.py``): every acknowledged write exactly once
   in the log and in the read models, nothing unacknowledged there; mismatches must be 0.

The exit status is 1 when a server error, an unexpected refusal, a dead process or a
mismatch was seen (so CI fails), else 0. Results: a table on stdout and
``bench/results/load-<db>.json`` with the load average before and after (the 2 cores are
shared: the load generator, the server processes and PostgreSQL run on them together).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from tests.faults.pgcluster import ThrowawayPostgres

from bench.commands import code_version, machine
from bench.load.driver import KINDS, Driver, Results
from bench.load.processes import Service, postgres_service, sqlite_service, workers_service
from bench.load.reconcile import reconcile
from bench.load.world import build
from ejournal.api.problems import STORAGE_ERRORS
from ejournal.application import EJournal
from ejournal.projections.catalog import projector_for
from ejournal.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def summarise(results: Results) -> dict[str, Any]:
    kinds = {}
    for kind in KINDS:
        latencies = results.latencies[kind]
        kinds[kind] = {"answers": len(latencies), "statuses": dict(results.statuses[kind]),
                       "per_s": round(len(latencies) / results.seconds, 1)
                       if results.seconds else 0,
                       "p50_ms": _ms(percentile(latencies, 0.50)),
                       "p99_ms": _ms(percentile(latencies, 0.99))}
    rss = {name: {"start_mib": round(values[0] / 1024, 1), "end_mib": round(values[-1] / 1024, 1),
                  "max_mib": round(max(values) / 1024, 1),
                  "growth_mib": round((values[-1] - values[0]) / 1024, 1),
                  # sampled about once a second: the course of it, about a minute apart
                  "by_minute_mib": [round(v / 1024, 1) for v in values[::60]]}
           for name, values in results.rss_kib.items() if values}
    lag_events = [float(v) for v in results.lag_events]
    return {
        "seconds": round(results.seconds, 1),
        "requests": results.requests,
        "requests_per_s": round(results.requests / results.seconds, 1) if results.seconds else 0,
        "writes_acknowledged": len(results.acks),
        "writes_replayed": sum(a.replayed for a in results.acks),
        "retries": results.retries,
        "server_errors": results.server_errors,
        "unexpected": len(results.unexpected),
        "unexpected_examples": results.unexpected[:10],
        "kinds": kinds,
        "projection_lag": {
            "events_p50": percentile(lag_events, 0.5), "events_p99": percentile(lag_events, 0.99),
            "events_max": max(lag_events, default=None),
            "seconds_p50": _round(percentile(results.lag_seconds, 0.5)),
            "seconds_p99": _round(percentile(results.lag_seconds, 0.99)),
            "seconds_max": _round(max(results.lag_seconds, default=None)),
            "samples": len(results.lag_seconds)},
        "rss": rss,
    }


def _crash_during(service: Service, driver: Driver, kills: int, done: threading.Event
                  ) -> None:
    """``service.crash()`` ``kills`` times, evenly spaced over the driver's load (once its
    clients have logged in), unless ``done``."""
    if kills <= 0:
        return
    while (deadline := getattr(driver, "deadline", None)) is None:
        if done.wait(0.1):  # polling for the load's start
            return
    seconds = driver.seconds
    started = deadline - seconds
    for k in range(1, kills + 1):
        if done.wait(max(0.0, started + k * seconds / (kills + 1) - time.monotonic())):
            return
        service.crash()
        print(f"  crash {k}: every process killed with SIGKILL and started again after "
              f"{time.monotonic() - started:.0f} s", flush=True)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass
class ShardOutage:
    """The school's shard (a PostgreSQL server of the run's own) stopped as in a crash a third
    into the load, for ``seconds``, then started again. Reads answering 503 meanwhile are
    expected (counted as ``503-outage``, not server errors) until the shard's projector has
    caught up with the log again and ``GRACE`` seconds more (a read waits up to 5 s for its
    writer's last write); writes retry them with their keys."""

    cluster: ThrowawayPostgres
    shard: Settings
    seconds: float
    record: dict[str, Any] = field(default_factory=dict)
    GRACE = 6.0

    def run(self, driver: Driver, load_seconds: float) -> threading.Thread:
        def timeline() -> None:
            clock = threading.Event()  # never set: the scenario's own pauses
            driver.running.wait()
            began = time.monotonic()
            clock.wait(load_seconds / 3)
            driver.tolerated.add(503)
            self.cluster.stop("immediate")
            self.record["stopped_at_s"] = round(time.monotonic() - began, 1)
            print(f"  shard a stopped at {self.record['stopped_at_s']} s", flush=True)
            clock.wait(self.seconds)
            self.cluster.start()
            self.record["started_at_s"] = round(time.monotonic() - began, 1)
            print(f"  shard a started at {self.record['started_at_s']} s", flush=True)
            wait_projected(self.shard, clock)
            self.record["caught_up_at_s"] = round(time.monotonic() - began, 1)
            clock.wait(self.GRACE)
            driver.tolerated.discard(503)

        thread = threading.Thread(target=timeline, name="shard-outage", daemon=True)
        thread.start()
        return thread


def wait_projected(settings: Settings, pause: threading.Event, timeout: float = 300) -> None:
    """Until the read models hold the log's head as it is now (polled)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            app = EJournal(settings)
        except STORAGE_ERRORS:
            pause.wait(0.5)  # the shard is still starting
            continue
        projector = projector_for(app)
        try:
            if projector.position() >= projector.head():
                return
        except STORAGE_ERRORS:
            pass
        finally:
            app.close()
            projector.engine.dispose()
            projector.reader.dispose()
        pause.wait(0.5)


def measure(settings: Settings, service_of: Any, args: argparse.Namespace,
            logs: Path, outage: ShardOutage | None = None) -> dict[str, Any]:
    load_before = os.getloadavg()
    started = time.perf_counter()
    world = build(settings, args.scale, args.guardians, args.journals)
    app = EJournal(settings)
    start_position = app.recorder.max_notification_id() or 0
    app.close()
    print(f"  school ready after {time.perf_counter() - started:.0f} s", flush=True)
    service: Service = service_of(settings, logs)
    service.start()
    print(f"  service up after {time.perf_counter() - started:.0f} s: "
          f"{', '.join(p.name for p in service.processes)}", flush=True)
    try:
        driver = Driver(world, service, clients=args.clients, seconds=args.minutes * 60,
                        max_requests=args.max_requests)
        done = threading.Event()
        crasher = threading.Thread(target=_crash_during, daemon=True,
                                   args=(service, driver, args.kills, done))
        crasher.start()
        timeline = outage.run(driver, args.minutes * 60) if outage is not None else None
        try:
            results = asyncio.run(driver.run())
        finally:
            done.set()
            crasher.join(timeout=300)
            if timeline is not None:
                timeline.join(timeout=600)
        died = service.alive()
        summary = summarise(results)
        print(f"  load done after {time.perf_counter() - started:.0f} s: "
              f"{summary['requests']:,} requests in {summary['seconds']} s; reconciling",
              flush=True)
        reconciliation = reconcile(world, start_position, results.acks, service.urls[0],
                                   driver.tokens[world.admin])
        died += [name for name in service.alive() if name not in died]
        print(f"  reconciled after {time.perf_counter() - started:.0f} s", flush=True)
    finally:
        service.stop()
        keep = args.out / f"load-{settings.database_url.split(':', 1)[0].split('+')[0]}-logs"
        keep.mkdir(parents=True, exist_ok=True)
        for process in service.processes:  # the servers' own logs, for what went wrong
            if process.log.exists():
                (keep / process.log.name).write_bytes(process.log.read_bytes())
    return {
        "database": settings.database_url.split(":", 1)[0],
        "code": code_version(), "machine": machine(),
        "parameters": {k: v for k, v in vars(args).items() if k not in ("db", "pg_url")},
        "processes": [p.name for p in service.processes],
        "crashes": service.crashes,
        "world": {"events_before": world.events, "journals": len(world.seats),
                  "teachers": len(world.teachers), "guardians": len(world.guardians),
                  "generate_s": round(world.build_s, 1), "project_s": round(world.project_s, 1)},
        **summary,
        "died": died,
        "reconciliation": reconciliation.as_dict(),
        "total_s": round(time.perf_counter() - started, 1),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        **({"shard_outage": {**outage.record, "seconds": outage.seconds,
                             "answers_503": sum(int(row["statuses"].get("503-outage", 0))
                                                for row in summary["kinds"].values())}}
           if outage is not None else {}),
    }


def run_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ejournal-load-") as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'ejournal.db'}")
        service_of = sqlite_service if args.serve_workers <= 1 else \
            (lambda s, logs: workers_service(s, logs, args.serve_workers))
        return measure(settings, service_of, args, Path(tmp))


def run_postgres(args: argparse.Namespace) -> dict[str, Any]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    settings = Settings(database_url=args.pg_url, database_schema=schema)
    if args.shard_outage:
        return run_sharded(args, settings)
    try:
        with tempfile.TemporaryDirectory(prefix="ejournal-load-") as tmp:
            return measure(settings,
                           lambda s, logs: postgres_service(s, logs, args.workers)
                           if args.serve_workers <= 1
                           else workers_service(s, logs, args.serve_workers), args,
                           Path(tmp))
    finally:
        _drop(args, schema)


def run_sharded(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """The school on shard ``a``, a PostgreSQL server of the run's own; the main database
    (``--pg-url``) holds the directory; the shard is stopped and started mid-run."""
    cluster = ThrowawayPostgres()
    try:
        cluster.start()
        shard = Settings(database_url=cluster.url, database_schema=settings.database_schema)
        main = settings.model_copy(update={"shards": f"a={cluster.url}"})
        EJournal(main).close()  # the main database's schema, which the directory joins
        with tempfile.TemporaryDirectory(prefix="ejournal-load-") as tmp:
            return measure(shard,
                           lambda s, logs: postgres_service(main, logs, args.workers, s),
                           args, Path(tmp), ShardOutage(cluster, shard, args.shard_outage))
    finally:
        cluster.destroy()
        _drop(args, settings.database_schema)


def _drop(args: argparse.Namespace, schema: str) -> None:
    conninfo = args.pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
            sql.Identifier(schema)))


def table(result: dict[str, Any]) -> str:
    lines = [f"{result['database']}: {result['requests']:,} requests in {result['seconds']} s "
             f"= {result['requests_per_s']}/s, {result['writes_acknowledged']:,} writes "
             f"acknowledged, server errors {result['server_errors']}, unexpected "
             f"{result['unexpected']}, retries {result['retries']}",
             f"  {'kind':12}{'answers':>9}{'per s':>8}{'p50 ms':>9}{'p99 ms':>9}  statuses"]
    for kind, row in result["kinds"].items():
        lines.append(f"  {kind:12}{row['answers']:>9,}{row['per_s']:>8}"
                     f"{row['p50_ms'] or '-':>9}{row['p99_ms'] or '-':>9}  {row['statuses']}")
    lag = result["projection_lag"]
    lines.append(f"  projection lag: events p50 {lag['events_p50']} p99 {lag['events_p99']} "
                 f"max {lag['events_max']}; seconds p50 {lag['seconds_p50']} "
                 f"p99 {lag['seconds_p99']} max {lag['seconds_max']}")
    for name, rss in result["rss"].items():
        lines.append(f"  RSS {name}: {rss['start_mib']} -> {rss['end_mib']} MiB "
                     f"(max {rss['max_mib']}, growth {rss['growth_mib']})")
    rec = result["reconciliation"]
    lines.append(f"  reconciliation: acknowledged {rec['acknowledged']}, logged {rec['logged']}, "
                 f"lost {sum(rec['lost'].values())}, doubled {sum(rec['doubled'].values())}, "
                 f"stray {sum(rec['stray'].values())}, receipts {rec['receipts']}, read-model "
                 f"mismatches {sum(rec['read_model_mismatches'].values())} "
                 f"-> mismatches {rec['mismatches']}")
    if result["crashes"]:
        lines.append(f"  crashes: {result['crashes']} (every process killed with SIGKILL, "
                     f"then started again)")
    if "shard_outage" in result:
        outage = result["shard_outage"]
        lines.append(f"  shard a stopped at {outage.get('stopped_at_s')} s for "
                     f"{outage['seconds']} s (started at {outage.get('started_at_s')} s, "
                     f"projected again at {outage.get('caught_up_at_s')} s): "
                     f"{outage['answers_503']} answers 503 meanwhile")
    if result["died"]:
        lines.append(f"  DIED: {result['died']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=10**9)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2,
                        help="API worker processes on PostgreSQL")
    parser.add_argument("--serve-workers", type=int, default=1,
                        help="N > 1: one `ejournal serve --workers N` as the whole service")
    parser.add_argument("--kills", type=int, default=0,
                        help="times every process of the service is killed with SIGKILL "
                             "and started again during the load")
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--guardians", type=int, default=60)
    parser.add_argument("--journals", type=int, default=None,
                        help="journals written (by their teachers); default: all")
    parser.add_argument("--pg-url", default=os.environ.get("EJOURNAL_BENCH_POSTGRES_URL",
                                                           DEFAULT_PG_URL))
    parser.add_argument("--shard-outage", type=float, default=0.0, metavar="SECONDS",
                        help="PostgreSQL: the school on a shard of its own (a server the run "
                             "starts), stopped a third into the load for SECONDS")
    parser.add_argument("--out", type=Path, default=RESULTS,
                        help="directory for load-<db>.json")
    args = parser.parse_args(argv)
    chosen = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    failed = False
    for db in chosen:
        print(f"== {db}", flush=True)
        result = run_sqlite(args) if db == "sqlite" else run_postgres(args)
        args.out.mkdir(parents=True, exist_ok=True)
        name = f"load-{db}-shard-outage" if args.shard_outage and db == "postgres" \
            else f"load-{db}"
        (args.out / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))
        print(table(result), flush=True)
        failed |= bool(result["server_errors"] or result["unexpected"] or result["died"]
                       or result["reconciliation"]["mismatches"])
    if failed:
        print("bench.load: FAILED (server errors, unexpected refusals, dead processes or "
              "mismatches above)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
