"""Builds a small school through the application layer, as an admin would."""

from __future__ import annotations

import uuid
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
)


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
    usernames: dict[str, str] = field(default_factory=dict)


def build_school(app: EJournal, *, timezone: str = "Europe/Moscow", students: int = 3,
                 days_per_week: int = 5, tag: str | None = None) -> SmallSchool:
    """A school for the 2026/27 year: quarters, autumn каникулы (26.10-03.11), one class
    "7Б" with ``students`` students, one maths journal taught by ``teacher``."""
    t = tag or uuid.uuid4().hex[:8]
    op = app.execute(RegisterOperator(username=f"op-{t}", full_name="Оператор")).id
    assert op is not None
    school = app.execute(RegisterSchool(op, name=f"Школа {t}", timezone=timezone)).id
    assert school is not None

    def user(name: str, role: str, full_name: str) -> UUID:
        uid = app.execute(RegisterUser(op, school, username=f"{name}-{t}", full_name=full_name,
                                       role=role)).id
        assert uid is not None
        return uid

    admin = user("admin", "admin", "Завуч")
    teacher = user("teacher", "teacher", "Мария Ивановна")
    other = user("other", "teacher", "Пётр Петрович")
    auditor = user("auditor", "auditor", "Аудитор")
    year = app.execute(PlanYear(
        admin, school, name="2026/2027", starts_on=date(2026, 9, 1), ends_on=date(2027, 5, 31),
        days_per_week=days_per_week,
        periods=[("I четверть", date(2026, 9, 1), date(2026, 10, 25)),
                 ("II четверть", date(2026, 11, 5), date(2026, 12, 28)),
                 ("III четверть", date(2027, 1, 12), date(2027, 3, 21)),
                 ("IV четверть", date(2027, 3, 30), date(2027, 5, 31))],
        holidays=[("осенние каникулы", date(2026, 10, 26), date(2026, 11, 4)),
                  ("зимние каникулы", date(2026, 12, 29), date(2027, 1, 11)),
                  ("весенние каникулы", date(2027, 3, 22), date(2027, 3, 29))],
    ))
    assert year.id is not None
    periods = year.periods
    subject = app.execute(AddSubject(admin, school, name="Математика")).id
    assert subject is not None
    school_class = app.execute(OpenClass(admin, school, name="7Б", year_id=year.id,
                                         class_teacher_id=teacher)).id
    assert school_class is not None
    kids = [user(f"student{i}", "student", f"Ученик {i}") for i in range(students)]
    for kid in kids:
        app.execute(EnrolStudent(admin, school_class, student_id=kid, from_date=date(2026, 9, 1)))
    guardian = user("guardian", "guardian", "Родитель")
    app.execute(LinkGuardian(admin, kids[0], guardian_id=guardian))
    journal = app.execute(OpenJournal(admin, class_id=school_class, subject_id=subject,
                                      teacher_id=teacher)).id
    assert journal is not None
    return SmallSchool(operator=op, school=school, admin=admin, teacher=teacher,
                       other_teacher=other, auditor=auditor, year=year.id, periods=periods,
                       subject=subject, school_class=school_class, journal=journal,
                       students=kids, guardian=guardian, timezone=timezone)
