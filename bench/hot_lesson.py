"""One hot lesson in process: what a write costs when many threads mark ONE lesson, against
the same threads each marking a lesson of its own, counted rather than timed.

Run from the repository root (``tests.builders`` builds the school)::

    python -m bench.hot_lesson [--db sqlite|postgres|both] [--threads 32] [--marks 10]

For each database, one ``EJournal`` (the server's application, without HTTP) and ``--threads``
threads, started together, each giving ``--marks`` marks: first all on one lesson (each thread
its own student), then each thread on a lesson of its own. Counted per 100 marks written:

- **transactions**: the event store's transactions the group commit tried (joint and alone),
  and how many of them failed (a conflict rolls the whole transaction back);
- **decisions**: the command's handler runs (a write that lost a race decides again);
- **statements** (PostgreSQL): every statement sent (each a round trip, the commit included);
- the process's CPU time per mark, the groups' sizes, and marks/s (wall time: noise on a
  shared machine, for orientation only).

Every mark must be recorded exactly once (checked against the lesson's events). The clock is
fixed; PostgreSQL data lives in a fresh schema dropped at the end, SQLite in a temporary
directory. Output: a table on stdout and ``bench/results/hot-lesson-<db>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from tests.builders import build_school

from ejournal.application import EJournal
from ejournal.application.commands import GiveMark, HoldLesson
from ejournal.application.handlers import HANDLERS
from ejournal.domain.lesson import Lesson
from ejournal.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
FIRST_DAY = date(2026, 11, 16)
SLOTS = 6


class Counts:
    """Transactions, decisions and statements, counted while ``watching``."""

    def __init__(self, app: EJournal) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.counter: Counter[str] = Counter()
        group = app.group_commit
        one, many = group._record_one, group._record_events
        handler = HANDLERS[GiveMark]

        def counted(name: str, call: Callable[..., Any]) -> Callable[..., Any]:
            def run(*args: Any, **kwargs: Any) -> Any:
                self.add(name)
                try:
                    return call(*args, **kwargs)
                except Exception:
                    self.add(name + " failed")
                    raise
            return run

        group._record_one = counted("transactions", one)
        group._record_events = counted("transactions", many)
        HANDLERS[GiveMark] = counted("decisions", handler)
        self._handler = handler

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counter[name] += n

    def close(self) -> None:
        HANDLERS[GiveMark] = self._handler


@contextmanager
def statements_counted(counts: Counts) -> Iterator[None]:
    """Every psycopg statement (and commit) while inside, as a round trip each."""
    execute, commit = psycopg.Cursor.execute, psycopg.Connection.commit

    def counted_execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts.add("statements")
        return execute(self, *args, **kwargs)

    def counted_commit(self: Any) -> Any:
        counts.add("statements")
        return commit(self)

    psycopg.Cursor.execute = counted_execute  # type: ignore[method-assign]
    psycopg.Connection.commit = counted_commit  # type: ignore[method-assign]
    try:
        yield
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
        psycopg.Connection.commit = commit  # type: ignore[method-assign]


def phase(app: EJournal, counts: Counts, school: Any, lessons: list[UUID],
          marks: int) -> dict[str, Any]:
    """Each thread marks ``lessons[i]`` (all the same lesson, or one each) ``marks`` times."""
    threads = len(lessons)
    start = threading.Barrier(threads)
    written: list[list[str]] = [[] for _ in range(threads)]
    failures: list[BaseException] = []
    groups_before = dict(app.group_commit.groups)

    def write(i: int) -> None:
        try:
            start.wait(timeout=120)
            for n in range(marks):
                result = app.execute(GiveMark(school.teacher, school.journal, lessons[i],
                                              student_id=school.students[i],
                                              value="2345"[n % 4], work="oral"))
                written[i].append(str(result.id))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
            start.abort()

    counts.counter.clear()
    workers = [threading.Thread(target=write, args=(i,)) for i in range(threads)]
    began, cpu = time.perf_counter(), time.process_time()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=600)
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    if failures:
        raise RuntimeError(f"{len(failures)} writers failed: {failures[0]!r}")
    ids = {m for mine in written for m in mine}
    recorded: set[str] = set()
    for lesson_id in set(lessons):
        lesson = app.repository.get(lesson_id)
        assert isinstance(lesson, Lesson)
        recorded |= {str(m) for m in lesson.marks}
    if len(ids) != threads * marks or not ids <= recorded:
        raise RuntimeError(f"{threads * marks} marks answered, {len(ids)} ids, "
                           f"{len(ids - recorded)} not recorded")
    total = threads * marks
    groups = {k: v - groups_before.get(k, 0) for k, v in app.group_commit.groups.items()
              if v - groups_before.get(k, 0)}
    per100 = {name: round(100 * n / total, 1) for name, n in sorted(counts.counter.items())}
    return {"marks": total, "seconds": round(elapsed, 2), "marks_per_s": round(total / elapsed),
            "cpu_ms_per_mark": round(1000 * cpu / total, 2),
            "per_100_marks": per100, "groups": dict(sorted(groups.items()))}


def measure(app: EJournal, args: argparse.Namespace, postgres: bool) -> dict[str, Any]:
    school = build_school(app, students=args.threads)
    lessons = []
    for n in range(args.threads + 1):
        day = FIRST_DAY + timedelta(days=n // SLOTS)
        if day.weekday() >= 5:
            day += timedelta(days=2)
        held = app.execute(HoldLesson(school.teacher, school.journal, lesson_date=day,
                                      slot=1 + n % SLOTS, topic="Т"))
        assert held.id is not None
        lessons.append(held.id)
    counts = Counts(app)
    try:
        with statements_counted(counts) if postgres else _nothing():
            hot = phase(app, counts, school, [lessons[0]] * args.threads, args.marks)
            spread = phase(app, counts, school, lessons[1:], args.marks)
    finally:
        counts.close()
    return {"threads": args.threads, "marks_each": args.marks, "hot": hot, "spread": spread,
            "load_average": os.getloadavg()}


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def run(db: str, args: argparse.Namespace) -> dict[str, Any]:
    if db == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ejournal-hot-") as tmp:
            app = EJournal(Settings(database_url=f"sqlite:///{tmp}/ejournal.db"),
                           clock=lambda: NOW)
            try:
                return measure(app, args, postgres=False)
            finally:
                app.close()
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    conninfo = args.pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        app = EJournal(Settings(database_url=args.pg_url, database_schema=schema),
                       clock=lambda: NOW)
        try:
            return measure(app, args, postgres=True)
        finally:
            app.close()
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
                         .format(sql.Identifier(schema)))


def table(db: str, result: dict[str, Any]) -> str:
    rows = [f"{db}: {result['threads']} threads x {result['marks_each']} marks, "
            f"load average {result['load_average'][0]:.1f}",
            f"{'':>24} {'one lesson':>12} {'a lesson each':>14}"]
    hot, spread = result["hot"], result["spread"]
    names = sorted(set(hot["per_100_marks"]) | set(spread["per_100_marks"]))
    for name in names:
        rows.append(f"{name + ' /100 marks':>24} {hot['per_100_marks'].get(name, 0):>12} "
                    f"{spread['per_100_marks'].get(name, 0):>14}")
    rows.append(f"{'CPU ms/mark (process)':>24} {hot['cpu_ms_per_mark']:>12} "
                f"{spread['cpu_ms_per_mark']:>14}")
    rows.append(f"{'marks/s (noise)':>24} {hot['marks_per_s']:>12} {spread['marks_per_s']:>14}")
    rows.append(f"{'groups (size: n)':>24} {hot['groups']}  |  {spread['groups']}")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--marks", type=int, default=10, help="marks per thread and phase")
    parser.add_argument("--pg-url", default=os.environ.get("EJOURNAL_BENCH_POSTGRES_URL",
                                                          DEFAULT_PG_URL))
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    for db in (("sqlite", "postgres") if args.db == "both" else (args.db,)):
        print(f"{db}: building a school, then {args.threads} threads ...", flush=True)
        result = run(db, args)
        (RESULTS / f"hot-lesson-{db}.json").write_text(json.dumps(result, indent=2))
        print(table(db, result), flush=True)


if __name__ == "__main__":
    main()
