"""The compliance scheduler over a real database (SQLite file and PostgreSQL schema), with an
injected clock: a school built through the application, a runner, and the log's own count of
findings (each must be recorded exactly once)."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from ejournal.application import EJournal
from ejournal.application.commands import (
    AddSubject,
    EnrolStudent,
    OpenClass,
    OpenJournal,
    PlanYear,
    RegisterOperator,
    RegisterSchool,
    RegisterUser,
    SetTimetable,
)
from ejournal.domain.findings import ComplianceAudit, MissingEntry
from ejournal.projections.findings import OverdueItem, read_overdue
from ejournal.scheduler.runner import ComplianceRunner, SchoolRun
from ejournal.settings import Settings
from tests.conftest import Clock, Database

FOUND = "ejournal.domain.findings:MissingEntry.Found"
RESOLVED = "ejournal.domain.findings:MissingEntry.Resolved"
DAY_CHECKED = "ejournal.domain.findings:ComplianceAudit.DayChecked"


@dataclass
class School:
    school: UUID
    timezone: str
    admin: UUID
    teacher: UUID
    other_teacher: UUID
    auditor: UUID
    year: UUID
    periods: dict[str, UUID]
    school_class: UUID
    journal: UUID
    students: list[UUID]
    tag: str = ""
    usernames: dict[str, str] = field(default_factory=dict)


def make_school(app: EJournal, *, timezone: str = "Europe/Moscow", days_per_week: int = 5,
                starts_on: date = date(2026, 11, 23), ends_on: date = date(2027, 5, 31),
                periods: Sequence[tuple[str, date, date]] | None = None,
                holidays: Sequence[tuple[str, date, date]] = (), students: int = 3,
                timetable: Sequence[tuple[int, int]] = (), tag: str | None = None) -> School:
    """A school with one year (one period, the whole year, unless ``periods``), one class with
    ``students`` enrolled from the year's start, one maths journal taught by ``teacher``, and
    that journal's lessons in the class timetable at ``timetable`` (weekday, slot) from the
    year's start."""
    t = tag or uuid.uuid4().hex[:8]
    op = app.execute(RegisterOperator(username=f"op-{t}", full_name="Оператор")).id
    assert op is not None
    school = app.execute(RegisterSchool(op, name=f"Школа {t}", timezone=timezone)).id
    assert school is not None
    names: dict[str, str] = {}

    def user(name: str, role: str, full_name: str) -> UUID:
        names[name] = f"{name}-{t}"
        uid = app.execute(RegisterUser(op, school, username=names[name], full_name=full_name,
                                       role=role)).id
        assert uid is not None
        return uid

    admin = user("admin", "admin", "Завуч")
    teacher = user("teacher", "teacher", "Мария Ивановна")
    other = user("other", "teacher", "Пётр Петрович")
    auditor = user("auditor", "auditor", "Аудитор")
    year = app.execute(PlanYear(admin, school, name="Учебный год", starts_on=starts_on,
                                ends_on=ends_on, days_per_week=days_per_week,
                                periods=list(periods or [("год", starts_on, ends_on)]),
                                holidays=list(holidays)))
    assert year.id is not None
    subject = app.execute(AddSubject(admin, school, name="Математика")).id
    assert subject is not None
    school_class = app.execute(OpenClass(admin, school, name="7Б", year_id=year.id)).id
    assert school_class is not None
    kids = [user(f"student{i}", "student", f"Ученик {i}") for i in range(students)]
    for kid in kids:
        app.execute(EnrolStudent(admin, school_class, student_id=kid, from_date=starts_on))
    journal = app.execute(OpenJournal(admin, class_id=school_class, subject_id=subject,
                                      teacher_id=teacher)).id
    assert journal is not None
    if timetable:
        app.execute(SetTimetable(admin, school_class, valid_from=starts_on,
                                 lessons=[(weekday, slot, journal) for weekday, slot in timetable]))
    return School(school=school, timezone=timezone, admin=admin, teacher=teacher,
                  other_teacher=other, auditor=auditor, year=year.id,
                  periods=year.periods,
                  school_class=school_class, journal=journal, students=kids, tag=t,
                  usernames=names)


def local(timezone: str, day: date, hour: int = 0, minute: int = 0) -> datetime:
    """A school-local moment, in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


@dataclass
class Compliance:
    app: EJournal
    runner: ComplianceRunner
    clock: Clock
    database: Database

    def at(self, s: School, day: date, hour: int = 12, minute: int = 0) -> datetime:
        """Sets the clock to this school-local moment."""
        moment = local(s.timezone, day, hour, minute)
        self.clock.set(moment)
        return moment

    def run_on(self, s: School, day: date, hour: int = 23, minute: int = 0) -> SchoolRun:
        """The scheduler runs for the school at this school-local moment."""
        return self.runner.run_school(s.school, self.at(s, day, hour, minute))

    def night_after(self, s: School, day: date) -> SchoolRun:
        """The nightly run after ``day`` (00:30 school-local the next day)."""
        return self.run_on(s, day + timedelta(days=1), 0, 30)

    def overdue(self, s: School, **filters: object) -> list[OverdueItem]:
        self.runner.refresh()
        with self.runner.projector.reader.connect() as conn:
            return read_overdue(conn, s.school, **filters)  # type: ignore[arg-type]

    def logged(self, topic: str) -> Counter[UUID]:
        """How many events of this topic each aggregate has in the log."""
        return count_events(self.app, topic)

    def days_checked(self, s: School) -> list[date]:
        events = self.app.events.get(audit_id_of(s))
        return [e.day for e in events if isinstance(e, ComplianceAudit.DayChecked)]

    def finding(self, finding_id: UUID) -> MissingEntry:
        found = self.app.repository.get(finding_id)
        assert isinstance(found, MissingEntry)
        return found


def audit_id_of(s: School) -> UUID:
    from ejournal.domain.findings import audit_id

    return audit_id(s.school)


def count_events(app: EJournal, topic: str) -> Counter[UUID]:
    notifications = app.recorder.select_notifications(start=1, limit=1_000_000,
                                                      topics=[topic])
    return Counter(UUID(str(n.originator_id)) for n in notifications)


@pytest.fixture
def compliance(database: Database, clock: Clock) -> Iterator[Compliance]:
    app = database.app(clock)
    runner = ComplianceRunner.open(database.settings, clock=clock)
    yield Compliance(app, runner, clock, database)
    runner.close()
    app.close()


def cli_env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "EJOURNAL_DATABASE_URL": settings.database_url,
            "EJOURNAL_DATABASE_SCHEMA": settings.database_schema}
