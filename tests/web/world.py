"""A small school for the browser tests, recorded through the application layer on the
server's clock: a guardian of two children, a third
child of another family, two journals, lessons this week and last week, marks and an
absence. Every day used is declared a school day, so any date of the year works."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from ejournal.accounts import Accounts
from ejournal.application import EJournal
from ejournal.application.commands import (
    AddSubject,
    DeclareCalendarDay,
    EnrolStudent,
    GiveMark,
    HoldLesson,
    LinkGuardian,
    OpenClass,
    OpenJournal,
    PlanYear,
    RegisterSchool,
    RegisterUser,
    SetProgramme,
    TakeAttendance,
)
from ejournal.projections.base import create_read_engine
from tests.servers import OPERATOR, Server

PASSWORD = "web-pa55word"
TZ = "Europe/Moscow"


@dataclass
class School:
    server: Server
    today: date
    monday: date  # this week's
    ids: dict[str, UUID] = field(default_factory=dict)  # who -> user id
    usernames: dict[str, str] = field(default_factory=dict)
    journals: dict[str, UUID] = field(default_factory=dict)  # subject -> journal
    lessons: dict[str, UUID] = field(default_factory=dict)  # tag -> lesson
    school_id: UUID | None = None
    class_id: UUID | None = None
    period: UUID | None = None


def build(server: Server) -> School:
    settings = server.database.settings
    app = server.app()
    accounts = Accounts(create_read_engine(settings))
    try:
        return _record(server, app, accounts)
    finally:
        app.close()
        accounts.engine.dispose()


def _record(server: Server, app: EJournal, accounts: Accounts) -> School:
    today = server.clock().astimezone(ZoneInfo(TZ)).date()
    monday = today - timedelta(days=today.weekday())
    world = School(server, today, monday)
    operator = app.user_by_username(OPERATOR[0])
    assert operator is not None
    school = app.execute(RegisterSchool(operator.id, name="Школа № 1", timezone=TZ)).id
    assert school is not None
    world.school_id = school

    def person(who: str, role: str, name: str, by: UUID | None = None) -> UUID:
        made = app.execute(RegisterUser(by or operator.id, school, username=f"w-{who}",
                                        full_name=name, role=role)).id
        assert made is not None
        world.ids[who], world.usernames[who] = made, f"w-{who}"
        return made

    admin = person("admin", "admin", "Елена Сергеевна Завучева")
    first, last = today - timedelta(days=120), today + timedelta(days=120)
    year = app.execute(PlanYear(admin, school, name="Учебный год", starts_on=first, ends_on=last,
                                days_per_week=5, periods=[("Полугодие", first, last)], holidays=[]))
    assert year.id is not None
    world.period = next(iter(year.periods.values()))
    older = monday - timedelta(days=7)
    for day in sorted({monday, today, older}):
        app.execute(DeclareCalendarDay(admin, school, day=day, kind="school_day",
                                       reason="учебный день"))
    person("auditor", "auditor", "Олег Контролёров", admin)
    teacher = person("teacher", "teacher", "Мария Ивановна Учителева", admin)
    kid_a = person("anna", "student", "Иванова Анна", admin)
    kid_b = person("boris", "student", "Иванов Борис", admin)
    other = person("vera", "student", "Петрова Вера", admin)
    guardian = person("guardian", "guardian", "Иванова Ольга", admin)
    person("other_guardian", "guardian", "Петров Пётр", admin)
    maths = app.execute(AddSubject(admin, school, name="Математика")).id
    russian = app.execute(AddSubject(admin, school, name="Русский язык")).id
    class_id = app.execute(OpenClass(admin, school, name="7А", year_id=year.id,
                                     class_teacher_id=teacher)).id
    assert class_id is not None
    assert maths is not None
    assert russian is not None
    world.class_id = class_id
    for kid in (kid_a, kid_b, other):
        app.execute(EnrolStudent(admin, class_id, student_id=kid, from_date=first))
    app.execute(LinkGuardian(admin, kid_a, guardian_id=guardian))
    app.execute(LinkGuardian(admin, kid_b, guardian_id=guardian))
    app.execute(LinkGuardian(admin, other, guardian_id=world.ids["other_guardian"]))
    for subject, subject_id in (("Математика", maths), ("Русский язык", russian)):
        made = app.execute(OpenJournal(admin, class_id=class_id, subject_id=subject_id,
                                       teacher_id=teacher)).id
        assert made is not None
        world.journals[subject] = made
        app.execute(SetProgramme(admin, made, topics=[("Дроби", 4), ("Уравнения", 4)]
                                 if subject == "Математика" else [("Причастие", 4)]))

    maths_j, russian_j = world.journals["Математика"], world.journals["Русский язык"]

    def lesson(tag: str, journal: UUID, day: date, slot: int, topic: str,
               homework: str) -> UUID:
        made = app.execute(HoldLesson(teacher, journal, lesson_date=day, slot=slot, topic=topic,
                                      homework=homework)).id
        assert made is not None
        world.lessons[tag] = made
        return made

    now_m = lesson("this_maths", maths_j, monday, 1, "Сложение дробей", "№ 101, 102")
    now_r = lesson("this_russian", russian_j, monday, 2, "Причастный оборот",
                   "Упражнение 45")
    old_m = lesson("old_maths", maths_j, older, 1, "Обыкновенные дроби", "№ 77")
    app.execute(GiveMark(teacher, maths_j, now_m, student_id=kid_a, value="5", work="test"))
    app.execute(GiveMark(teacher, maths_j, now_m, student_id=kid_a, value="4", work="oral"))
    app.execute(TakeAttendance(teacher, russian_j, now_r, absent=[(kid_a, "illness")]))
    app.execute(GiveMark(teacher, maths_j, old_m, student_id=kid_a, value="3", work="homework"))
    app.execute(GiveMark(teacher, maths_j, now_m, student_id=kid_b, value="2", work="oral"))
    app.execute(GiveMark(teacher, maths_j, now_m, student_id=other, value="5", work="oral"))

    now = server.clock()
    for user_id in world.ids.values():
        accounts.set_password(user_id, PASSWORD, now=now)
    return world
