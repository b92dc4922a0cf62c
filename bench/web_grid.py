"""The journal grid's page: 35 students x 25 lessons, server time p95 (goal < 300 ms).

A school is recorded through the application layer (one class of ``--students``, one journal
with ``--lessons`` lessons on past school days, marks for about half the class at each lesson
and an absence or two), then ``ejournal serve`` runs as a process of its own on a loopback
port and a teacher's session asks, interleaved, for:

* the page ``GET /journals/{id}`` (the grid, the period summary, the forms), and
* the baseline: the API's ``GET /api/v1/journals/{id}/grid`` for the same period - the same
  access rule and read model, answered as JSON.

Each request is timed on the client over loopback (an upper bound of the server's time: the
connection is kept alive, so no connect time is counted). ``--requests`` of each after a
warm-up; p50/p95/p99 and the ratio page/baseline of the p95.

    python -m bench.web_grid                      # SQLite
    python -m bench.web_grid --db postgres        # PostgreSQL (EJOURNAL_BENCH_POSTGRES_URL)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from ejournal.accounts import Accounts
from ejournal.application import EJournal
from ejournal.application.commands import (
    AddSubject,
    EnrolStudent,
    GiveMark,
    HoldLesson,
    OpenClass,
    OpenJournal,
    PlanYear,
    RegisterOperator,
    RegisterSchool,
    RegisterUser,
    TakeAttendance,
)
from ejournal.domain.calendar import is_public_day_off
from ejournal.projections.base import create_read_engine
from ejournal.settings import Settings

PASSWORD = "bench-pa55word"  # noqa: S105 - a benchmark account
PG_URL = os.environ.get("EJOURNAL_BENCH_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RESULTS = Path("bench/results")


def _school_days(last: date, count: int) -> list[date]:
    days, day = [], last
    while len(days) < count:
        if day.weekday() < 5 and not is_public_day_off(day):
            days.append(day)
        day -= timedelta(days=1)
    return sorted(days)


def record(settings: Settings, students: int, lessons: int) -> tuple[UUID, str, int]:
    """The school; returns the journal's id, the teacher's username and the log's head."""
    rng = random.Random(14)
    app = EJournal(settings)
    accounts = Accounts(create_read_engine(settings))
    accounts.setup()
    today = datetime.now(tz=UTC).date()
    days = _school_days(today - timedelta(days=1), lessons)
    first, last = days[0] - timedelta(days=30), today + timedelta(days=120)
    operator = app.execute(RegisterOperator(username="bench-op", full_name="Оператор")).id
    assert operator is not None
    school = app.execute(RegisterSchool(operator, name="Школа", timezone="UTC")).id
    assert school is not None
    admin = app.execute(RegisterUser(operator, school, username="bench-admin", full_name="Завуч",
                                     role="admin")).id
    teacher = app.execute(RegisterUser(operator, school, username="bench-teacher",
                                       full_name="Учитель", role="teacher")).id
    assert admin is not None
    assert teacher is not None
    year = app.execute(PlanYear(admin, school, name="Год", starts_on=first, ends_on=last,
                                days_per_week=5, periods=[("Год", first, last)], holidays=[])).id
    subject = app.execute(AddSubject(admin, school, name="Математика")).id
    assert year is not None
    assert subject is not None
    class_id = app.execute(OpenClass(admin, school, name="7А", year_id=year)).id
    assert class_id is not None
    kids = []
    for n in range(students):
        kid = app.execute(RegisterUser(admin, school, username=f"bench-kid-{n}",
                                       full_name=f"Ученик{n:02d} Фамилия{n:02d}",
                                       role="student")).id
        assert kid is not None
        app.execute(EnrolStudent(admin, class_id, student_id=kid, from_date=first))
        kids.append(kid)
    journal = app.execute(OpenJournal(admin, class_id=class_id, subject_id=subject,
                                      teacher_id=teacher)).id
    assert journal is not None
    for day in days:
        lesson = app.execute(HoldLesson(teacher, journal, lesson_date=day, slot=1,
                                        topic=f"Тема {day:%d.%m}", homework="№ 1")).id
        assert lesson is not None
        absent = rng.sample(kids, 2)
        app.execute(TakeAttendance(teacher, journal, lesson,
                                   absent=[(k, "illness") for k in absent]))
        for kid in rng.sample([k for k in kids if k not in absent], students // 2):
            app.execute(GiveMark(teacher, journal, lesson, student_id=kid, value=rng.choice("2345"),
                                 work="oral"))
    accounts.set_password(teacher, PASSWORD, now=datetime.now(tz=UTC))
    head = int(app.recorder.max_notification_id() or 0)
    app.close()
    accounts.engine.dispose()
    return journal, "bench-teacher", head


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 1)}


def measure(settings: Settings, journal: UUID, username: str, head: int, requests: int,
            warmup: int) -> dict[str, Any]:
    port = _port()
    env = {**os.environ, "EJOURNAL_DATABASE_URL": settings.database_url,
           "EJOURNAL_DATABASE_SCHEMA": settings.database_schema}
    server = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "ejournal.cli", "serve", "--port", str(port),
         "--no-scheduler"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(600):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            token = client.post("/api/v1/auth/token", data={
                "username": username, "password": PASSWORD}).json()["access_token"]
            page = f"/journals/{journal}"
            api = f"/api/v1/journals/{journal}/grid"
            cookies = {"ejournal_session": token}
            headers = {"Authorization": f"Bearer {token}"}
            # the read models hold the school before the first timed request
            first = client.get(api, headers={**headers, "X-Log-Position": str(head)})
            assert first.status_code == 200, first.text
            lessons, kids = len(first.json()["lessons"]), len(first.json()["students"])
            timings: dict[str, list[float]] = {"page": [], "baseline": []}
            size = 0
            for n in range(warmup + requests):
                for kind in ("page", "baseline"):
                    started = time.perf_counter()
                    answer = (client.get(page, cookies=cookies) if kind == "page"
                              else client.get(api, headers=headers))
                    spent = time.perf_counter() - started
                    assert answer.status_code == 200, (kind, answer.status_code)
                    if kind == "page":
                        size = len(answer.content)
                    if n >= warmup:
                        timings[kind].append(spent)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result: dict[str, Any] = {kind: _percentiles(samples) for kind, samples in timings.items()}
    result["ratio_p95"] = round(result["page"]["p95_ms"] / result["baseline"]["p95_ms"], 2)
    result.update(lessons=lessons, students=kids, page_bytes=size, requests=requests)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--students", type=int, default=35)
    parser.add_argument("--lessons", type=int, default=25)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        settings = (Settings(database_url=f"sqlite:///{tmp}/bench.db") if args.db == "sqlite"
                    else Settings(database_url=args.pg_url, database_schema=schema))
        load_before = os.getloadavg()
        try:
            journal, username, head = record(settings, args.students, args.lessons)
            result = measure(settings, journal, username, head, args.requests, args.warmup)
        finally:
            if args.db == "postgres":
                _drop(args.pg_url, schema)
        result.update(db=args.db, load_before=load_before, load_after=os.getloadavg())
    print(f"{args.db}: grid page {result['students']} students x {result['lessons']} lessons "
          f"({result['page_bytes']:,} bytes): p50 {result['page']['p50_ms']} ms, "
          f"p95 {result['page']['p95_ms']} ms, p99 {result['page']['p99_ms']} ms "
          f"(goal p95 < 300 ms)")
    print(f"  baseline (API grid, JSON): p50 {result['baseline']['p50_ms']} ms, "
          f"p95 {result['baseline']['p95_ms']} ms; page/baseline p95 {result['ratio_p95']}; "
          f"load average {result['load_before'][0]:.1f} -> {result['load_after'][0]:.1f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"web-grid-{args.db}.json").write_text(json.dumps(result, indent=2))
    return 0


def _drop(url: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


if __name__ == "__main__":
    raise SystemExit(main())
