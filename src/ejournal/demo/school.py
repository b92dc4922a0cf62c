"""Recording the demo school's structure: its people, year, classes, journals with their
work programmes, and the timetable - through the application's commands, as an operator and
the school's admin would enter them the week before the year starts."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from ejournal.application import EJournal
from ejournal.application.commands import (
    AddSubject,
    Command,
    EnrolStudent,
    LinkGuardian,
    OpenClass,
    OpenJournal,
    PlanYear,
    RegisterOperator,
    RegisterSchool,
    RegisterUser,
    SetProgramme,
    SetTimetable,
)
from ejournal.demo import people
from ejournal.demo.programmes import SUBJECTS, Subject
from ejournal.domain.calendar import SchoolCalendar
from ejournal.domain.school import AcademicYear, School


def username(role: str, number: int) -> str:
    """Every demo login: the role's word and a two-digit number (``parent07``); a student and
    their guardian share the number."""
    return f"{role}{number:02d}"


def logins_of(seed: int) -> list[str]:
    """Every username the demo school of ``seed`` registers."""
    families = range(seed, seed + people.CLASS_SIZE * len(people.WEEKS))
    return [username("operator", seed), username("admin", seed), username("auditor", seed),
            *(username("teacher", seed + i) for i in range(len(people.TEACHERS))),
            *(username(role, n) for n in families for role in ("student", "parent"))]


class DemoRecordedAlready(Exception):
    """The demo school of this seed is in the database already."""


@dataclass(frozen=True)
class Student:
    id: UUID
    number: int
    ability: float  # the mean of the marks they tend to get


@dataclass(frozen=True)
class DemoJournal:
    id: UUID
    class_name: str
    subject: Subject
    teacher_id: UUID
    students: tuple[Student, ...]


@dataclass
class DemoSchool:
    """The structure as recorded: what the week's lessons are recorded against."""

    school_id: UUID
    year_id: UUID
    calendar: SchoolCalendar
    #: id, name, first day, last day: the quarters, then the year
    periods: list[tuple[UUID, str, date, date]]
    journals: list[DemoJournal] = field(default_factory=list)
    #: (class name, ISO weekday, slot) -> journal
    timetable: dict[tuple[str, int, int], DemoJournal] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)  # role label -> username
    user_ids: dict[str, UUID] = field(default_factory=dict)  # role label -> user id


def _quarters(y: int) -> tuple[list[tuple[str, date, date, str]],
                              list[tuple[str, date, date]]]:
    """Четверти, the year (for year marks) and каникулы of the school year starting on
    1 September of ``y``."""
    periods = [("I четверть", date(y, 9, 1), date(y, 10, 24), "term"),
               ("II четверть", date(y, 11, 5), date(y, 12, 27), "term"),
               ("III четверть", date(y + 1, 1, 12), date(y + 1, 3, 21), "term"),
               ("IV четверть", date(y + 1, 3, 30), date(y + 1, 5, 26), "term"),
               ("Год", date(y, 9, 1), date(y + 1, 5, 26), "year")]
    holidays = [("осенние каникулы", date(y, 10, 25), date(y, 11, 4)),
                ("зимние каникулы", date(y, 12, 28), date(y + 1, 1, 11)),
                ("весенние каникулы", date(y + 1, 3, 22), date(y + 1, 3, 29))]
    return periods, holidays


def record_school(app: EJournal, rng: random.Random, *, seed: int, year_start: date,
                  at: datetime) -> DemoSchool:
    """The school, its staff, two 7th classes of 25 students with guardians, six subjects'
    journals with their programmes, and each class's timetable from the year's first day."""
    for name in logins_of(seed):
        taken = app.user_by_username(name)
        if taken is not None:
            raise DemoRecordedAlready(f"the login {name} of the demo school of seed {seed} is "
                                      f"taken: a demo school (school {taken.school_id}) is in "
                                      "this database already")
    operator = app.execute(RegisterOperator(username=username("operator", seed),
                                            full_name=people.OPERATOR), at=at).id
    school = app.execute(RegisterSchool(operator, name=people.SCHOOL.format(n=seed),
                                        timezone=people.TIMEZONE), at=at).id

    usernames: dict[str, str] = {}
    user_ids: dict[str, UUID] = {}

    def user(word: str, number: int, full_name: str, label: str | None = None) -> UUID:
        name = username(word, number)
        role = "guardian" if word == "parent" else word
        uid = app.execute(RegisterUser(operator, school, username=name, full_name=full_name,
                                       role=role), at=at).id
        if label is not None:
            usernames[label], user_ids[label] = name, uid
        return uid

    periods, holidays = _quarters(year_start.year)
    admin = user("admin", seed, people.ADMIN, "admin")
    user("auditor", seed, people.AUDITOR, "auditor")
    year = app.execute(PlanYear(
        admin, school, name=f"{year_start.year}/{year_start.year + 1}", starts_on=year_start,
        ends_on=periods[-1][2], days_per_week=5, periods=periods,
        holidays=holidays), at=at)
    aggregates = app.load_many([school, year.id])
    planned, registered = aggregates[year.id], aggregates[school]
    assert isinstance(planned, AcademicYear)  # noqa: S101
    assert isinstance(registered, School)  # noqa: S101
    demo = DemoSchool(school, year.id, planned.calendar(registered),
                      [(year.periods[name], name, a, b) for name, a, b, _ in periods],
                      usernames=usernames, user_ids=user_ids)
    teachers = [user("teacher", seed + i, name, "teacher" if i == 0 else None)
                for i, (name, _) in enumerate(people.TEACHERS)]
    subjects = {s.name: app.execute(AddSubject(admin, school, name=s.name), at=at).id
                for s in SUBJECTS}
    by_name = {s.name: s for s in SUBJECTS}
    number = seed
    for index, (class_name, week) in enumerate(people.WEEKS.items()):
        class_id = app.execute(OpenClass(admin, school, name=class_name, year_id=year.id,
                                         class_teacher_id=teachers[index], grade=7), at=at).id
        numbers = range(number, number + people.CLASS_SIZE)
        registered_ids = _side_by_side(app, at, [
            RegisterUser(operator, school, username=username(word, n), full_name=name,
                         role=role)
            for n, family in zip(numbers, people.families(rng, people.CLASS_SIZE), strict=True)
            for word, role, name in (("student", "student", family.student),
                                     ("parent", "guardian", family.guardian))])
        pairs = list(zip(registered_ids[::2], registered_ids[1::2], strict=True))
        if number == seed:
            usernames["student"], user_ids["student"] = username("student", seed), pairs[0][0]
            usernames["guardian"], user_ids["guardian"] = username("parent", seed), pairs[0][1]
        for student, _ in pairs:  # each enrolment changes the class: one after the other
            app.execute(EnrolStudent(admin, class_id, student_id=student,
                                     from_date=year_start), at=at)
        _side_by_side(app, at, [LinkGuardian(admin, student, guardian_id=guardian)
                                for student, guardian in pairs])
        students = [Student(student, n, rng.uniform(3.1, 4.8))
                    for n, (student, _) in zip(numbers, pairs, strict=True)]
        number += people.CLASS_SIZE
        journals = {}
        for subject in SUBJECTS:
            teacher = teachers[people.teacher_of(subject.name)]
            journal_id = app.execute(OpenJournal(admin, class_id=class_id,
                                                 subject_id=subjects[subject.name],
                                                 teacher_id=teacher), at=at).id
            app.execute(SetProgramme(admin, journal_id, topics=[
                (s.title, s.hours) for s in subject.sections]), at=at)
            journals[subject.name] = DemoJournal(journal_id, class_name, subject, teacher,
                                                 tuple(students))
        demo.journals += journals.values()
        rows = []
        for weekday, day in enumerate(week, start=1):
            for slot, subject_name in enumerate(day, start=1):
                journal = journals[by_name[subject_name].name]
                demo.timetable[(class_name, weekday, slot)] = journal
                rows.append((weekday, slot, journal.id))
        app.execute(SetTimetable(admin, class_id, valid_from=year_start, lessons=rows), at=at)
    return demo


def _side_by_side(app: EJournal, at: datetime, commands: list[Command[Any]]) -> list[UUID]:
    """Commands on different aggregates, run at once (they share transactions: the
    application's group commit); the ids they answer, in order."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda command: app.execute(command, at=at), commands))
    return [getattr(result, "id", None) or UUID(int=0) for result in results]


def school_days(demo: DemoSchool, first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)
            if demo.calendar.is_school_day(first + timedelta(days=n))]
