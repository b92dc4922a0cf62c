"""Compliance scheduler benchmark: the cost of one nightly run per school day
checked, at 10% and at 100% of a school year.

Run from the repository root::

    python -m bench.scheduler [--db sqlite|postgres|both] [--scale 1.0] [--nights 14]

For each database, in one run:

0. **A school year** from ``bench.rebuild.SchoolYear`` (imported, unchanged): at ``--scale 1.0``
   one school of 40 classes x 25 students (1,000 students), 15 subjects, 600 journals, a
   30-lesson weekly timetable per class, lessons on every school day of 2026-09-01..2027-05-25
   with attendance, 4-6 marks a lesson (one lesson in eight written work, marked 1-6 days
   later: most of the class never gets a written mark, so those lessons yield R-6.1d
   findings), a few lessons recorded late (R-4.5 findings), period marks at each quarter's end.
1. **10% of the year.** The first 10% of the school days are generated (and a week beyond, so
   that the checked nights see what a teacher entered in the following days, as at 100%). The
   scheduler's runner (``ComplianceRunner``, its own application and its own projector of the
   ``overdue`` read model) brings the read model up to date, then catches up every day before
   the window (one run, timed: ms per day), then runs **one nightly run per night** of the
   ``--nights`` calendar days up to the cut, each at 00:30 school-local after its day - the
   same call the APScheduler job makes (``run_school``: read-model refresh, the day's check,
   recording the findings with the day, resolutions) - each timed.
2. **100% of the year.** The rest of the year is generated; the runner brings the read model up
   to date and catches up every day up to the window before the last school day (timed: ms per
   day), then the same nightly runs for the ``--nights`` calendar days before the last school
   day (so that no period ends inside either window).

Reported: per night the wall-clock and CPU milliseconds of the run (and of the check alone -
read and decide, nothing written - the best of 3), the lesson ids the check asked about and
the lessons it loaded (they do not depend on the size of the log), the findings; median and
p90 over the school days of each window, and the ratio 100%/10% of the medians (goal: flat,
about 1 - the check of one day must not rescan the year). At 100% also the check alone of the
10% window's school days again (the same lessons and findings with ten times the log: the most
direct comparison on a shared machine), and the two endpoints' reads: the whole year's
timeliness report and the first page of the overdue list. PostgreSQL data lives in a
fresh schema ``bench_<random>`` dropped at the end; SQLite in a temporary directory. Results: a
table on stdout and ``bench/results/scheduler-<db>.json`` (``scheduler-<db>-scale<S>.json``
for another ``--scale``).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench.commands import code_version, machine
from bench.rebuild import DEFAULT_PG_URL, RESULTS, ROOT, SEED, TIMEZONE, SchoolYear, at_local
from ejournal.application import EJournal
from ejournal.projections.findings import read_overdue, read_timeliness
from ejournal.scheduler import checks
from ejournal.scheduler.runner import ComplianceRunner
from ejournal.settings import Settings

EARLY_SHARE = 0.10
AHEAD = timedelta(days=7)  # generated beyond the 10% window's last night


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 8, 31, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def catch_up(runner: ComplianceRunner, clock: Clock, school: uuid.UUID, until: date
             ) -> dict[str, Any]:
    """One run that checks every day not yet checked before ``until``."""
    clock.now = at_local(until, 0, 30)
    started = time.perf_counter()
    run = runner.run_school(school, clock.now)
    seconds = time.perf_counter() - started
    return {"days": len(run.days), "seconds": round(seconds, 2),
            "ms_per_day": 1000 * seconds / len(run.days) if run.days else None,
            "new_findings": len(run.new), "resolved": run.resolved}


def nights(runner: ComplianceRunner, clock: Clock, year: SchoolYear, last: date,
           count: int) -> dict[str, Any]:
    """The nightly runs after each of the ``count`` calendar days up to ``last``."""
    school = year.school.id
    window = [last - timedelta(days=n) for n in range(count - 1, -1, -1)]
    before = catch_up(runner, clock, school, window[0])
    rows: list[dict[str, Any]] = []
    for day in window:
        state = runner.state(school)
        assert state is not None
        wanted = checks.wanted(state, day)
        held_ids = runner.app.existing(wanted.lessons)
        held = len(held_ids)
        # What the check reads from the log: those lessons' events (a count, not a timing).
        events_read = len(runner.app.store.events(sorted(held_ids)))
        check_ms, check_cpu_ms, calls = check_alone(runner, day)
        clock.now = at_local(day + timedelta(days=1), 0, 30)
        started, cpu = time.perf_counter(), time.process_time()
        run = runner.run_school(school, clock.now)
        ms = 1000 * (time.perf_counter() - started)
        cpu_ms = 1000 * (time.process_time() - cpu)
        assert run.days == [day], (run.days, day)
        rows.append({"day": day.isoformat(), "school_day": year.calendar.is_school_day(day),
                     "ms": round(ms, 1), "cpu_ms": round(cpu_ms, 1),
                     "check_ms": round(check_ms, 1), "check_cpu_ms": round(check_cpu_ms, 1),
                     "check_calls": calls,
                     "lesson_ids_asked": len(wanted.lessons), "lessons_loaded": held,
                     "events_read": events_read,
                     "period_marks_asked": len(wanted.period_marks),
                     "findings": len(run.findings), "new": len(run.new),
                     "resolved": run.resolved})
        print(f"    night after {day} ({'school day' if rows[-1]['school_day'] else 'day off'})"
              f": run {ms:7.1f} ms ({cpu_ms:7.1f} CPU), check alone {check_ms:6.1f} ms "
              f"({check_cpu_ms:6.1f} CPU), {held} lessons loaded, {len(run.findings)} findings",
              flush=True)
    taught = [r for r in rows if r["school_day"]]

    def median(key: str, chosen: list[dict[str, Any]]) -> float:
        return statistics.median(float(r[key]) for r in chosen)

    return {"catch_up_before": before, "nights": rows, "school_days": len(taught),
            "median_ms": median("ms", taught),
            "p90_ms": percentile([float(r["ms"]) for r in taught], 0.9),
            "median_cpu_ms": median("cpu_ms", taught),
            "median_check_cpu_ms": median("check_cpu_ms", taught),
            "median_check_ms": median("check_ms", taught),
            "p90_check_ms": percentile([float(r["check_ms"]) for r in taught], 0.9),
            "median_ms_all_nights": median("ms", rows),
            "median_findings": median("findings", taught),
            "median_lessons_loaded": median("lessons_loaded", taught),
            "median_events_read": median("events_read", taught),
            "median_lesson_ids_asked": median("lesson_ids_asked", taught)}


def check_alone(runner: ComplianceRunner, day: date, repeat: int = 3
                ) -> tuple[float, float, int]:
    """The check of one day alone (read and decide, nothing written): the best of ``repeat``
    wall-clock and CPU milliseconds (the machine is shared; the best is the least disturbed),
    and the Python function calls it makes (once more, under cProfile: a count that no other
    process's load changes)."""
    state = runner.state(runner_school(runner))
    assert state is not None
    wall, cpu = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        runner.findings_of(state, day)
        wall.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.process_time() - cpu_started))
    profiler = cProfile.Profile()
    profiler.enable()
    runner.findings_of(state, day)
    profiler.disable()
    calls: int = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
    return min(wall), min(cpu), calls


def runner_school(runner: ComplianceRunner) -> uuid.UUID:
    (school,) = runner.schools()
    return school


def same_days(runner: ComplianceRunner, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The check alone of the 10% window's school days again, with the whole year in the log:
    the same lessons and findings, ten times the log."""
    again = []
    for row in rows:
        if row["school_day"]:
            ms, cpu_ms, calls = check_alone(runner, date.fromisoformat(row["day"]))
            again.append({"day": row["day"], "check_ms": round(ms, 1),
                          "check_cpu_ms": round(cpu_ms, 1), "check_calls": calls,
                          "at_10_check_ms": row["check_ms"],
                          "at_10_check_cpu_ms": row["check_cpu_ms"],
                          "at_10_check_calls": row["check_calls"]})
    return {"days": again,
            "calls_at_10": sum(r["at_10_check_calls"] for r in again),
            "calls_at_100": sum(r["check_calls"] for r in again),
            "ratio_check_ms": statistics.median(r["check_ms"] / r["at_10_check_ms"]
                                                for r in again),
            "ratio_check_cpu_ms": statistics.median(r["check_cpu_ms"] / r["at_10_check_cpu_ms"]
                                                    for r in again)}


def refreshed(runner: ComplianceRunner) -> dict[str, Any]:
    started = time.perf_counter()
    before = runner.projector.position()
    runner.refresh()
    seconds = time.perf_counter() - started
    events = runner.projector.position() - before
    return {"events": events, "seconds": round(seconds, 2),
            "events_per_s": events / seconds if seconds else None}


def report_reads(runner: ComplianceRunner, school: uuid.UUID, first: date, last: date,
                 repeat: int = 5) -> dict[str, Any]:
    """What the two endpoints read at 100%: the whole year's timeliness report and the first
    page (1,000) of the overdue list, median of ``repeat`` reads."""
    timings: dict[str, list[float]] = {"timeliness_year_ms": [], "overdue_first_page_ms": []}
    rows = items = 0
    for _ in range(repeat):
        with runner.projector.reader.connect() as conn:
            started = time.perf_counter()
            rows = len(read_timeliness(conn, school, first, last))
            timings["timeliness_year_ms"].append(1000 * (time.perf_counter() - started))
            started = time.perf_counter()
            items = len(read_overdue(conn, school, first=first, last=last, limit=1001))
            timings["overdue_first_page_ms"].append(1000 * (time.perf_counter() - started))
    return {**{k: round(statistics.median(v), 1) for k, v in timings.items()},
            "timeliness_rows": rows, "overdue_items": items}


def measure(app: EJournal, args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    load_before = os.getloadavg()
    print(f"  a school year at scale {args.scale}", flush=True)
    year = SchoolYear(app, args.scale, args.seed)
    days = year.school_days()
    early_cut = days[max(1, math.ceil(EARLY_SHARE * len(days))) - 1]
    year.run_until(early_cut + AHEAD)
    early_events = app.recorder.max_notification_id() or 0
    print(f"  generated {early_events:,} events up to {early_cut + AHEAD}", flush=True)

    clock = Clock()
    runner = ComplianceRunner.open(app.settings, clock=clock)
    try:
        projection_early = refreshed(runner)
        print(f"  overdue read model: {projection_early['events']:,} events in "
              f"{projection_early['seconds']} s", flush=True)
        print(f"  nights up to {early_cut} (10% of the school days)", flush=True)
        early = nights(runner, clock, year, early_cut, args.nights)
        print(f"    catch-up before: {early['catch_up_before']}", flush=True)

        year.finish()
        head = app.recorder.max_notification_id() or 0
        print(f"  generated {head - early_events:,} more events, {head:,} in all", flush=True)
        projection_full = refreshed(runner)
        print(f"  overdue read model: {projection_full['events']:,} more events in "
              f"{projection_full['seconds']} s", flush=True)
        late_cut = days[-2]
        print(f"  nights up to {late_cut} (100%)", flush=True)
        late = nights(runner, clock, year, late_cut, args.nights)
        print(f"    catch-up before: {late['catch_up_before']}", flush=True)
        findings = runner.app.recorder.select_notifications(
            start=1, limit=10_000_000, topics=["ejournal.domain.findings:MissingEntry.Found"])
        again = same_days(runner, early["nights"])
        print(f"  the 10% window's days checked again at 100%: check alone x"
              f"{again['ratio_check_ms']:.2f} (CPU x{again['ratio_check_cpu_ms']:.2f})",
              flush=True)
        reads = report_reads(runner, year.school.id, days[0], days[-1])
        print(f"  reads at 100%: {reads}", flush=True)
    finally:
        runner.close()
    return {
        "log": {"events_early": early_events, "events_full": head,
                "school_days": len(days), "early_cut_day": early_cut.isoformat(),
                "early_school_days": days.index(early_cut) + 1,
                "late_cut_day": late_cut.isoformat(), "classes": len(year.classes),
                "students": len(year.students),
                "journals": sum(len(k.journals) for k in year.classes),
                "findings_recorded": len(findings)},
        "generation": year.stats.as_dict(),
        "overdue_read_model": {"early": projection_early, "full": projection_full},
        "at_10": early, "at_100": late, "same_days_at_100": again, "reads_at_100": reads,
        "ratio_median": late["median_ms"] / early["median_ms"],
        "ratio_median_check": late["median_check_ms"] / early["median_check_ms"],
        "ratio_median_cpu": late["median_cpu_ms"] / early["median_cpu_ms"],
        "elapsed_s": round(time.perf_counter() - started, 1),
        "loadavg_1_5_15": {"before": load_before, "after": os.getloadavg()},
    }


def run_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ejournal-bench-") as tmp:
        app = EJournal(Settings(database_url=f"sqlite:///{Path(tmp) / 'ejournal.db'}"))
        try:
            return measure(app, args)
        finally:
            app.close()


def run_postgres(args: argparse.Namespace) -> dict[str, Any]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    conninfo = args.pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
    app: EJournal | None = None
    try:
        app = EJournal(Settings(database_url=args.pg_url, database_schema=schema))
        result = measure(app, args)
        result["schema"] = schema
        return result
    finally:
        if app is not None:
            app.close()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
                         .format(sql.Identifier(schema)))


def table(results: dict[str, dict[str, Any]]) -> str:
    names = list(results)
    rows: list[tuple[str, ...]] = [("", *names), ("---", *("---:" for _ in names))]

    def add(label: str, fn: Any) -> None:
        rows.append((label, *(fn(results[n]) for n in names)))

    add("events in the log at 10% / 100%", lambda r: f"{r['log']['events_early']:,} / "
                                                     f"{r['log']['events_full']:,}")
    add("nightly run per school day at 10%: median (p90) ms",
        lambda r: f"{r['at_10']['median_ms']:.0f} ({r['at_10']['p90_ms']:.0f})")
    add("nightly run per school day at 100%: median (p90) ms",
        lambda r: f"{r['at_100']['median_ms']:.0f} ({r['at_100']['p90_ms']:.0f})")
    add("ratio 100% / 10% of the medians (goal: ~1, flat)",
        lambda r: f"{r['ratio_median']:.2f}")
    add("the same in CPU time of this process: median ms at 10% / 100% (ratio)",
        lambda r: f"{r['at_10']['median_cpu_ms']:.0f} / {r['at_100']['median_cpu_ms']:.0f} "
                  f"({r['ratio_median_cpu']:.2f})")
    add("the check alone (read + decide, best of 3) at 10% / 100%: median ms",
        lambda r: f"{r['at_10']['median_check_ms']:.0f} / {r['at_100']['median_check_ms']:.0f}")
    add("ratio 100% / 10%, the check alone", lambda r: f"{r['ratio_median_check']:.2f}")
    add("the 10% window's days checked again at 100%: ratio, wall (CPU)",
        lambda r: f"{r['same_days_at_100']['ratio_check_ms']:.2f} "
                  f"({r['same_days_at_100']['ratio_check_cpu_ms']:.2f})")
    add("... their Python function calls at 10% / 100% (cProfile, all those days)",
        lambda r: f"{r['same_days_at_100']['calls_at_10']:,} / "
                  f"{r['same_days_at_100']['calls_at_100']:,}")
    add("findings per school day (median, 10% / 100%)",
        lambda r: f"{r['at_10']['median_findings']:.0f} / "
                  f"{r['at_100']['median_findings']:.0f}")
    add("lesson ids asked / lessons loaded per school day (median, 10% | 100%)",
        lambda r: f"{r['at_10']['median_lesson_ids_asked']:.0f} / "
                  f"{r['at_10']['median_lessons_loaded']:.0f} | "
                  f"{r['at_100']['median_lesson_ids_asked']:.0f} / "
                  f"{r['at_100']['median_lessons_loaded']:.0f}")
    add("catch-up before the 100% window (days, ms per day)",
        lambda r: f"{r['at_100']['catch_up_before']['days']}, "
                  f"{r['at_100']['catch_up_before']['ms_per_day']:.0f}")
    add("events of the log read per school day (median, 10% / 100%)",
        lambda r: f"{r['at_10']['median_events_read']:,.0f} / "
                  f"{r['at_100']['median_events_read']:,.0f}")
    add("findings recorded in all", lambda r: f"{r['log']['findings_recorded']:,}")
    add("timeliness report, whole year / overdue, first page of 1,000 (ms, at 100%)",
        lambda r: f"{r['reads_at_100']['timeliness_year_ms']:.0f} / "
                  f"{r['reads_at_100']['overdue_first_page_ms']:.0f}")
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scheduler", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="classes = 40 x scale (default 1.0: 40 classes, 1,000 students)")
    parser.add_argument("--nights", type=int, default=14,
                        help="timed nightly runs at each point (calendar days, default 14)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--pg-url", default=os.environ.get("EJOURNAL_BENCH_POSTGRES_URL",
                                                           DEFAULT_PG_URL))
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.nights < 3:
        parser.error("--scale is positive and --nights at least 3")
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
                  "code": code, "timezone": TIMEZONE,
                  "command": "python -m bench.scheduler " + " ".join(
                      sys.argv[1:] if argv is None else argv),
                  "parameters": {"scale": args.scale, "seed": args.seed, "nights": args.nights,
                                 "early_share": EARLY_SHARE, "ahead_days": AHEAD.days},
                  **result}
        results[db] = result
        suffix = "" if args.scale == 1.0 else f"-scale{args.scale:g}"
        out = RESULTS / f"scheduler-{db}{suffix}.json"
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                       encoding="utf-8")
        print(f"  -> {out.relative_to(ROOT)}", flush=True)
    print()
    print(f"{when:%Y-%m-%d %H:%M} UTC, {about['cores']} cores, {about['cpu']}, "
          f"Python {about['python']}, code {code}, scale {args.scale}")
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
