"""What one mark command sends to the database, in process: its statements and round trips.

    python -m bench.mark_statements [--db sqlite|postgres|both] [--marks 40] [--show]
                                    [--top 0]

One ``EJournal`` (the server's application, no HTTP, no projector) and one thread giving
``--marks`` marks one after another, each on its own lesson of one journal (after a warm-up:
the aggregates cached, as in a running server). Counted per mark:

- **statements**: every statement the database is sent (SQLite: its trace callback, which
  names BEGIN and COMMIT too; PostgreSQL: libpq's protocol trace - a simple query or an
  extended-protocol Parse/Bind/Execute);
- **round trips** (PostgreSQL): the times the client sends after it has received (a
  pipeline sends several statements before it reads their results);
- CPU ms per mark (``time.process_time``) and, with ``--top N``, cProfile's top functions.

``--show`` lists the distinct statements of one mark. The clock is fixed; PostgreSQL data lives
in a fresh schema dropped at the end, SQLite in a temporary directory.
"""

from __future__ import annotations

import argparse
import cProfile
import glob
import os
import pstats
import re
import sqlite3
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import event
from tests.builders import build_school

from bench.hot_lesson import DEFAULT_PG_URL, FIRST_DAY, NOW, SLOTS
from ejournal.application import EJournal
from ejournal.application.commands import GiveMark, HoldLesson
from ejournal.projections.catalog import projector_for
from ejournal.settings import Settings


class Trace:
    """Statements and round trips seen while ``on``."""

    def __init__(self) -> None:
        self.on = False
        self.statements: Counter[str] = Counter()
        self.round_trips = 0
        self._sent = False

    def sqlite(self, statement: str) -> None:
        if self.on:
            # the callback sees the values bound: one line for each statement's text
            text = re.sub(r"'[^']*'|X'[0-9A-F]*'|\b\d+\b", "?", " ".join(statement.split()))
            self.statements[text[:110]] += 1

    def postgres(self, statement: Any, conn: Any) -> None:
        if self.on:
            text = (statement if isinstance(statement, str) else statement.decode()
                    if isinstance(statement, bytes) else statement.as_string(conn))
            self.statements[_squeeze(text)[:110]] += 1

    def postgres_line(self, line: str) -> None:
        # libpq's trace, no timestamps: "F\t<length>\t<Message>\t<fields>" for what the
        # client sends, "B\t..." for what it receives. A round trip: the client sends
        # after it has received (one thread: one connection at a time). BEGIN and COMMIT
        # are sent by psycopg itself, not through a cursor.
        parts = line.split("\t")
        if len(parts) < 3 or parts[0] not in ("F", "B"):
            return
        if parts[0] == "B":
            self._sent = False
            return
        if not self._sent:
            self.round_trips += 1
        self._sent = True
        message, fields = parts[2], parts[3].strip() if len(parts) > 3 else ""
        if message in ("Query", "Parse"):
            for word in ("BEGIN", "COMMIT", "ROLLBACK"):
                if f'"{word}"' in fields:
                    self.statements[word] += 1


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip('"'))


@contextmanager
def traced(app: EJournal, trace: Trace, trace_file: str) -> Iterator[None]:
    datastore: Any = getattr(app.recorder, "datastore")  # noqa: B009
    get_connection = datastore.get_connection
    seen: dict[int, Any] = {}
    files: list[Any] = []

    @contextmanager
    def watched(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with get_connection(*args, **kwargs) as conn:
            raw = getattr(conn, "_sqlite_conn", conn)
            if id(raw) not in seen:
                seen[id(raw)] = raw
                if isinstance(raw, sqlite3.Connection):
                    raw.set_trace_callback(trace.sqlite)
                else:  # a file each: libpq buffers what it writes
                    out = open(f"{trace_file}.{len(seen)}", "w")  # noqa: SIM115
                    files.append(out)
                    raw.pgconn.trace(out.fileno())
                    raw.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
            yield conn

    execute = psycopg.Cursor.execute

    def counted(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        trace.postgres(query, cursor.connection)
        return execute(cursor, query, *args, **kwargs)

    datastore.get_connection = watched
    psycopg.Cursor.execute = counted  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        datastore.get_connection = get_connection
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
        for raw in seen.values():
            if not isinstance(raw, sqlite3.Connection):
                raw.pgconn.untrace()  # flushes libpq's buffer
        for out in files:
            out.close()


def measure(app: EJournal, marks: int, top: int, trace_file: str) -> tuple[Trace, float]:
    school = build_school(app, students=4)
    lessons = []
    days = [d for d in (FIRST_DAY + timedelta(days=n) for n in range(-11, 40))
            if d.weekday() < 5]
    for n in range(2 * marks + 10):
        day = days[n // SLOTS]
        held = app.execute(HoldLesson(school.teacher, school.journal, lesson_date=day,
                                      slot=1 + n % SLOTS, topic="Т"))
        assert held.id is not None
        lessons.append(held.id)

    def mark(i: int) -> None:
        app.execute(GiveMark(school.teacher, school.journal, lessons[i],
                             student_id=school.students[i % 4], value="5", work="oral"))

    for i in range(10):
        mark(i)
    trace = Trace()
    with traced(app, trace, trace_file):
        trace.on = True
        for i in range(10, 10 + marks):
            mark(i)
        trace.on = False
    cpu = time.process_time()
    for i in range(10 + marks, 10 + 2 * marks):
        mark(i)
    cpu = (time.process_time() - cpu) / marks
    if top:
        profile = cProfile.Profile()
        profile.enable()
        for i in range(10 + marks, 10 + 2 * marks):
            app.execute(GiveMark(school.teacher, school.journal, lessons[i],
                                 student_id=school.students[i % 4], value="4", work="oral"))
        profile.disable()
        stats = pstats.Stats(profile)
        print(f"  {stats.total_calls / marks:,.0f} Python calls a mark")  # type: ignore[attr-defined]
        stats.sort_stats(os.environ.get("BENCH_SORT", "tottime")).print_stats(top)
    return trace, cpu


def project(app: EJournal, marks: int, batch: int, show: bool, top: int) -> None:
    """The in-process projector's share: every read model caught up, then ``marks`` more
    marks applied ``batch`` events at a time (as a live server's projector finds them)."""
    school = build_school(app, students=4)
    days = [d for d in (FIRST_DAY + timedelta(days=n) for n in range(-11, 40))
            if d.weekday() < 5]
    lessons = [app.execute(HoldLesson(school.teacher, school.journal, lesson_date=days[n // 6],
                                      slot=1 + n % 6, topic="Т")).id for n in range(marks)]
    projector = projector_for(app)
    projector.setup()
    projector.catch_up()
    for i, lesson in enumerate(lessons):
        assert lesson is not None
        app.execute(GiveMark(school.teacher, school.journal, lesson,
                             student_id=school.students[i % 4], value="5", work="oral"))
    statements: Counter[str] = Counter()

    def counted(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements[" ".join(statement.split())[:100]] += 1

    event.listen(projector.engine, "before_cursor_execute", counted)
    event.listen(projector.engine, "commit", lambda _: counted(None, None, "COMMIT"))
    profile = cProfile.Profile() if top else None
    cpu, applied = time.process_time(), 0
    if profile is not None:
        profile.enable()
    while (count := projector.run_batch(batch)) > 0:
        applied += count
    cpu = time.process_time() - cpu
    if profile is not None:
        profile.disable()
        stats = pstats.Stats(profile)
        print(f"  {stats.total_calls / applied:,.0f} Python calls an event")  # type: ignore[attr-defined]
        stats.sort_stats(os.environ.get("BENCH_SORT", "tottime")).print_stats(top)
    total = sum(statements.values())
    print(f"  projector, {batch} events a batch: {total / applied:.1f} statements "
          f"and {1000 * cpu / applied:.2f} ms CPU an event ({applied} events)")
    if show:
        for statement, count in statements.most_common():
            print(f"  {count / applied:5.1f}  {statement}")


def run(db: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="ejournal-stmts-") as tmp:
        trace_file = os.path.join(tmp, "libpq.trace")
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        url = f"sqlite:///{tmp}/ejournal.db" if db == "sqlite" else args.pg_url
        app = EJournal(Settings(database_url=url, database_schema=schema), clock=lambda: NOW)
        try:
            if args.project:
                project(app, args.marks, args.project, args.show, args.top)
                return
            trace, cpu = measure(app, args.marks, args.top, trace_file)
            for path in sorted(glob.glob(f"{trace_file}.*")):
                with open(path) as lines:
                    text = lines.read()
                if args.raw:
                    print(path, text[:6000], sep="\n")
                for line in text.splitlines():
                    trace.postgres_line(line)
        finally:
            app.close()
            if db == "postgres":
                conninfo = args.pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
                                 .format(sql.Identifier(schema)))
    n = args.marks
    total = sum(trace.statements.values())
    trips = f", {trace.round_trips / n:.1f} round trips" if db == "postgres" else ""
    print(f"{db}: {total / n:.1f} statements a mark{trips}, {1000 * cpu:.2f} ms CPU a mark")
    if args.show:
        for statement, count in trace.statements.most_common():
            print(f"  {count / n:5.1f}  {statement}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--marks", type=int, default=40)
    parser.add_argument("--show", action="store_true", help="list the statements")
    parser.add_argument("--raw", action="store_true", help="print libpq's trace")
    parser.add_argument("--project", type=int, default=0, metavar="BATCH",
                        help="the projector's cost instead, BATCH events a batch")
    parser.add_argument("--top", type=int, default=0, help="cProfile's top N functions")
    parser.add_argument("--pg-url", default=os.environ.get("EJOURNAL_BENCH_POSTGRES_URL",
                                                          DEFAULT_PG_URL))
    args = parser.parse_args()
    for db in (("sqlite", "postgres") if args.db == "both" else (args.db,)):
        run(db, args)


if __name__ == "__main__":
    main()
