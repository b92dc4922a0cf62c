"""The school the load test runs against: ``bench.rebuild``'s generated school year up to
yesterday (so that diaries and grids hold the autumn's lessons, marks and absences), then
for each journal two fresh lessons held by its teacher in free slots (7-10) of recent past
school days, passwords for the journals' teachers, ``guardians`` guardians and the admin."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from sqlalchemy import delete, insert

from bench.rebuild import TIMEZONE, YEAR_END, YEAR_START, SchoolYear
from ejournal.accounts import Accounts, credentials
from ejournal.application import EJournal
from ejournal.application.commands import HoldLesson
from ejournal.domain.people import User
from ejournal.projections.base import create_read_engine
from ejournal.projections.catalog import projector_for
from ejournal.settings import Settings

PASSWORD = "load-test-password"  # noqa: S105 - a throwaway database's test accounts
SEED = 20261129
#: Slots the generated timetable never uses (it fills 1-6): the driver's own lessons.
FREE_SLOTS = (7, 8, 9, 10)
#: How far back the driver's lessons (and the readers' month) reach.
WINDOW_DAYS = 21
PRE_HELD = 2


def school_today() -> date:
    return datetime.now(tz=ZoneInfo(TIMEZONE)).date()


@dataclass
class LessonState:
    id: UUID
    day: date
    slot: int
    marks: dict[UUID, int] = field(default_factory=dict)  # student -> marks given here
    absent: set[UUID] = field(default_factory=set)


@dataclass
class Seat:
    """A journal written by the load test, always by its own teacher, one write at a time
    (so the driver knows its state and never provokes a refusal on purpose)."""

    journal_id: UUID
    teacher: str  # username
    students: list[UUID]
    free: list[tuple[date, int]]  # (day, slot) where the driver may hold a lesson
    lessons: list[LessonState] = field(default_factory=list)
    marks: dict[UUID, tuple[LessonState, UUID, str]] = field(default_factory=dict)
    busy: bool = False


@dataclass
class World:
    settings: Settings
    seats: list[Seat]
    guardians: dict[str, UUID]  # username -> child
    teachers: dict[str, list[UUID]]  # username -> journals (the grids they read)
    admin: str
    first_day: date  # the readers' window
    last_day: date
    events: int = 0
    build_s: float = 0.0
    project_s: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)


def _passwords(accounts: Accounts, users: set[UUID], now: datetime) -> None:
    """The same argon2 hash for every test account: one hashing instead of one a user (the
    logins still verify it, each, as in production)."""
    digest = PasswordHasher().hash(PASSWORD)  # Accounts' hasher: argon2id, its defaults
    with accounts.engine.begin() as conn:
        conn.execute(delete(credentials).where(credentials.c.user_id.in_(users)))
        conn.execute(insert(credentials), [{"user_id": u, "password_hash": digest,
                                            "updated_at": now} for u in users])


def build(settings: Settings, scale: float, guardians: int,
          journals: int | None = None) -> World:
    today = school_today()
    if not YEAR_START + timedelta(days=30) < today <= YEAR_END:
        raise SystemExit("bench.load writes into the 2026/27 school year: run it during it")
    started = time.perf_counter()
    app = EJournal(settings)
    accounts = Accounts(create_read_engine(settings))
    try:
        year = SchoolYear(app, scale, SEED)
        year.run_until(today - timedelta(days=1))
        events = app.recorder.max_notification_id() or 0
        build_s = time.perf_counter() - started
        print(f"  a school year up to {today - timedelta(days=1)}: {events:,} events "
              f"({build_s:.0f} s)", flush=True)
        days = [d for d in year.school_days()
                if today - timedelta(days=WINDOW_DAYS) <= d < today]
        rng = random.Random(SEED)
        names = {u.id: u.username for row in year.teachers for u in row}
        seats: list[Seat] = []
        teachers: dict[str, list[UUID]] = {}
        chosen = [(klass, index) for klass in year.classes
                  for index in range(len(klass.journals))]
        if journals is not None:
            chosen = rng.sample(chosen, min(journals, len(chosen)))
        for klass, index in chosen:
            journal = klass.journals[index]
            teacher = klass.contexts[index].actor.user_id
            free = [(d, s) for d in days for s in FREE_SLOTS]
            rng.shuffle(free)
            enrolled = [k for k in klass.members
                        if all(klass.aggregate.is_enrolled(k, d) for d in days)]
            seat = Seat(journal.id, names[teacher], enrolled, free)
            for _ in range(PRE_HELD):
                day, slot = seat.free.pop()
                held = app.execute(HoldLesson(teacher, journal.id, lesson_date=day, slot=slot,
                                              topic="Нагрузочный тест: урок"))
                assert held.id is not None
                seat.lessons.append(LessonState(held.id, day, slot))
            seats.append(seat)
            teachers.setdefault(names[teacher], []).append(journal.id)
        now = datetime.now(tz=UTC)
        accounts.setup()
        users = {k.contexts[i].actor.user_id for k, i in chosen} | {year.admin.id}
        readers: dict[str, UUID] = {}
        for child in rng.sample(year.students, min(guardians, len(year.students))):
            student = app.repository.get(child)
            assert isinstance(student, User)
            guardian = app.repository.get(next(iter(student.guardians)))
            assert isinstance(guardian, User)
            users.add(guardian.id)
            readers[guardian.username] = child
        _passwords(accounts, users, now)
        started = time.perf_counter()
        projector = projector_for(app)
        projector.setup()
        projector.catch_up(limit=1000)
        project_s = time.perf_counter() - started
        print(f"  read models caught up ({project_s:.0f} s); {len(seats)} journals, "
              f"{len(teachers)} teachers, {len(readers)} guardians", flush=True)
        return World(settings, seats, readers, teachers, year.admin.username,
                     today - timedelta(days=WINDOW_DAYS), today,
                     events=app.recorder.max_notification_id() or 0, build_s=build_s,
                     project_s=project_s, stats=year.stats.as_dict())
    finally:
        app.close()
        accounts.engine.dispose()
