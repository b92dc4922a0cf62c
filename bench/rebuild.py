"""Read-model benchmark: rebuild throughput and diary read latency over a school year.

Run from the repository root::

    python -m bench.rebuild [--db sqlite|postgres|both] [--scale 1.0] [--reads 500]

For each database, in one run:

0. **A school year.** One school (Europe/Moscow, 5-day week, the 2026/27 quarters and каникулы
   of ``tests.builders``, one planned day off): ``40 x scale`` classes of 25 students (each with
   one guardian), 15 subjects, one journal per class and subject (3 teachers per subject), a
   weekly timetable of 30 lessons per class (each journal twice a week, never twice a day),
   lessons on every school day of 2026-09-01..2027-05-25. Per class and day 1-2 students are
   off sick (absent from all that day's lessons); per lesson 4-6 marks (oral, homework,
   practical; one lesson in eight is written work, marked 1-6 days later), occasional
   corrections, cancelled marks and cancelled absences; a few lessons are recorded 1-5 days
   late; a few students change class over the winter holidays and a few arrive in November;
   period marks for every student and journal at each quarter's end (a few late, a few
   corrected). The aggregates are built with the domain's own command methods (``Lesson.hold``,
   ``lesson.take_attendance``, ``lesson.give_mark``, ``PeriodMark.give``, ...) with the ids the
   application gives them (``ejournal.domain.ids``; the random parts from a seeded generator),
   day by day in recording order, and saved with ``app.save`` in transactions of up to 500
   aggregates. Timestamps are timezone-aware: the entry's recording day, 15:00-16:00 local
   (late entries in the evening of a later day).
1. **10% of the year.** The first 10% of the school days are generated; the read models
   (``catalog.all_models()``) are set up and caught up from position 0 (batch 1000), the last
   ~20,000 events of that catch-up under cProfile; then the diary latency:
   ``read_diary(conn, student, first, last)`` for the month up to the last generated day,
   random students, one read connection each, ``--reads`` timed reads after 50 untimed.
2. **Full rebuild.** The rest of the year is generated. For each batch size (1000, then 5000):
   the decode-only baseline (the same notifications read with
   ``app.recorder.select_notifications`` in the same batch size, each decoded with
   ``app.mapper.to_domain_event``, nothing written), then the rebuild (``reset`` of every read
   model + ``catch_up``): events/s of each and the ratio rebuild/decode. After the first rebuild the
   same diary reads (same students, same month) are timed again at 100% of the year, and the
   year's last month too; after the second, the read models must equal the first's (the
   diaries of 50 students over the year and every table's row count).

"Events" are log notifications, every event of the log (the projector skips, undecoded, those
no read model handles: ``UsernameClaim.Claimed``, ``ClassJournal.ProgrammeSet``, ...); the
handled share is reported too. PostgreSQL data lives in a fresh schema ``bench_<random>``
dropped at the end; SQLite in a temporary directory. Results: a table on stdout and
``bench/results/rebuild-<db>.json`` (``rebuild-<db>-scale<S>.json`` for another ``--scale``);
when a rebuild misses 5,000 events/s, the profile too.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import math
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic
from psycopg import sql
from sqlalchemy import Engine, func, select, text

from bench.commands import code_version, machine
from ejournal.application import EJournal
from ejournal.domain import ids
from ejournal.domain.calendar import SchoolCalendar
from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson, LessonContext
from ejournal.domain.people import User, UsernameClaim
from ejournal.domain.period_mark import PeriodMark
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.values import Actor, Role
from ejournal.projections.base import create_read_engine
from ejournal.projections.catalog import all_models, projector_for
from ejournal.projections.diary import DiaryDay, read_diary
from ejournal.projections.runner import Projector
from ejournal.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

SEED = 20260901
TIMEZONE = "Europe/Moscow"
TZ = ZoneInfo(TIMEZONE)
YEAR_START = date(2026, 9, 1)
YEAR_END = date(2027, 5, 25)  # the last day of lessons (and of the IV quarter)
PERIODS = [("I четверть", date(2026, 9, 1), date(2026, 10, 25)),
           ("II четверть", date(2026, 11, 5), date(2026, 12, 28)),
           ("III четверть", date(2027, 1, 12), date(2027, 3, 21)),
           ("IV четверть", date(2027, 3, 30), YEAR_END)]
HOLIDAYS = [("осенние каникулы", date(2026, 10, 26), date(2026, 11, 4)),
            ("зимние каникулы", date(2026, 12, 29), date(2027, 1, 11)),
            ("весенние каникулы", date(2027, 3, 22), date(2027, 3, 29))]
DAY_OFF = date(2026, 10, 9)  # the school's own "день здоровья"
SUBJECTS = ("Русский язык", "Литература", "Алгебра", "Геометрия", "Информатика", "История",
            "Обществознание", "География", "Биология", "Физика", "Химия", "Английский язык",
            "Музыка", "Технология", "Физическая культура")
CLASSES = 40  # at --scale 1.0
CLASS_SIZE = 25
TEACHERS_PER_SUBJECT = 3  # at --scale 1.0
DAYS_PER_WEEK = 5
LESSONS_PER_DAY = 6  # x 5 days = 30 = 15 subjects x 2 lessons a week
TRANSFERS = 5  # students changing class over the winter holidays (at --scale 1.0)
ARRIVALS = 3  # students arriving on 5 November (at --scale 1.0)

ABSENT_PER_DAY = (1, 2)  # students of a class off sick, per day
MARKS_PER_LESSON = (4, 6)
WRITTEN_SHARE = 1 / 8  # lessons whose marks are written work, given 1-6 days later
LATE_LESSON_SHARE = 0.03  # lessons recorded 1-5 days late
CORRECT_SHARE = 0.02  # marks corrected 1-3 days later
CANCEL_SHARE = 0.005  # marks cancelled 1-3 days later
ABSENCE_CANCEL_SHARE = 0.03  # absences cancelled the same evening
PERIOD_LATE_SHARE = 0.01  # period marks given 1-4 days after the period's end
PERIOD_CORRECT_SHARE = 0.003  # period marks corrected 2-5 days later
SAVE_CHUNK = 500  # aggregates per app.save (one transaction)

EARLY_SHARE = 0.10
BATCHES = (1000, 5000)
DIARY_WARMUP = 50
CHECK_STUDENTS = 50
PROFILE_EVENTS = 20_000
PROFILE_TOP = 25
GOAL_EVENTS_PER_S = 5000
#: Where a catch-up's time goes: (label, files, functions), each summed by cumulative time.
PROFILE_PARTS = (
    ("Projector.run_batch (everything)", ("projections/runner.py",), ("run_batch",)),
    ("recorder.select_notifications", ("eventsourcing/",), ("select_notifications",)),
    ("mapper.to_domain_event (decode)", ("eventsourcing/persistence.py",), ("to_domain_event",)),
    ("ReadModel.apply (all handlers)", ("projections/base.py",), ("apply",)),
    ("  sqlalchemy Connection.execute", ("sqlalchemy/engine/base.py",), ("execute",)),
    ("    statement compile (cache lookup)", ("sqlalchemy/sql/elements.py",),
     ("_compile_w_cache",)),
    ("    DB-API cursor execute", ("sqlalchemy/engine/default.py",),
     ("do_execute", "do_executemany")),
    ("    result rows (fetch)", ("sqlalchemy/engine/result.py",),
     ("one", "all", "scalar", "fetchall", "_allrows")),
    ("commit", ("sqlalchemy/engine/default.py",), ("do_commit",)),
)

SURNAMES = ("Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов",
            "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев",
            "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев",
            "Макаров", "Никитин", "Захаров")
BOYS = ("Александр", "Михаил", "Максим", "Артём", "Иван", "Дмитрий", "Даниил", "Кирилл",
        "Егор", "Матвей", "Андрей", "Илья")
GIRLS = ("София", "Анна", "Мария", "Ева", "Виктория", "Полина", "Алиса", "Дарья", "Ксения",
         "Варвара", "Елизавета", "Ульяна")
VALUES = ("2", "3", "4", "5")


def at_local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A moment of the school's local day, as the application records it (UTC)."""
    return datetime(day.year, day.month, day.day, hour, minute, second,
                    tzinfo=TZ).astimezone(UTC)


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, math.ceil(share * len(sorted_values)) - 1)]


# --- 0. the school year ----------------------------------------------------------------------


@dataclass
class Klass:
    """A class with its journals, timetable and everyone ever enrolled in it."""

    index: int
    aggregate: SchoolClass
    journals: list[ClassJournal]  # by subject index
    contexts: list[LessonContext]  # by subject index (the journal's teacher writes it)
    timetable: dict[int, list[tuple[int, int]]]  # ISO weekday -> [(slot, subject index)]
    members: list[UUID] = field(default_factory=list)


@dataclass
class Generated:
    """What the generator has done so far."""

    events: int = 0
    aggregates_saved: int = 0
    transactions: int = 0
    build_s: float = 0.0  # domain commands
    save_s: float = 0.0  # app.save
    lessons: int = 0
    marks: int = 0
    absences: int = 0
    corrections: int = 0
    cancellations: int = 0
    absences_cancelled: int = 0
    late_lessons: int = 0
    period_marks: int = 0
    period_corrections: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in vars(self).items()}


class SchoolYear:
    """Builds one school's year with the domain's command methods, day by day, and saves it.

    Every entry is made on the day it is recorded: a day's lessons first (on time), then what
    was put off to that day (late lessons, written work marked, corrections...). The log is
    therefore in recording order, as the application would have written it."""

    def __init__(self, app: EJournal, scale: float, seed: int) -> None:
        self.app = app
        self.rng = random.Random(seed)
        self.scale = scale
        self.stats = Generated()
        self.pending: dict[UUID, Aggregate] = {}
        self.queue: dict[date, list[Callable[[], None]]] = {}
        self.today = YEAR_START - timedelta(days=1)
        self.ability: dict[UUID, float] = {}
        self.names: dict[UUID, str] = {}
        self.period_sums: dict[tuple[UUID, UUID, int], list[int]] = {}
        self.held: dict[UUID, int] = {}  # lessons per journal
        started = time.perf_counter()
        self._structure()
        self.stats.build_s += time.perf_counter() - started
        self._flush()
        self.structure_s = time.perf_counter() - started
        self.structure_events = self.stats.events

    # --- ids and names ---------------------------------------------------------------------

    def new_id(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def _person(self, username: str, full_name: str, role: Role, at: datetime) -> User:
        user = User.register(user_id=self.new_id(), school_id=self.school.id, username=username,
                             full_name=full_name, role=role.value, by=self.admin.id, at=at)
        claim = UsernameClaim.claim(claim_id=ids.username_claim_id(username), user_id=user.id,
                                    at=at)
        self._add(user, claim)
        return user

    def _full_name(self) -> str:
        surname = self.rng.choice(SURNAMES)
        if self.rng.random() < 0.5:
            return f"{surname} {self.rng.choice(BOYS)}"
        return f"{surname}а {self.rng.choice(GIRLS)}"

    def _add(self, *aggregates: Aggregate) -> None:
        for aggregate in aggregates:
            self.pending[aggregate.id] = aggregate

    # --- structure (before 1 September) ------------------------------------------------------

    def _structure(self) -> None:
        rng = self.rng
        setup = date(2026, 8, 24)
        op_at = at_local(setup, 10)
        operator = User.register(user_id=self.new_id(), school_id=None, username="operator",
                                 full_name="Оператор платформы", role=Role.OPERATOR.value,
                                 by=None, at=op_at)
        self._add(operator, UsernameClaim.claim(claim_id=ids.username_claim_id("operator"),
                                                user_id=operator.id, at=op_at))
        self.school = School.register(school_id=self.new_id(), name="Школа № 57",
                                      timezone=TIMEZONE, by=operator.id, at=op_at)
        self.admin = User.register(user_id=self.new_id(), school_id=self.school.id,
                                   username="zavuch", full_name="Завуч Ольга Николаевна",
                                   role=Role.ADMIN.value, by=operator.id, at=op_at)
        self._add(self.school, self.admin,
                  UsernameClaim.claim(claim_id=ids.username_claim_id("zavuch"),
                                      user_id=self.admin.id, at=op_at))
        admin = self.admin.id
        self.admin_actor = Actor(admin, Role.ADMIN, self.school.id)
        at = at_local(setup, 11)
        self.year = AcademicYear.plan(
            year_id=self.new_id(), school_id=self.school.id, name="2026/2027",
            starts_on=YEAR_START, ends_on=YEAR_END, days_per_week=DAYS_PER_WEEK,
            periods=[(self.new_id(), n, s, e) for n, s, e in PERIODS], holidays=HOLIDAYS,
            by=admin, at=at)
        self.periods = sorted(self.year.periods.items(), key=lambda p: p[1].starts_on)
        self.school.declare_calendar_day(day=DAY_OFF, kind="day_off", reason="день здоровья",
                                         by=admin, at=at)
        self.subjects = [self.new_id() for _ in SUBJECTS]
        for subject_id, name in zip(self.subjects, SUBJECTS, strict=True):
            self.school.add_subject(subject_id=subject_id, name=name, by=admin, at=at)
        self._add(self.year)
        self.calendar: SchoolCalendar = self.year.calendar(self.school)

        at = at_local(setup + timedelta(days=1), 10)
        per_subject = max(1, math.ceil(TEACHERS_PER_SUBJECT * self.scale))
        self.teachers = [[self._person(f"teacher-{s:02d}-{k}", self._full_name(), Role.TEACHER,
                                       at) for k in range(per_subject)]
                         for s in range(len(SUBJECTS))]

        classes = max(1, round(CLASSES * self.scale))
        transfers = min(classes - 1, max(1, round(TRANSFERS * self.scale))) if classes > 1 else 0
        arrivals = max(1, round(ARRIVALS * self.scale))
        self.classes: list[Klass] = []
        self.students: list[UUID] = []
        for c in range(classes):
            grade = 5 + c // 6
            at = at_local(setup + timedelta(days=2), 10, c)
            school_class = SchoolClass.open(
                class_id=self.new_id(), school_id=self.school.id, year_id=self.year.id,
                name=f"{grade}{'АБВГДЕ'[c % 6]}", class_teacher_id=None, by=admin, at=at)
            klass = Klass(c, school_class, [], [], {})
            teacher = self.teachers[c % len(SUBJECTS)][0]
            school_class.appoint_class_teacher(Role.TEACHER, teacher_id=teacher.id, by=admin,
                                               at=at)
            for n in range(CLASS_SIZE):
                kid = self._student(f"s{c:02d}-{n:02d}", at)
                self._enrol(klass, kid, YEAR_START, at)
            for s, subject_id in enumerate(self.subjects):
                teachers = self.teachers[s]
                teacher = teachers[c % len(teachers)]
                journal = ClassJournal.open(
                    journal_id=ids.journal_id(school_class.id, subject_id),
                    school_id=self.school.id, class_id=school_class.id, subject_id=subject_id,
                    year_id=self.year.id, teacher_id=teacher.id, teacher_role=Role.TEACHER,
                    by=admin, at=at)
                journal.set_programme(topics=[(f"{SUBJECTS[s]}: тема {t + 1}", 2)
                                              for t in range(36)], by=admin, at=at)
                klass.journals.append(journal)
                klass.contexts.append(LessonContext(
                    actor=Actor(teacher.id, Role.TEACHER, self.school.id), journal=journal,
                    school_class=school_class, calendar=self.calendar, timezone=TIMEZONE))
                self._add(journal)
            # Each subject twice a week, never twice a day; the order within a day varies.
            places = [(c + p) % len(SUBJECTS) for p in range(DAYS_PER_WEEK * LESSONS_PER_DAY)]
            rows = []
            for weekday in range(1, DAYS_PER_WEEK + 1):
                day = places[(weekday - 1) * LESSONS_PER_DAY:weekday * LESSONS_PER_DAY]
                rng.shuffle(day)
                klass.timetable[weekday] = [(slot, s) for slot, s in enumerate(day, start=1)]
                rows += [(weekday, slot, klass.journals[s].id) for slot, s in enumerate(day, 1)]
            school_class.set_timetable(valid_from=YEAR_START, lessons=rows,
                                       class_journals={j.id for j in klass.journals},
                                       days_per_week=DAYS_PER_WEEK, by=admin, at=at)
            self.classes.append(klass)

        # A few students change class over the winter holidays; a few arrive on 5 November.
        movers = rng.sample(self.students, transfers)
        for n, kid in enumerate(movers):
            source = self.classes[self.students.index(kid) // CLASS_SIZE]
            target = self.classes[(source.index + 1 + n) % classes]
            self.later(date(2027, 1, 11), self._transfer(kid, source, target))
        for n in range(arrivals):
            klass = self.classes[(n * 7) % classes]
            kid = self._student(f"new-{n:02d}", at_local(date(2026, 11, 2), 10))
            self.later(date(2026, 11, 3), self._arrival(klass, kid, date(2026, 11, 5)))

    def _student(self, tag: str, at: datetime) -> UUID:
        name = self._full_name()
        student = self._person(f"student-{tag}", name, Role.STUDENT, at)
        guardian = self._person(f"parent-{tag}", f"{name.split()[0]} (родитель)",
                                Role.GUARDIAN, at)
        student.link_guardian(guardian, by=self.admin.id, at=at)
        self.students.append(student.id)
        self.ability[student.id] = self.rng.uniform(2.9, 4.8)
        self.names[student.id] = name
        return student.id

    def _enrol(self, klass: Klass, kid: UUID, from_date: date, at: datetime) -> None:
        klass.aggregate.enrol(student_id=kid, from_date=from_date, year_starts_on=YEAR_START,
                              year_ends_on=YEAR_END, by=self.admin.id, at=at)
        if kid not in klass.members:
            klass.members.append(kid)
        self._add(klass.aggregate)

    def _arrival(self, klass: Klass, kid: UUID, from_date: date) -> Callable[[], None]:
        def enrol() -> None:
            self._enrol(klass, kid, from_date, at_local(self.today, 10))

        return enrol

    def _transfer(self, kid: UUID, source: Klass, target: Klass) -> Callable[[], None]:
        def move() -> None:
            at = at_local(self.today, 10)
            source.aggregate.end_enrolment(student_id=kid, last_day=date(2026, 12, 28),
                                           by=self.admin.id, at=at)
            self._add(source.aggregate)
            self._enrol(target, kid, date(2027, 1, 12), at)

        return move

    # --- the year, day by day -----------------------------------------------------------------

    def later(self, day: date, action: Callable[[], None]) -> None:
        self.queue.setdefault(day, []).append(action)

    def school_days(self) -> list[date]:
        days = []
        day = YEAR_START
        while day <= YEAR_END:
            if self.calendar.is_school_day(day):
                days.append(day)
            day += timedelta(days=1)
        return days

    def run_until(self, last: date) -> None:
        """Records every day up to ``last`` (included), one or more transactions a day."""
        period_ends = self._period_end_days()
        while self.today < last:
            self.today += timedelta(days=1)
            day = self.today
            started = time.perf_counter()
            if self.calendar.is_school_day(day):
                for klass in self.classes:
                    self._class_day(klass, day)
            for action in self.queue.pop(day, []):
                action()
            for index in period_ends.get(day, []):
                self._period_marks(index, day)
            self.stats.build_s += time.perf_counter() - started
            self._flush()

    def finish(self) -> None:
        """Records what was put off beyond the last day of lessons."""
        self.run_until(max([YEAR_END, *self.queue]))

    def _flush(self) -> None:
        aggregates = list(self.pending.values())
        self.pending.clear()
        started = time.perf_counter()
        for i in range(0, len(aggregates), SAVE_CHUNK):
            recordings = self.app.save(*aggregates[i:i + SAVE_CHUNK])
            self.stats.events += len(recordings)
            self.stats.transactions += 1
        self.stats.aggregates_saved += len(aggregates)
        self.stats.save_s += time.perf_counter() - started

    def _class_day(self, klass: Klass, day: date) -> None:
        rng = self.rng
        present = [k for k in klass.members if klass.aggregate.is_enrolled(k, day)]
        sick = rng.sample(present, rng.randint(*ABSENT_PER_DAY))
        reason = rng.choice(("illness", "illness", "excused", "unexcused", None))
        absent = [(k, reason) for k in sick]
        here = [k for k in present if k not in sick]
        for slot, subject in klass.timetable[day.isoweekday()]:
            ctx = klass.contexts[subject]
            if rng.random() < LATE_LESSON_SHARE:
                self.stats.late_lessons += 1
                recorded = day + timedelta(days=rng.randint(1, 5))
                self.later(recorded, self._lesson(ctx, day, slot, absent, here, recorded,
                                                  at_local(recorded, 19, rng.randint(0, 59))))
            else:
                self._lesson(ctx, day, slot, absent, here, day,
                             at_local(day, 15, rng.randint(0, 59)))()

    def _lesson(self, ctx: LessonContext, day: date, slot: int,
                absent: list[tuple[UUID, str | None]], here: list[UUID], recorded: date,
                at: datetime) -> Callable[[], None]:
        def record() -> None:
            rng = self.rng
            held = self.held.get(ctx.journal.id, 0)
            self.held[ctx.journal.id] = held + 1
            programme = ctx.journal.programme
            number = held // 2 % len(programme) + 1  # two hours a topic
            lesson = Lesson.hold(ctx, lesson_id=ids.lesson_id(ctx.journal.id, day, slot),
                                 lesson_date=day, slot=slot,
                                 topic=f"{programme[number - 1].title}, час {held % 2 + 1}",
                                 homework=f"§ {number}, № {rng.randint(1, 40)}-"
                                          f"{rng.randint(41, 60)}",
                                 programme_topic=programme[number - 1].title, at=at)
            self.stats.lessons += 1
            lesson.take_attendance(ctx, absent=list(absent), at=at + timedelta(seconds=30))
            self.stats.absences += len(absent)
            self._add(lesson)
            for n, (kid, _) in enumerate(absent):
                if rng.random() < ABSENCE_CANCEL_SHARE:
                    lesson.cancel_absence(ctx, student_id=kid, reason="опоздал, был на уроке",
                                          at=at + timedelta(minutes=30, seconds=n))
                    self.stats.absences_cancelled += 1
            students = rng.sample(here, rng.randint(*MARKS_PER_LESSON))
            if rng.random() < WRITTEN_SHARE:
                work = rng.choice(("written", "written", "test"))
                marked = recorded + timedelta(days=rng.randint(1, 6))
                self.later(marked, lambda: self._marks(
                    ctx, lesson, students, work, at_local(marked, 18, rng.randint(0, 59))))
            else:
                self._marks(ctx, lesson, students, None, at + timedelta(minutes=1))

        return record

    def _marks(self, ctx: LessonContext, lesson: Lesson, students: list[UUID],
               work: str | None, at: datetime) -> None:
        rng = self.rng
        period = self._period_of(lesson.lesson_date)
        for n, kid in enumerate(students):
            value = self._value(kid)
            kind = work or rng.choice(("oral", "oral", "oral", "homework", "homework",
                                       "practical"))
            # As the GiveMark handler: the mark's id names its lesson's date and slot.
            mark_id = ids.mark_id(lesson.lesson_date, lesson.slot, rng.getrandbits(98))
            moment = at + timedelta(seconds=20 * n)
            lesson.give_mark(ctx, mark_id=mark_id, student_id=kid, value=value, work=kind,
                             comment=None, at=moment)
            self._add(lesson)
            self.stats.marks += 1
            if period is not None:
                sums = self.period_sums.setdefault((ctx.journal.id, kid, period), [0, 0])
                sums[0] += int(value)
                sums[1] += 1
            chance = rng.random()
            if chance < CORRECT_SHARE + CANCEL_SHARE:
                when = moment.astimezone(TZ).date() + timedelta(days=rng.randint(1, 3))
                self.later(when, self._fix(ctx, lesson, mark_id, value,
                                           cancel=chance < CANCEL_SHARE))

    def _fix(self, ctx: LessonContext, lesson: Lesson, mark_id: UUID, value: str,
             cancel: bool) -> Callable[[], None]:
        def fix() -> None:
            at = at_local(self.today, 17, self.rng.randint(0, 59))
            if cancel:
                lesson.cancel_mark(ctx, mark_id=mark_id, reason="поставлена не тому ученику",
                                   at=at)
                self.stats.cancellations += 1
            else:
                other = self.rng.choice([v for v in VALUES if v != value])
                lesson.correct_mark(ctx, mark_id=mark_id, value=other,
                                    reason="ошибка при вводе", at=at)
                self.stats.corrections += 1
            self._add(lesson)

        return fix

    def _value(self, kid: UUID) -> str:
        return str(min(5, max(2, round(self.rng.gauss(self.ability[kid], 0.8)))))

    # --- period marks -------------------------------------------------------------------------

    def _period_of(self, day: date) -> int | None:
        for index, (_, period) in enumerate(self.periods):
            if day in period:
                return index
        return None

    def _period_end_days(self) -> dict[date, list[int]]:
        """The last school day of each period: its period marks are given that day."""
        days: dict[date, list[int]] = {}
        for index, (_, period) in enumerate(self.periods):
            day = period.ends_on
            while not self.calendar.is_school_day(day):
                day -= timedelta(days=1)
            days.setdefault(day, []).append(index)
        return days

    def _period_marks(self, index: int, day: date) -> None:
        _, period = self.periods[index]
        for klass in self.classes:
            for ctx in klass.contexts:
                for kid in klass.members:
                    if not klass.aggregate.is_enrolled_during(kid, period.starts_on,
                                                              period.ends_on):
                        continue
                    if self.rng.random() < PERIOD_LATE_SHARE:
                        when = period.ends_on + timedelta(days=self.rng.randint(1, 4))
                        self.later(when, self._period_mark(ctx, index, kid, when, 11))
                    else:
                        self._period_mark(ctx, index, kid, day, 16)()

    def _period_mark(self, ctx: LessonContext, index: int, kid: UUID, day: date,
                     hour: int) -> Callable[[], None]:
        def give() -> None:
            period_id, period = self.periods[index]
            total, count = self.period_sums.get((ctx.journal.id, kid, index), (0, 0))
            mean = total / count if count else self.ability[kid]
            value = str(min(5, max(2, math.floor(mean + 0.5))))
            mark = PeriodMark.give(
                period_mark_id=ids.period_mark_id(ctx.journal.id, kid, period_id),
                actor=ctx.actor, journal=ctx.journal, school_class=ctx.school_class,
                period_id=period_id, period=period, student_id=kid, value=value,
                timezone=TIMEZONE, working=self.calendar.working,
                at=at_local(day, hour, self.rng.randint(0, 59)))
            self._add(mark)
            self.stats.period_marks += 1
            if self.rng.random() < PERIOD_CORRECT_SHARE:
                when = day + timedelta(days=self.rng.randint(2, 5))
                self.later(when, lambda: self._correct_period_mark(ctx, mark))

        return give

    def _correct_period_mark(self, ctx: LessonContext, mark: PeriodMark) -> None:
        other = self.rng.choice([v for v in VALUES if v != mark.value])
        mark.correct(actor=ctx.actor, journal=ctx.journal, value=other,
                     reason="пересмотрена по итогам зачёта", timezone=TIMEZONE,
                     at=at_local(self.today, 12, self.rng.randint(0, 59)))
        self._add(mark)
        self.stats.period_corrections += 1


# --- 1.-3. measurements ------------------------------------------------------------------------


def source_state() -> dict[str, Any]:
    """What ``code`` does not say when the work tree is dirty: the changed files of src/ and a
    digest of every source file measured."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "src").rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    try:
        changed = subprocess.run(["git", "status", "--porcelain", "--", "src"],  # noqa: S607
                                 cwd=ROOT, capture_output=True, text=True,
                                 check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        changed = []
    return {"src_sha256": digest.hexdigest()[:16], "src_changes": changed}


def handled_topics(projector: Projector) -> set[str]:
    return {get_topic(cls) for model in projector.models for cls in model.topics()}


def rebuild(projector: Projector, batch: int) -> dict[str, Any]:
    """Every read model dropped, recreated and caught up from the start of the log."""
    marks = [0]

    def progress(position: int, head: int) -> None:
        quarter = 4 * position // max(head, 1)
        if quarter > marks[0] and quarter < 4:
            marks[0] = quarter
            print(f"    {position:,}/{head:,} after {time.perf_counter() - started:.0f} s",
                  flush=True)

    started = time.perf_counter()
    cpu_started = time.process_time()
    projector.reset(projector.names)
    reset_s = time.perf_counter() - started
    count = projector.catch_up(limit=batch, progress=progress)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    return {"batch": batch, "events": count, "seconds": round(elapsed, 2),
            "reset_s": round(reset_s, 3), "events_per_s": count / elapsed,
            "cpu_s": round(cpu, 2), "events_per_cpu_s": count / cpu if cpu else None}


def decode_only(app: EJournal, batch: int, head: int, topics: set[str]) -> dict[str, Any]:
    """The same notifications, read in the same batch size and every one decoded; nothing
    written. Counts those of ``topics`` (the ones the projector decodes; it skips the rest)."""
    select_notifications = app.recorder.select_notifications
    to_domain_event = app.mapper.to_domain_event
    count = handled = 0
    start = 1
    started = time.perf_counter()
    cpu_started = time.process_time()
    while start <= head:
        notifications = select_notifications(start=start, limit=batch, stop=head)
        if not notifications:
            break
        for notification in notifications:
            to_domain_event(notification)
            handled += notification.topic in topics
        count += len(notifications)
        start = notifications[-1].id + 1
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    return {"batch": batch, "events": count, "handled": handled, "seconds": round(elapsed, 2),
            "events_per_s": count / elapsed,
            "cpu_s": round(cpu, 2), "events_per_cpu_s": count / cpu if cpu else None}


def catch_up_profiled(projector: Projector, batch: int, profiled: int
                      ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Catches up from where the read models are; the last ``profiled`` events under cProfile.
    Returns the catch-up's figures and the profile's."""
    head = projector.head()
    start = projector.position()
    profile_from = max(start, head - profiled)
    started = time.perf_counter()
    while projector.position() < profile_from:
        if projector.run_batch(min(batch, profile_from - projector.position())) == 0:
            break
    plain_s = time.perf_counter() - started
    plain = projector.position() - start
    profiler = cProfile.Profile()
    p_started = time.perf_counter()
    profiler.enable()
    while projector.position() < head:
        if projector.run_batch(batch) == 0:
            break
    profiler.disable()
    profiled_s = time.perf_counter() - p_started
    events = projector.position() - profile_from
    figures = {"batch": batch, "events": plain, "seconds": round(plain_s, 2),
               "events_per_s": plain / plain_s if plain_s else None}
    return figures, summarise_profile(profiler, projector, events, profiled_s,
                                      (profile_from + 1, head))


def summarise_profile(profiler: cProfile.Profile, projector: Projector, events: int,
                      seconds: float, positions: tuple[int, int]) -> dict[str, Any]:
    stats = pstats.Stats(profiler, stream=io.StringIO())
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = (
        stats.stats)  # type: ignore[attr-defined]
    total = max((ct for (_, _, _, ct, _) in raw.values()), default=0.0)

    def where(key: tuple[str, int, str]) -> str:
        path, line, name = key
        for marker in ("site-packages/", "src/"):
            if marker in path:
                path = path.split(marker, 1)[1]
                break
        return f"{path}:{line}({name})" if line else name

    def row(key: tuple[str, int, str]) -> dict[str, Any]:
        _, nc, tt, ct, _ = raw[key]
        return {"function": where(key), "calls": nc, "tottime_s": round(tt, 3),
                "cumtime_s": round(ct, 3), "cum_share": round(ct / total, 3) if total else None,
                "us_per_event": round(ct / events * 1e6, 1) if events else None}

    by_tottime = sorted(raw, key=lambda k: raw[k][2], reverse=True)[:PROFILE_TOP]
    by_cumtime = sorted(raw, key=lambda k: raw[k][3], reverse=True)[:PROFILE_TOP]
    handlers = sorted((k for k in raw if "ejournal/projections/" in k[0]
                       and k[2] not in ("<module>",)), key=lambda k: raw[k][3], reverse=True)
    parts = {label: round(sum(raw[k][3] for k in raw
                              if k[2] in names and any(f in k[0] for f in files)), 3)
             for label, files, names in PROFILE_PARTS}
    # Each model's handlers by their code objects (a handler may live in a shared mixin).
    owners: dict[tuple[str, int, str], list[str]] = {}
    for model in projector.models:
        for attr in set(type(model)._dispatch.values()):
            code = getattr(getattr(type(model), attr), "__code__", None)
            if code is not None:
                key = (code.co_filename, code.co_firstlineno, code.co_name)
                owners.setdefault(key, []).append(model.name)
    per_model: dict[str, float] = {}
    for key, names in owners.items():
        label = names[0] if len(names) == 1 else " + ".join(names) + " (shared handlers)"
        per_model[label] = per_model.get(label, 0.0) + (raw[key][3] if key in raw else 0.0)
    per_model = {k: round(v, 3) for k, v in sorted(per_model.items())}
    statements = sum(raw[k][1] for k in raw
                     if k[2] == "_execute_clauseelement"
                     and "sqlalchemy/engine/base.py" in k[0])
    return {
        "events": events, "positions": list(positions), "seconds": round(seconds, 2),
        "events_per_s_under_profile": events / seconds if seconds else None,
        "total_s": round(total, 3), "parts_cumtime_s": parts,
        "per_model_cumtime_s": per_model,
        "sql_statements": statements,
        "sql_statements_per_event": statements / events if events else None,
        "handlers": [row(k) for k in handlers[:15]],
        "top_tottime": [row(k) for k in by_tottime],
        "top_cumtime": [row(k) for k in by_cumtime],
    }


def diary_reads(reader: Engine, students: list[UUID], first: date, last: date
                ) -> dict[str, Any]:
    """``read_diary`` for each student (one read connection each), after untimed warm-up."""
    for student in students[:DIARY_WARMUP]:
        with reader.connect() as conn:
            read_diary(conn, student, first, last)
    latencies: list[float] = []
    days = lessons = marks = 0
    for student in students[DIARY_WARMUP:]:
        started = time.perf_counter()
        with reader.connect() as conn:
            diary = read_diary(conn, student, first, last)
        latencies.append(time.perf_counter() - started)
        days += len(diary)
        lessons += sum(len(d.lessons) for d in diary)
        marks += sum(len(lesson.marks) for d in diary for lesson in d.lessons)
    ms = sorted(x * 1000 for x in latencies)
    n = len(ms)
    return {"window": [first.isoformat(), last.isoformat()], "reads": n,
            "warmup": DIARY_WARMUP, "p50_ms": statistics.median(ms),
            "p90_ms": percentile(ms, 0.9), "p99_ms": percentile(ms, 0.99),
            "mean_ms": statistics.fmean(ms), "max_ms": ms[-1],
            "mean_days": days / n, "mean_lessons": lessons / n, "mean_marks": marks / n}


def diaries(reader: Engine, students: list[UUID], first: date, last: date
            ) -> list[list[DiaryDay]]:
    with reader.connect() as conn:
        return [read_diary(conn, s, first, last) for s in students]


def read_model_rows(reader: Engine, projector: Projector) -> dict[str, int]:
    counts: dict[str, int] = {}
    with reader.connect() as conn:
        for model in projector.models:
            for table in model.tables:
                counts[table.name] = conn.scalar(select(func.count()).select_from(table)) or 0
    return counts


def database_size(app: EJournal, engine: Engine, sqlite_path: Path | None) -> int:
    if sqlite_path is not None:
        return sum(p.stat().st_size for p in sqlite_path.parent.glob(sqlite_path.name + "*"))
    with engine.connect() as conn:
        return int(conn.scalar(text(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relkind = 'r'"),
            {"schema": app.settings.database_schema}) or 0)


# --- a run per database ------------------------------------------------------------------------


def measure(app: EJournal, args: argparse.Namespace, sqlite_path: Path | None
            ) -> dict[str, Any]:
    started = time.perf_counter()
    load_before = os.getloadavg()
    print(f"  a school year at scale {args.scale}", flush=True)
    year = SchoolYear(app, args.scale, args.seed)
    days = year.school_days()
    cut = days[max(1, math.ceil(EARLY_SHARE * len(days))) - 1]
    early_started = time.perf_counter()
    year.run_until(cut)
    early_gen_s = time.perf_counter() - early_started + year.structure_s
    early_events = app.recorder.max_notification_id() or 0
    print(f"  generated {early_events:,} events up to {cut} ({early_gen_s:.0f} s)", flush=True)

    projector = projector_for(app)
    reader = create_read_engine(app.settings)
    try:
        projector.setup()
        projector.reset(projector.names)
        topics = handled_topics(projector)
        print(f"  catch-up of {', '.join(projector.names)} to {early_events:,}, the last "
              f"{PROFILE_EVENTS:,} events under cProfile", flush=True)
        early_catch_up, profile = catch_up_profiled(projector, BATCHES[0], PROFILE_EVENTS)
        sample_rng = random.Random(args.seed + 1)
        students = [sample_rng.choice(year.students) for _ in range(args.reads + DIARY_WARMUP)]
        window = (cut - timedelta(days=30), cut)
        diary_early = diary_reads(reader, students, *window)
        size_early = database_size(app, reader, sqlite_path)
        print(f"  diary at 10%: p50 {diary_early['p50_ms']:.2f} ms, "
              f"p99 {diary_early['p99_ms']:.2f} ms", flush=True)

        rest_started = time.perf_counter()
        year.finish()
        rest_gen_s = time.perf_counter() - rest_started
        head = app.recorder.max_notification_id() or 0
        print(f"  generated {head - early_events:,} more events, {head:,} in all "
              f"({rest_gen_s:.0f} s)", flush=True)

        rebuilds: list[dict[str, Any]] = []
        decodes: list[dict[str, Any]] = []
        first_rebuild: tuple[list[list[DiaryDay]], dict[str, int]] | None = None
        same = True
        for batch in BATCHES:
            decodes.append(decode_only(app, batch, head, topics))
            rebuilds.append(rebuild(projector, batch))
            print(f"  batch {batch}: rebuild {rebuilds[-1]['events_per_s']:.0f}/s "
                  f"({rebuilds[-1]['seconds']:.0f} s; "
                  f"{rebuilds[-1]['events_per_cpu_s'] or 0:.0f} per CPU-second of this "
                  f"process), decode-only {decodes[-1]['events_per_s']:.0f}/s "
                  f"({decodes[-1]['events_per_cpu_s'] or 0:.0f} per CPU-second)", flush=True)
            built = (diaries(reader, students[:CHECK_STUDENTS], YEAR_START, YEAR_END),
                     read_model_rows(reader, projector))
            if first_rebuild is None:
                first_rebuild = built
                diary_full = diary_reads(reader, students, *window)
                last_month = (YEAR_END - timedelta(days=30), YEAR_END)
                diary_last = diary_reads(reader, students, *last_month)
                size_full = database_size(app, reader, sqlite_path)
                print(f"  diary at 100%: p50 {diary_full['p50_ms']:.2f} ms, "
                      f"p99 {diary_full['p99_ms']:.2f} ms (same month); last month p50 "
                      f"{diary_last['p50_ms']:.2f} ms", flush=True)
            elif built != first_rebuild:
                same = False
                print(f"  !! the read models rebuilt in batches of {batch} differ from those "
                      f"rebuilt in batches of {BATCHES[0]}", flush=True)
        assert first_rebuild is not None
        rows = first_rebuild[1]
    finally:
        projector.engine.dispose()
        projector.reader.dispose()
        reader.dispose()

    handled = decodes[0]["handled"]
    per_batch = []
    for rb, dec in zip(rebuilds, decodes, strict=True):
        per_batch.append({
            "batch": rb["batch"], "rebuild": rb, "decode_only": dec,
            "ratio_rebuild_decode": rb["events_per_s"] / dec["events_per_s"],
            "meets_goal": rb["events_per_s"] >= GOAL_EVENTS_PER_S,
        })
    stats = year.stats
    return {
        "log": {"events": head, "handled_events": handled,
                "handled_share": handled / head if head else None,
                "structure_events": year.structure_events, "early_events": early_events,
                "early_cut_day": cut.isoformat(), "school_days": len(days),
                "early_school_days": days.index(cut) + 1,
                "classes": len(year.classes), "students": len(year.students),
                "subjects": len(SUBJECTS), "journals": sum(len(k.journals) for k in year.classes),
                "teachers": sum(len(t) for t in year.teachers),
                "database_bytes_early": size_early, "database_bytes_full": size_full},
        "generation": {"seconds": round(early_gen_s + rest_gen_s, 1),
                       "events_per_s": head / (early_gen_s + rest_gen_s),
                       "early_s": round(early_gen_s, 1), "rest_s": round(rest_gen_s, 1),
                       "structure_s": round(year.structure_s, 2), **stats.as_dict()},
        "read_model_rows": rows,
        "early_catch_up": early_catch_up,
        "rebuild": per_batch,
        "goal_events_per_s": GOAL_EVENTS_PER_S,
        "rebuilds_equal": same,
        "diary": {"at_10": diary_early, "at_100": diary_full, "at_100_last_month": diary_last,
                  "ratio_p50": diary_full["p50_ms"] / diary_early["p50_ms"],
                  "ratio_p99": diary_full["p99_ms"] / diary_early["p99_ms"]},
        "profile": profile,
        "elapsed_s": round(time.perf_counter() - started, 1),
        "loadavg_1_5_15": {"before": load_before, "after": os.getloadavg()},
    }


def run_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ejournal-bench-") as tmp:
        path = Path(tmp) / "ejournal.db"
        app = EJournal(Settings(database_url=f"sqlite:///{path}"))
        try:
            return measure(app, args, path)
        finally:
            app.close()


def run_postgres(args: argparse.Namespace) -> dict[str, Any]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    conninfo = args.pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
    app: EJournal | None = None
    try:
        app = EJournal(Settings(database_url=args.pg_url, database_schema=schema))
        result = measure(app, args, None)
        result["schema"] = schema
        return result
    finally:
        if app is not None:
            app.close()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
                         .format(sql.Identifier(schema)))


def table(results: dict[str, dict[str, Any]]) -> str:
    def batch(n: int, key: str, fmt: str = "{:.0f}") -> Callable[[dict[str, Any]], str]:
        return lambda r: fmt.format(
            next(b for b in r["rebuild"] if b["batch"] == n)[key]
            if key.startswith("ratio") else
            next(b for b in r["rebuild"] if b["batch"] == n)[key]["events_per_s"])

    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("events in the log", lambda r: f"{r['log']['events']:,}"),
        ("  handled by a read model", lambda r: f"{r['log']['handled_share']:.0%}"),
        ("generation (s)", lambda r: f"{r['generation']['seconds']:.0f}"),
        ("  events/s (build / save s)",
         lambda r: f"{r['generation']['events_per_s']:.0f} "
                   f"({r['generation']['build_s']:.0f}/{r['generation']['save_s']:.0f})"),
    ]
    for n in BATCHES:
        rows += [
            (f"rebuild, batch {n} (events/s, goal >= {GOAL_EVENTS_PER_S})",
             batch(n, "rebuild")),
            (f"decode-only, batch {n} (events/s)", batch(n, "decode_only")),
            ("  ratio rebuild/decode", batch(n, "ratio_rebuild_decode", "{:.3f}")),
        ]
    rows += [
        (f"rebuilt in {BATCHES[-1]} == in {BATCHES[0]}",
         lambda r: "yes" if r["rebuilds_equal"] else "NO"),
        ("diary p50 at 10% / 100% (ms)",
         lambda r: f"{r['diary']['at_10']['p50_ms']:.2f} / {r['diary']['at_100']['p50_ms']:.2f}"),
        ("diary p99 at 10% / 100% (ms)",
         lambda r: f"{r['diary']['at_10']['p99_ms']:.2f} / {r['diary']['at_100']['p99_ms']:.2f}"),
        ("  ratio 100%/10% p50 / p99",
         lambda r: f"{r['diary']['ratio_p50']:.2f} / {r['diary']['ratio_p99']:.2f}"),
        ("diary p50 / p99, last month (ms)",
         lambda r: f"{r['diary']['at_100_last_month']['p50_ms']:.2f} / "
                   f"{r['diary']['at_100_last_month']['p99_ms']:.2f}"),
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


def profile_table(result: dict[str, Any]) -> str:
    profile = result["profile"]
    lines = [f"  cProfile of the catch-up of events {profile['positions'][0]}-"
             f"{profile['positions'][1]} ({profile['events']} events, "
             f"{profile['seconds']:.1f} s under the profiler):"]
    for label, seconds in profile["parts_cumtime_s"].items():
        lines.append(f"    {label:40} {seconds:8.2f} s  "
                     f"{seconds / profile['events'] * 1e6 if profile['events'] else 0:7.0f} "
                     "us/event")
    lines.append(f"    SQL statements per event: {profile['sql_statements_per_event']:.1f}; "
                 "handlers' cumulative time per read model:")
    for name, seconds in profile["per_model_cumtime_s"].items():
        lines.append(f"      {name:20} {seconds:8.2f} s")
    lines.append("    top by own time:")
    for row in profile["top_tottime"][:12]:
        lines.append(f"      {row['tottime_s']:7.2f} s  {row['calls']:>9}  {row['function']}")
    lines.append("    read-model handlers by cumulative time:")
    for row in profile["handlers"][:10]:
        lines.append(f"      {row['cumtime_s']:7.2f} s  {row['calls']:>9}  {row['function']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rebuild", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="classes = 40 x scale, teachers likewise (default 1.0: 40 classes, "
                             "1,000 students, > 300,000 events)")
    parser.add_argument("--reads", type=int, default=500,
                        help="timed diary reads at each point (default 500)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--pg-url", default=os.environ.get("EJOURNAL_BENCH_POSTGRES_URL",
                                                           DEFAULT_PG_URL))
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.reads < 1:
        parser.error("--scale and --reads are positive")

    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    RESULTS.mkdir(parents=True, exist_ok=True)
    when = datetime.now(tz=UTC)
    about = machine()
    code = code_version()
    source = source_state()
    results: dict[str, dict[str, Any]] = {}
    for db in dbs:
        print(f"{db}:", flush=True)
        result = run_sqlite(args) if db == "sqlite" else run_postgres(args)
        result = {"db": db, "date": when.isoformat(timespec="seconds"), "machine": about,
                  "code": code, **source, "read_models": [m.name for m in all_models()],
                  "command": "python -m bench.rebuild " + " ".join(sys.argv[1:] if argv is None
                                                                  else argv),
                  "parameters": {"scale": args.scale, "seed": args.seed, "reads": args.reads,
                                 "batches": list(BATCHES), "early_share": EARLY_SHARE,
                                 "profile_events": PROFILE_EVENTS, "save_chunk": SAVE_CHUNK},
                  **result}
        results[db] = result
        # A quicker run (--scale below 1) never overwrites the full run's figures.
        suffix = "" if args.scale == 1.0 else f"-scale{args.scale:g}"
        out = RESULTS / f"rebuild-{db}{suffix}.json"
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                       encoding="utf-8")
        print(f"  -> {out.relative_to(ROOT)}", flush=True)
    print()
    print(f"{when:%Y-%m-%d %H:%M} UTC, {about['cores']} cores, {about['cpu']}, "
          f"Python {about['python']}, eventsourcing {about['eventsourcing']}, code {code}, "
          f"read models: {', '.join(m.name for m in all_models())}")
    print(table(results))
    for db, result in results.items():
        slow = [b["batch"] for b in result["rebuild"] if not b["meets_goal"]]
        if slow:
            print(f"\n{db}: rebuild below {GOAL_EVENTS_PER_S} events/s (batch "
                  f"{', '.join(map(str, slow))})")
            print(profile_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
