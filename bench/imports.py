"""Import benchmark: a roster of 1,000 students with 2 guardians each (3,000 accounts, 40
classes, 2,000 links) imported into an empty school year.

Run from the repository root::

    python -m bench.imports [--db sqlite|postgres|both] [--students 1000]

For each database: a school (``tests.builders``: its admin and the 2026/27 year) in a fresh
SQLite file (a temporary directory) or PostgreSQL schema ``bench_<random>``; the roster as
the CSV an admin uploads (``;``, UTF-8 with BOM: 25 students a class, each with two
guardians of their own) and as XLSX (xlsxwriter). Timed, through ``run_import`` (what the API
and ``ejournal import`` run, less the upload): reading the XLSX (python-calamine); the dry run;
the real run (checks, 3,000 temporary passwords hashed, one transaction); the same file again
(must create nothing). Goal: the real run under 60 s on SQLite. Results: stdout and
``bench/results/imports-<db>.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from sqlalchemy import create_engine, text
from tests.builders import build_school

from ejournal.accounts import Accounts
from ejournal.application import EJournal
from ejournal.imports.files import read_table
from ejournal.imports.plan import Year
from ejournal.imports.service import run_import
from ejournal.projections.base import create_read_engine
from ejournal.settings import Settings

RESULTS = Path(__file__).parent / "results"
NOW = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)
HEADER = ["Класс", "ФИО ученика", "Логин ученика", "ФИО родителя 1", "Логин родителя 1",
          "ФИО родителя 2", "Логин родителя 2"]


def roster(students: int) -> list[list[str]]:
    rows = []
    for n in range(students):
        grade, letter = 1 + (n // 25) % 11, "АБВГД"[(n // 275) % 5]
        rows.append([f"{grade}{letter}", f"Ученик{n} Фамилия{n}", f"b.student{n}",
                     f"Мама{n} Фамилия{n}", f"b.mother{n}", f"Папа{n} Фамилия{n}",
                     f"b.father{n}"])
    return rows


def as_csv(rows: list[list[str]]) -> bytes:
    return ("\ufeff" + "\r\n".join(";".join(r) for r in [HEADER, *rows]) + "\r\n").encode()


def as_xlsx(rows: list[list[str]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate([HEADER, *rows]):
        for col, value in enumerate(row):
            sheet.write_string(r, col, value)
    book.close()
    return buffer.getvalue()


def run(kind: str, settings: Settings, students: int) -> dict[str, Any]:
    app = EJournal(settings, clock=lambda: NOW)
    engine = create_read_engine(settings)
    accounts = Accounts(engine)
    accounts.setup()
    try:
        s = build_school(app, tag=uuid.uuid4().hex[:6])
        year = Year(s.year, "2026/2027", date(2026, 9, 1), date(2027, 5, 31))
        rows = roster(students)
        csv_bytes, xlsx_bytes = as_csv(rows), as_xlsx(rows)
        t = time.perf_counter()
        assert len(read_table(xlsx_bytes).rows) == students
        xlsx_read = time.perf_counter() - t

        def once(dry_run: bool) -> tuple[float, Any]:
            start = time.perf_counter()
            outcome = run_import(app, engine, kind="roster", content=csv_bytes,
                                 actor_id=s.admin, school_id=s.school, year=year,
                                 today=NOW.date(), now=NOW, dry_run=dry_run)
            return time.perf_counter() - start, outcome

        head = app.recorder.max_notification_id() or 0
        dry_s, dry = once(True)
        assert not dry.problems, dry.problems[:5]
        real_s, real = once(False)
        assert len(real.accounts) == 3 * students
        events = (app.recorder.max_notification_id() or 0) - head
        again_s, again = once(False)
        assert again.counts == {}
        assert again.accounts == []
        assert (app.recorder.max_notification_id() or 0) - head == events
        return {"db": kind, "students": students, "accounts": len(real.accounts),
                "created": real.counts, "events": events, "csv_bytes": len(csv_bytes),
                "xlsx_read_s": round(xlsx_read, 3), "dry_run_s": round(dry_s, 2),
                "import_s": round(real_s, 2), "again_s": round(again_s, 2),
                "goal_s": 60, "met": real_s < 60}
    finally:
        app.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--pg-url", default=os.environ.get(
        "EJOURNAL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    for kind in kinds:
        if kind == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                result = run(kind, Settings(database_url=f"sqlite:///{tmp}/bench.db"),
                             args.students)
        else:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.pg_url)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            try:
                result = run(kind, Settings(database_url=args.pg_url, database_schema=schema),
                             args.students)
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
        print(json.dumps(result, ensure_ascii=False))
        (RESULTS / f"imports-{kind}.json").write_text(json.dumps(result, indent=2,
                                                                 ensure_ascii=False))


if __name__ == "__main__":
    main()
