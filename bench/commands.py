"""Journal command benchmark: throughput and latency of ``GiveMark`` through ``EJournal.execute``.

Run from the repository root (``tests.builders`` builds the school)::

    python -m bench.commands [--db sqlite|postgres|both] [--n N] [--reps R] [--samples S]

For each database, in one run:

1. **Throughput.** ``N`` ``give_mark`` commands through the application layer, sequential, one
   command per transaction, cycling over held lessons (30 students, one mark each, then the next
   lesson). Beside it, in the same run and through the same driver, the raw baseline: a bare
   single-row ``INSERT`` + ``COMMIT`` into a scratch table (SQLite: Python's ``sqlite3`` on a
   file in the same directory, opened as ``eventsourcing.sqlite`` opens its file; PostgreSQL:
   psycopg 3 to the same server, a table in the run's scratch schema). ``R`` repetitions of
   each, interleaved; medians and the ratio app/raw are reported.
2. **Latency.** The per-command latency of ``give_mark`` early in a journal's life (journal
   events #11-#30: fresh journals, one lesson each) and after ~2,000 events of ONE journal
   (69 lessons x 28 marks, built first), for the same command shape: a lesson held on the
   same date, 8 marks given untimed, then 20 timed marks (lesson versions 10-29). The two
   points are measured interleaved, lesson by lesson, so they share database size and
   background noise. ``S`` samples per point; p50, p90 and the ratio late/early of the p50.

The clock is fixed at 2026-11-25T09:00Z; lessons are on school days of the 2026/27 year up to
that date. PostgreSQL data lives in a fresh schema ``bench_<random>`` dropped at the end; SQLite
in a temporary directory. Results: a table on stdout and ``bench/results/commands-<db>.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from ejournal.application import EJournal
from ejournal.application.commands import EnrolStudent, GiveMark, HoldLesson, OpenClass, OpenJournal
from ejournal.domain.calendar import SchoolCalendar
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.school_class import MAX_SLOT
from ejournal.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
YEAR_START = date(2026, 9, 1)
STUDENTS = 30  # class size for the throughput journal (one mark each per lesson)
LESSON_MARKS = 28  # marks per lesson in the latency journals (28 of the 30 students)
UNTIMED_MARKS = 8  # marks given before the timed ones in each measured lesson
TIMED_MARKS = LESSON_MARKS - UNTIMED_MARKS
WORKS = ("oral", "oral", "written", "homework", "oral", "practical", "test")
VALUES = ("5", "4", "3", "4", "5", "2")
THROUGHPUT_WARMUP = 100
RAW_PAYLOAD = bytes(range(256)) + bytes(44)  # 300 bytes, about a MarkGiven event's state

THROUGHPUT_GOAL = 0.3
LATENCY_GOAL = 1.5


# --- the school ---------------------------------------------------------------------------


@dataclass
class Bench:
    """The school under test and a counter of every journal's events (its own + its lessons')."""

    app: EJournal
    school: Any  # tests.builders.SmallSchool
    days: list[date]
    events: dict[UUID, int] = field(default_factory=dict)
    classes: int = 0

    @property
    def students(self) -> list[UUID]:
        students: list[UUID] = self.school.students
        return students

    def new_journal(self) -> UUID:
        """Another class of the same students with its own maths journal (same shape as the
        first: same enrolments, same teacher, same school and year)."""
        s = self.school
        self.classes += 1
        # A year's classes have names of their own: 8К, 9К, 10К, 7К1, 8К1, ...
        name = f"{7 + self.classes % 4}К{self.classes // 4 or ''}"
        class_id = self.app.execute(OpenClass(s.admin, s.school, name=name, year_id=s.year,
                                              class_teacher_id=s.teacher)).id
        assert class_id is not None
        for kid in self.students:
            self.app.execute(EnrolStudent(s.admin, class_id, student_id=kid, from_date=YEAR_START))
        journal = self.app.execute(OpenJournal(s.admin, class_id=class_id, subject_id=s.subject,
                                               teacher_id=s.teacher)).id
        assert journal is not None
        self.events[journal] = 1
        return journal

    def hold(self, journal: UUID, day: date, slot: int) -> UUID:
        lesson = self.app.execute(HoldLesson(self.school.teacher, journal, lesson_date=day,
                                             slot=slot, topic=f"Тема {day:%d.%m} #{slot}",
                                             homework="§ 12, № 3-5"))
        assert lesson.id is not None
        self.events[journal] = self.events.get(journal, 1) + 1
        return lesson.id

    def mark(self, journal: UUID, lesson: UUID, index: int) -> None:
        self.app.execute(GiveMark(self.school.teacher, journal, lesson,
                                  student_id=self.students[index % len(self.students)],
                                  value=VALUES[index % len(VALUES)],
                                  work=WORKS[index % len(WORKS)]))
        self.events[journal] = self.events.get(journal, 1) + 1


def school_days(app: EJournal, school: Any) -> list[date]:
    """The year's school days from 1 September up to "now" (the app's own calendar)."""
    year = app.repository.get(school.year)
    where = app.repository.get(school.school)
    assert isinstance(year, AcademicYear)
    assert isinstance(where, School)
    calendar: SchoolCalendar = year.calendar(where)
    days = []
    day = YEAR_START
    while day <= NOW.date():
        if calendar.is_school_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def build(app: EJournal) -> Bench:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.builders import build_school

    school = build_school(app, students=STUDENTS, tag=uuid.uuid4().hex[:8])
    bench = Bench(app, school, school_days(app, school))
    bench.events[school.journal] = 1
    return bench


# --- 1. throughput ------------------------------------------------------------------------


class LessonSlots:
    """Free (journal, date, slot) places for throughput lessons: slot by slot over every school
    day (so the lessons' dates, and with them the lateness computations, spread over the
    term), then a further journal."""

    def __init__(self, bench: Bench, journal: UUID) -> None:
        self.bench = bench
        self._places = self._iterate(journal)

    def _iterate(self, journal: UUID) -> Iterator[tuple[UUID, date, int]]:
        while True:
            for slot in range(1, MAX_SLOT + 1):
                for day in self.bench.days:
                    yield journal, day, slot
            journal = self.bench.new_journal()

    def next(self) -> tuple[UUID, date, int]:
        return next(self._places)


def app_throughput(bench: Bench, slots: LessonSlots, n: int) -> float:
    """Hold enough lessons (untimed), then time ``n`` give_mark commands over them."""
    plan: list[tuple[UUID, UUID, int]] = []
    while len(plan) < n:
        journal, day, slot = slots.next()
        lesson = bench.hold(journal, day, slot)
        plan.extend((journal, lesson, i) for i in range(len(bench.students)))
    plan = plan[:n]
    execute = bench.app.execute
    teacher = bench.school.teacher
    students = bench.students
    started = time.perf_counter()
    for journal, lesson, i in plan:
        execute(GiveMark(teacher, journal, lesson, student_id=students[i],
                         value=VALUES[i % len(VALUES)], work=WORKS[i % len(WORKS)]))
    elapsed = time.perf_counter() - started
    for journal, _, _ in plan:
        bench.events[journal] += 1
    return n / elapsed


class RawSQLite:
    """A bare INSERT + COMMIT with the connection settings of ``eventsourcing.sqlite``:
    ``sqlite3.connect(uri=True, check_same_thread=False, isolation_level=None,
    cached_statements=True, timeout=...)``, ``PRAGMA journal_mode=WAL``, default
    ``synchronous``, and an explicit ``BEGIN`` then ``commit()`` per transaction."""

    def __init__(self, path: Path, timeout: int) -> None:
        self.conn = sqlite3.connect(database=str(path), uri=True, check_same_thread=False,
                                    isolation_level=None, cached_statements=True,
                                    timeout=timeout)
        cursor = self.conn.cursor()
        cursor.execute("PRAGMA journal_mode;")
        if cursor.fetchone()[0].lower() != "wal":
            cursor.execute("PRAGMA journal_mode=WAL;")
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("CREATE TABLE raw_insert (id INTEGER PRIMARY KEY, payload BLOB)")
        self.synchronous = int(self.conn.execute("PRAGMA synchronous").fetchone()[0])
        self.journal_mode = str(self.conn.execute("PRAGMA journal_mode").fetchone()[0])

    def run(self, n: int) -> float:
        conn = self.conn
        statement = "INSERT INTO raw_insert (payload) VALUES (?)"
        started = time.perf_counter()
        for _ in range(n):
            cursor = conn.cursor()
            cursor.execute("BEGIN")
            cursor.execute(statement, (RAW_PAYLOAD,))
            conn.commit()
        return n / (time.perf_counter() - started)

    def describe(self) -> dict[str, Any]:
        return {"driver": f"sqlite3 (SQLite {sqlite3.sqlite_version})",
                "journal_mode": self.journal_mode, "synchronous": self.synchronous,
                "statement": "BEGIN; INSERT INTO raw_insert (payload) VALUES (?); COMMIT",
                "payload_bytes": len(RAW_PAYLOAD)}

    def close(self) -> None:
        self.conn.close()


class RawPostgres:
    """A bare INSERT + COMMIT through psycopg 3, as ``eventsourcing.postgres`` connects
    (autocommit connection, explicit transaction block, prepared statement)."""

    def __init__(self, conninfo: str, schema: str) -> None:
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.table = sql.Identifier(schema, "raw_insert")
        self.conn.execute(sql.SQL("CREATE TABLE {} (id BIGSERIAL PRIMARY KEY, payload BYTEA)")
                          .format(self.table))
        self.settings = {
            name: str(self.conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name)))
                      .fetchone()[0])  # type: ignore[index]
            for name in ("server_version", "fsync", "synchronous_commit", "wal_sync_method")
        }

    def run(self, n: int) -> float:
        conn = self.conn
        statement = sql.SQL("INSERT INTO {} (payload) VALUES (%s)").format(self.table)
        started = time.perf_counter()
        for _ in range(n):
            with conn.transaction():
                conn.execute(statement, (RAW_PAYLOAD,), prepare=True)
        return n / (time.perf_counter() - started)

    def describe(self) -> dict[str, Any]:
        return {"driver": f"psycopg {version('psycopg')}", **self.settings,
                "statement": "BEGIN; INSERT INTO <scratch>.raw_insert (payload) VALUES (%s); "
                             "COMMIT",
                "payload_bytes": len(RAW_PAYLOAD)}

    def close(self) -> None:
        self.conn.close()


def throughput(bench: Bench, raw: RawSQLite | RawPostgres, n: int, reps: int) -> dict[str, Any]:
    slots = LessonSlots(bench, bench.school.journal)
    app_throughput(bench, slots, THROUGHPUT_WARMUP)
    raw.run(THROUGHPUT_WARMUP)
    app_runs: list[float] = []
    raw_runs: list[float] = []
    for rep in range(reps):
        raw_runs.append(raw.run(n))
        app_runs.append(app_throughput(bench, slots, n))
        print(f"    rep {rep + 1}/{reps}: app {app_runs[-1]:8.1f}/s   raw {raw_runs[-1]:8.1f}/s",
              flush=True)
    app_median = statistics.median(app_runs)
    raw_median = statistics.median(raw_runs)
    ratio = app_median / raw_median
    return {
        "commands": n, "repetitions": reps, "warmup": THROUGHPUT_WARMUP,
        "app_per_s": app_runs, "raw_per_s": raw_runs,
        "app_median_per_s": app_median, "raw_median_per_s": raw_median,
        "app_median_ms": 1000 / app_median, "raw_median_ms": 1000 / raw_median,
        "ratio": ratio, "goal": THROUGHPUT_GOAL, "meets_goal": ratio >= THROUGHPUT_GOAL,
        "raw": raw.describe(),
    }


# --- 2. latency ---------------------------------------------------------------------------


def timed_lesson(bench: Bench, journal: UUID, day: date) -> tuple[list[float], list[int]]:
    """One lesson of LESSON_MARKS marks; the last TIMED_MARKS are timed. Returns the
    latencies (s) and the journal event number each timed command wrote."""
    lesson = bench.hold(journal, day, 1)
    latencies: list[float] = []
    numbers: list[int] = []
    for i in range(LESSON_MARKS):
        started = time.perf_counter()
        bench.mark(journal, lesson, i)
        elapsed = time.perf_counter() - started
        if i >= UNTIMED_MARKS:
            latencies.append(elapsed)
            numbers.append(bench.events[journal])
    return latencies, numbers


def summary(latencies: list[float], numbers: list[int]) -> dict[str, Any]:
    ms = sorted(x * 1000 for x in latencies)
    return {
        "samples": len(ms), "journal_events": [min(numbers), max(numbers)],
        "p50_ms": statistics.median(ms),
        "p90_ms": ms[min(len(ms) - 1, math.ceil(0.9 * len(ms)) - 1)],
        "mean_ms": statistics.fmean(ms), "min_ms": ms[0], "max_ms": ms[-1],
    }


def latency(bench: Bench, samples: int, history: int) -> dict[str, Any]:
    lessons = math.ceil(samples / TIMED_MARKS)
    # The measured lessons sit on the last school days before "now" (slot 1) at both points;
    # the history lessons fill the days before them.
    measured_days = bench.days[-lessons:]
    earlier_days = bench.days[:-lessons]

    # History first: ONE journal grows to ~``history`` events (lessons of LESSON_MARKS marks).
    big = bench.new_journal()
    history_lessons = math.ceil((history - 1) / (LESSON_MARKS + 1))
    per_day = math.ceil(history_lessons / len(earlier_days))
    if per_day > MAX_SLOT - 1:
        raise SystemExit(f"--history {history} does not fit into the term's lessons")
    places = [(day, slot) for day in earlier_days for slot in range(2, 2 + per_day)]
    for day, slot in places[:history_lessons]:
        lesson = bench.hold(big, day, slot)
        for i in range(LESSON_MARKS):
            bench.mark(big, lesson, i)
    history_events = bench.events[big]

    # Then the two points, interleaved lesson by lesson (early, late, late, early, ...), so
    # both see the same database size and the same background noise: the early lesson in a
    # fresh journal (its events #11-#30), the late one in the big journal, on the same date.
    early: tuple[list[float], list[int]] = ([], [])
    late: tuple[list[float], list[int]] = ([], [])
    for k, day in enumerate(measured_days):
        fresh = bench.new_journal()
        order = [(fresh, early), (big, late)]
        for journal, into in (order if k % 2 == 0 else order[::-1]):
            lat, num = timed_lesson(bench, journal, day)
            into[0].extend(lat)
            into[1].extend(num)

    early_s = summary(*early)
    late_s = summary(*late)
    ratio = late_s["p50_ms"] / early_s["p50_ms"]
    return {
        "shape": {"lesson_marks": LESSON_MARKS, "untimed_marks": UNTIMED_MARKS,
                  "timed_marks_per_lesson": TIMED_MARKS, "lessons_per_point": lessons,
                  "lesson_dates": [measured_days[0].isoformat(),
                                   measured_days[-1].isoformat()],
                  "history_lessons": history_lessons, "history_events": history_events},
        "early": early_s, "late": late_s,
        "ratio_p50": ratio, "goal": LATENCY_GOAL, "meets_goal": ratio <= LATENCY_GOAL,
    }


# --- a run per database --------------------------------------------------------------------


def code_version() -> str:
    """The commit measured (``-dirty`` when ``src/`` or ``tests/builders.py`` differ from it)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,  # noqa: S607
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no",  # noqa: S607
                                "--", "src", "tests/builders.py"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty.strip() else "")


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": model, "platform": platform.platform(),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "eventsourcing": version("eventsourcing"), "psycopg": version("psycopg")}


def run_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ejournal-bench-") as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/ejournal.db")
        app = EJournal(settings, clock=lambda: NOW)
        raw = RawSQLite(Path(tmp) / "raw.db", settings.lock_timeout)
        try:
            return measure(app, raw, args)
        finally:
            raw.close()
            app.close()


def run_postgres(args: argparse.Namespace) -> dict[str, Any]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    conninfo = args.pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
    app: EJournal | None = None
    raw: RawPostgres | None = None
    try:
        app = EJournal(Settings(database_url=args.pg_url, database_schema=schema),
                       clock=lambda: NOW)
        raw = RawPostgres(conninfo, schema)
        result = measure(app, raw, args)
        result["schema"] = schema
        return result
    finally:
        if raw is not None:
            raw.close()
        if app is not None:
            app.close()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
                         .format(sql.Identifier(schema)))


def measure(app: EJournal, raw: RawSQLite | RawPostgres, args: argparse.Namespace
            ) -> dict[str, Any]:
    started = time.perf_counter()
    load_before = os.getloadavg()
    bench = build(app)
    print(f"  throughput: {args.n} give_mark x {args.reps} (+{THROUGHPUT_WARMUP} warm-up)",
          flush=True)
    tp = throughput(bench, raw, args.n, args.reps)
    print(f"  latency: {args.samples} samples at a fresh journal and after {args.history} "
          "events", flush=True)
    lt = latency(bench, args.samples, args.history)
    return {"throughput": tp, "latency": lt,
            "elapsed_s": round(time.perf_counter() - started, 1),
            "loadavg_1_5_15": {"before": load_before, "after": os.getloadavg()}}


def table(results: dict[str, dict[str, Any]]) -> str:
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("app give_mark commands/s (median)",
         lambda r: f"{r['throughput']['app_median_per_s']:.0f}"),
        ("raw INSERT+COMMIT/s (median)",
         lambda r: f"{r['throughput']['raw_median_per_s']:.0f}"),
        (f"ratio app/raw (goal >= {THROUGHPUT_GOAL})",
         lambda r: f"{r['throughput']['ratio']:.3f}"),
        ("give_mark p50, early point (ms)",
         lambda r: f"{r['latency']['early']['p50_ms']:.2f}"),
        ("  journal events written (early)",
         lambda r: "#{}-#{}".format(*r["latency"]["early"]["journal_events"])),
        ("give_mark p50, late point (ms)",
         lambda r: f"{r['latency']['late']['p50_ms']:.2f}"),
        ("  journal events written (late)",
         lambda r: "#{}-#{}".format(*r["latency"]["late"]["journal_events"])),
        (f"ratio late/early p50 (goal <= {LATENCY_GOAL})",
         lambda r: f"{r['latency']['ratio_p50']:.3f}"),
        ("give_mark p90 early / late (ms)",
         lambda r: f"{r['latency']['early']['p90_ms']:.2f} / "
                   f"{r['latency']['late']['p90_ms']:.2f}"),
        ("run time (s)", lambda r: f"{r['elapsed_s']:.0f}"),
        ("load average (1 min) before / after",
         lambda r: f"{r['loadavg_1_5_15']['before'][0]:.1f} / "
                   f"{r['loadavg_1_5_15']['after'][0]:.1f}"),
    ]
    dbs = list(results)
    width = max(len(name) for name, _ in rows)
    lines = [f"{'':{width}}" + "".join(f"  {db:>16}" for db in dbs)]
    for name, cell in rows:
        lines.append(f"{name:{width}}" + "".join(f"  {cell(results[db]):>16}" for db in dbs))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.commands", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--n", type=int, default=2000,
                        help="give_mark commands per throughput repetition (default 2000)")
    parser.add_argument("--reps", type=int, default=3,
                        help="throughput repetitions; the median is reported (default 3)")
    parser.add_argument("--samples", type=int, default=200,
                        help="latency samples at each point (default 200)")
    parser.add_argument("--history", type=int, default=2000,
                        help="journal events before the late latency point (default 2000)")
    parser.add_argument("--pg-url", default=os.environ.get("EJOURNAL_BENCH_POSTGRES_URL",
                                                           DEFAULT_PG_URL))
    args = parser.parse_args(argv)
    if args.n < 1 or args.reps < 1 or args.samples < 1 or args.history < 1:
        parser.error("--n, --reps, --samples and --history are positive")

    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    RESULTS.mkdir(parents=True, exist_ok=True)
    when = datetime.now(tz=UTC)
    about = machine()
    code = code_version()
    results: dict[str, dict[str, Any]] = {}
    for db in dbs:
        print(f"{db}:", flush=True)
        result = run_sqlite(args) if db == "sqlite" else run_postgres(args)
        result = {"db": db, "date": when.isoformat(timespec="seconds"), "machine": about,
                  "code": code, "aggregate_cache_size": Settings().aggregate_cache_size,
                  "command": " ".join(["python -m bench.commands",
                                       *(sys.argv[1:] if argv is None else argv)]),
                  "parameters": {"n": args.n, "reps": args.reps, "samples": args.samples,
                                 "history": args.history, "clock": NOW.isoformat()},
                  **result}
        results[db] = result
        out = RESULTS / f"commands-{db}.json"
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                       encoding="utf-8")
        print(f"  -> {out.relative_to(ROOT)}", flush=True)
    print()
    print(f"{when:%Y-%m-%d %H:%M} UTC, {about['cores']} cores, {about['cpu']}, "
          f"Python {about['python']}, eventsourcing {about['eventsourcing']}, code {code}, "
          f"aggregate cache {Settings().aggregate_cache_size}")
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
