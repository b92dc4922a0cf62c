"""Ledger benchmark: ``ejournal verify`` over a log of a million events.

Run from the repository root::

    python -m bench.ledger [--db sqlite|postgres|both] [--events 1000000]

For each database, in one run:

0. **A log.** A small school's journal is recorded through the application (``tests.builders``
   and lessons with a mark for each of its students): its rows as stored are the templates.
   ``--events`` rows are then written through the event store's recorder
   (``recorder.insert_events``, 10,000 a transaction), each a template's topic and state under
   a new aggregate id every 100 events (versions 1-100): the bytes the chain hashes have the
   shapes and sizes of real events, and nothing decodes them.
1. **The kept chain.** The ledger's follower chains the whole log (``Follower.catch_up``), as
   ``ejournal serve`` would have while the log grew: events/s.
2. **Baseline.** The same rows read the same way (``Chain.log``, ``EventStore.rows``), each hashed
   as ``sha256(head ‖ state)``: the least a chain over the log costs here.
3. **verify.** ``ledger.verify.verify`` in this process (the ratio to the baseline; baseline and
   verify run twice each, interleaved, the best of each counted), then
   ``ejournal verify --quiet`` as a process of its own, wall-clock (the goal: under 60 s for
   1 M events); it must exit 0, and after one state edited with SQL, 1 naming its position.

Results: a table on stdout and ``bench/results/ledger-<db>.json``. PostgreSQL data lives in a
fresh schema ``bench_<random>``, dropped at the end; SQLite in a temporary directory.
"""

from __future__ import annotations

import argparse
import faulthandler
import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg import sql
from sqlalchemy import text
from tests.builders import build_school
from tests.databases import NOW, Clock
from tests.ledger.conftest import DAYS

from ejournal.application import EJournal
from ejournal.application.commands import GiveMark, HoldLesson
from ejournal.ledger import Chain, Follower
from ejournal.ledger.verify import verify
from ejournal.projections.base import create_read_engine
from ejournal.settings import Settings

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RESULTS = Path(__file__).resolve().parent / "results"
# 1,000 a transaction: 10,000 stalled psycopg's pipeline against PostgreSQL (each side
# waiting on the other), a size no command writes.
PER_AGGREGATE, PER_TRANSACTION = 100, 1_000


def templates(app: EJournal) -> list[tuple[str, bytes]]:
    """(topic, state) of a small school's real events."""
    s = build_school(app)
    for n, day in enumerate(DAYS):
        lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=day, slot=1 + n % 3,
                                        topic=f"Тема {n}")).id
        for kid in s.students:
            app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=kid, value="5",
                                 work="oral"))
    rows = app.store.rows(0, 10_000)
    return [(bytes(t).decode() if isinstance(t, bytes) else t, bytes(state))
            for _, _, _, t, state in rows]


def generate(app: EJournal, events: int) -> dict[str, Any]:
    shapes = templates(app)
    started = time.perf_counter()
    written = len(shapes)
    while written < events:
        batch: list[StoredEvent] = []
        oid = uuid.uuid4()
        for _ in range(min(PER_TRANSACTION, events - written)):
            version = written % PER_AGGREGATE + 1
            if version == 1:
                oid = uuid.uuid4()
            topic, state = shapes[written % len(shapes)]
            batch.append(StoredEvent(originator_id=oid, originator_version=version,
                                     topic=topic, state=state))
            written += 1
        app.recorder.insert_events(batch)
    seconds = time.perf_counter() - started
    sizes = [len(state) for _, state in shapes]
    return {"events": app.store.head(), "templates": len(shapes), "seconds": seconds,
            "mean_state_bytes": sum(sizes) / len(sizes)}


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def baseline(chain: Chain) -> bytes:
    head = bytes(32)
    for rows in chain.log(0):
        for row in rows:
            head = hashlib.sha256(head + row[4]).digest()
    return head


def run_command(settings: Settings) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "EJOURNAL_DATABASE_URL": settings.database_url,
           "EJOURNAL_DATABASE_SCHEMA": settings.database_schema}
    return timed(lambda: subprocess.run(
        [sys.executable, "-m", "ejournal.cli", "verify", "--quiet"], env=env, text=True,
        capture_output=True, timeout=1800, check=False))


def edit_one(app: EJournal, settings: Settings, position: int) -> None:
    """Changes one byte of the state at ``position`` with SQL, behind the application."""
    engine = create_read_engine(settings, writer=True)
    lite = settings.database_url.startswith("sqlite")
    table = "stored_events" if lite else f'"{settings.database_schema}".ejournal_events'
    pos = "rowid" if lite else "notification_id"
    try:
        with engine.begin() as conn:
            conn.execute(text(f"UPDATE {table} SET state = state || :extra "
                              f"WHERE {pos} = :position"),
                         {"extra": b" ", "position": position})
    finally:
        engine.dispose()


def measure(app: EJournal, events: int) -> dict[str, Any]:
    load_before = os.getloadavg()
    settings = app.settings
    log = generate(app, events)
    n = int(log["events"])
    writer = create_read_engine(settings, writer=True)
    reader = create_read_engine(settings)
    try:
        follower = Follower(app.store, writer, reader)
        follower.setup()
        keep_s, _ = timed(follower.catch_up)
        chain = Chain(app.store, reader)
        # Twice each, interleaved, the best of each: the first pass reads a colder cache.
        base_s = verify_s = float("inf")
        for _ in range(2):
            base_s = min(base_s, timed(lambda: baseline(chain))[0])
            took, found = timed(lambda: verify(chain))
            verify_s = min(verify_s, took)
        assert found.broken is None, found
        assert found.compared == n, found
        command_s, done = run_command(settings)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.strip().endswith(found.head.sha256), done.stdout
        edit_one(app, settings, n // 2)
        caught_s, caught = run_command(settings)
        assert caught.returncode == 1, caught.stdout + caught.stderr
        assert f"the event at position {n // 2} was changed" in caught.stdout, caught.stdout
    finally:
        writer.dispose()
        reader.dispose()
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "code": subprocess.run(["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
                               capture_output=True, text=True, check=False).stdout.strip(),
        "cpu": platform.processor() or platform.machine(),
        "log": log,
        "keep": {"seconds": keep_s, "events_per_s": n / keep_s},
        "baseline": {"seconds": base_s, "events_per_s": n / base_s},
        "verify": {"seconds": verify_s, "events_per_s": n / verify_s,
                   "ratio_to_baseline": base_s / verify_s},
        "command": {"seconds": command_s, "events_per_s": n / command_s,
                    "output": done.stdout.strip()},
        "tampered": {"seconds": caught_s, "output": caught.stdout.strip()},
        "loadavg_1_5_15": {"before": load_before, "after": os.getloadavg()},
    }


def run_sqlite(events: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ejournal-bench-") as tmp:
        app = EJournal(Settings(database_url=f"sqlite:///{Path(tmp) / 'ejournal.db'}"),
                       clock=Clock(NOW))
        try:
            return measure(app, events)
        finally:
            app.close()


def run_postgres(events: int, pg_url: str) -> dict[str, Any]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    app: EJournal | None = None
    try:
        app = EJournal(Settings(database_url=pg_url, database_schema=schema), clock=Clock(NOW))
        return measure(app, events)
    finally:
        if app is not None:
            app.close()
        conninfo = pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(schema)))


def table(results: dict[str, dict[str, Any]]) -> str:
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("events in the log", lambda r: f"{r['log']['events']:,}"),
        ("mean state bytes", lambda r: f"{r['log']['mean_state_bytes']:.0f}"),
        ("generation (s)", lambda r: f"{r['log']['seconds']:.0f}"),
        ("follower keeps the chain (events/s)", lambda r: f"{r['keep']['events_per_s']:,.0f}"),
        ("baseline sha256 over rows (events/s)",
         lambda r: f"{r['baseline']['events_per_s']:,.0f}"),
        ("verify in-process (events/s)", lambda r: f"{r['verify']['events_per_s']:,.0f}"),
        ("  ratio verify / baseline", lambda r: f"{r['verify']['ratio_to_baseline']:.2f}"),
        ("ejournal verify, wall (s)", lambda r: f"{r['command']['seconds']:.1f}"),
        ("ejournal verify after an edit, wall (s)", lambda r: f"{r['tampered']['seconds']:.1f}"),
        ("load average before / after", lambda r: "{:.1f} / {:.1f}".format(
            r["loadavg_1_5_15"]["before"][0], r["loadavg_1_5_15"]["after"][0])),
    ]
    names = list(results)
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    lines += [f"| {label} | " + " | ".join(cell(results[n]) for n in names) + " |"
              for label, cell in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default=os.environ.get("EJOURNAL_BENCH_POSTGRES_URL",
                                                           DEFAULT_PG_URL))
    args = parser.parse_args()
    faulthandler.register(signal.SIGUSR1)  # kill -USR1 prints where a long run is
    results: dict[str, dict[str, Any]] = {}
    RESULTS.mkdir(exist_ok=True)
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        result = (run_sqlite(args.events) if db == "sqlite"
                  else run_postgres(args.events, args.pg_url))
        results[db] = result
        suffix = "" if args.events == 1_000_000 else f"-{args.events}"
        (RESULTS / f"ledger-{db}{suffix}.json").write_text(json.dumps(result, indent=2))
        print(f"{db}: verify {result['command']['seconds']:.1f} s", flush=True)
    print(table(results))


if __name__ == "__main__":
    main()
