"""The one school builder of the tests and benchmarks: a small school built through the
application layer, as its operator and admin would."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from ejournal.application import EJournal
from ejournal.application.commands import (
    AddSubject,
    EnrolStudent,
    LinkGuardian,
    OpenClass,
    OpenJournal,
    PlanYear,
    RegisterOperator,
    RegisterSchool,
    RegisterUser,
    SetTimetable,
)

YEAR = (date(2026, 9, 1), date(2027, 5, 31))
#: (name, first day, last day[, kind: "term" or "year"])
PeriodSpec = tuple[str, date, date] | tuple[str, date, date, str]
QUARTERS = (("I четверть", date(2026, 9, 1), date(2026, 10, 25)),
            ("II четверть", date(2026, 11, 5), date(2026, 12, 28)),
            ("III четверть", date(2027, 1, 12), date(2027, 3, 21)),
            ("IV четверть", date(2027, 3, 30), date(2027, 5, 31)))
HOLIDAYS = (("осенние каникулы", date(2026, 10, 26), date(2026, 11, 4)),
            ("зимние каникулы", date(2026, 12, 29), date(2027, 1, 11)),
            ("весенние каникулы", date(2027, 3, 22), date(2027, 3, 29)))


@dataclass
class SmallSchool:
    operator: UUID
    school: UUID
    admin: UUID
    teacher: UUID
    other_teacher: UUID
    auditor: UUID
    year: UUID
    periods: dict[str, UUID]
    subject: UUID
    school_class: UUID
    journal: UUID
    students: list[UUID]
    guardian: UUID
    timezone: str
    tag: str = ""
    #: each person's username by who they are: admin, teacher, other, auditor, student0...,
    #: guardian
    usernames: dict[str, str] = field(default_factory=dict)

    @property
    def people(self) -> dict[str, UUID]:
        """Each person's id by who they are (the keys of ``usernames``)."""
        found = {"admin": self.admin, "teacher": self.teacher, "other": self.other_teacher,
                 "auditor": self.auditor, "guardian": self.guardian}
        return {**found, **{f"student{i}": kid for i, kid in enumerate(self.students)}}


def build_school(app: EJournal, *, timezone: str = "Europe/Moscow", students: int = 3,
                 days_per_week: int = 5, tag: str | None = None,
                 starts_on: date = YEAR[0], ends_on: date = YEAR[1],
                 periods: Sequence[PeriodSpec] = QUARTERS,
                 holidays: Sequence[tuple[str, date, date]] = HOLIDAYS,
                 class_teacher: bool = True,
                 timetable: Sequence[tuple[int, int]] = (),
                 grade: int | None = None) -> SmallSchool:
    """A school with one year (by default 2026/27: quarters, каникулы), one class "7Б" (of
    ``grade``, if given) with ``students`` students enrolled from the year's first day
    (``teacher`` its class teacher, unless not ``class_teacher``), a guardian of the first
    student, and one maths journal taught by ``teacher``, its lessons in the class timetable
    at ``timetable`` (weekday, slot) from the year's first day."""
    t = tag or uuid.uuid4().hex[:8]
    op = app.execute(RegisterOperator(username=f"op-{t}", full_name="Оператор")).id
    school = app.execute(RegisterSchool(op, name=f"Школа {t}", timezone=timezone)).id
    names: dict[str, str] = {}

    def user(name: str, role: str, full_name: str) -> UUID:
        names[name] = f"{name}-{t}"
        return app.execute(RegisterUser(op, school, username=names[name], full_name=full_name,
                                        role=role)).id

    admin = user("admin", "admin", "Завуч")
    teacher = user("teacher", "teacher", "Мария Ивановна")
    other = user("other", "teacher", "Пётр Петрович")
    auditor = user("auditor", "auditor", "Аудитор")
    year = app.execute(PlanYear(admin, school, name=f"{starts_on.year}/{ends_on.year}",
                                starts_on=starts_on, ends_on=ends_on,
                                days_per_week=days_per_week, periods=periods, holidays=holidays))
    subject = app.execute(AddSubject(admin, school, name="Математика")).id
    school_class = app.execute(OpenClass(admin, school, name="7Б", year_id=year.id,
                                         class_teacher_id=teacher if class_teacher else None,
                                         grade=grade)).id
    kids = [user(f"student{i}", "student", f"Ученик {i}") for i in range(students)]
    for kid in kids:
        app.execute(EnrolStudent(admin, school_class, student_id=kid, from_date=starts_on))
    guardian = user("guardian", "guardian", "Родитель")
    if kids:
        app.execute(LinkGuardian(admin, kids[0], guardian_id=guardian))
    journal = app.execute(OpenJournal(admin, class_id=school_class, subject_id=subject,
                                      teacher_id=teacher)).id
    if timetable:
        app.execute(SetTimetable(admin, school_class, valid_from=starts_on,
                                 lessons=[(weekday, slot, journal) for weekday, slot in timetable]))
    return SmallSchool(operator=op, school=school, admin=admin, teacher=teacher,
                       other_teacher=other, auditor=auditor, year=year.id,
                       periods=year.periods, subject=subject, school_class=school_class,
                       journal=journal, students=kids, guardian=guardian, timezone=timezone,
                       tag=t, usernames=names)
