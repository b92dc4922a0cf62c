"""The school the documents are printed for: class 7Б of ``students`` students with names of
their own, a maths journal (Мария Ивановна) and a Russian one (Пётр Петрович), lessons through
I четверть - 26 in September (two on its first four days), more than one page of columns - and
II четверть up to today, marks and absences on a known pattern, and period marks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from ejournal.application import EJournal
from ejournal.application.commands import (
    AddSubject,
    EnrolStudent,
    GiveMark,
    GivePeriodMark,
    HoldLesson,
    LinkGuardian,
    OpenJournal,
    RegisterUser,
    TakeAttendance,
)
from ejournal.domain.calendar import is_public_day_off
from tests import builders

SURNAMES = ("Алексеев", "Борисова", "Васильев", "Григорьева", "Дмитриев", "Ёлкина", "Жуков",
            "Зайцева", "Ильин", "Карпова", "Лебедев", "Морозова", "Никитин", "Орлова",
            "Павлов", "Романова", "Семёнов", "Тихонова", "Ульянов", "Фёдорова", "Харитонов",
            "Цветкова", "Чернов", "Шубина", "Щукин", "Эйдельман", "Юдина", "Яковлев",
            "Абрамова", "Беляев", "Воронина", "Гусев", "Давыдова", "Егоров", "Жданова")
GIVEN = ("Артём", "Анна", "Борис", "Вера", "Глеб", "Дарья", "Егор", "Ксения", "Лев", "Мария",
         "Никита", "Ольга", "Пётр", "Роза", "Степан", "Таисия", "Фёдор")
VALUES = "5432"


@dataclass
class Lesson:
    journal: UUID
    id: UUID
    day: date
    slot: int
    topic: str
    homework: str
    #: each student's cell: marks in the order given, or ["н"]
    cells: dict[UUID, list[str]] = field(default_factory=dict)


@dataclass
class World:
    s: builders.SmallSchool
    russian: UUID
    students: list[UUID]
    names: dict[UUID, str]
    lessons: list[Lesson]
    period_marks: dict[tuple[UUID, UUID, UUID], str]  # (student, journal, period) -> value


def school_days(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5 and not is_public_day_off(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def build(app: EJournal, *, students: int = 6, tag: str = "doc",
          second_term_until: date = date(2026, 11, 24)) -> World:
    s = builders.build_school(app, students=0, grade=7, tag=tag)
    admin, maths = s.admin, s.journal
    subject = app.execute(AddSubject(admin, s.school, name="Русский язык")).id
    assert subject is not None
    russian = app.execute(OpenJournal(admin, class_id=s.school_class, subject_id=subject,
                                      teacher_id=s.other_teacher)).id
    assert russian is not None
    kids: list[UUID] = []
    names: dict[UUID, str] = {}
    for i in range(students):
        name = f"{SURNAMES[i % len(SURNAMES)]} {GIVEN[i % len(GIVEN)]}"
        s.usernames[f"student{i}"] = f"student{i}-{s.tag}"
        kid = app.execute(RegisterUser(s.operator, s.school, username=f"student{i}-{s.tag}",
                                       full_name=name, role="student")).id
        app.execute(EnrolStudent(admin, s.school_class, student_id=kid,
                                 from_date=builders.YEAR[0]))
        kids.append(kid)
        names[kid] = name
    s.students = kids
    app.execute(LinkGuardian(admin, kids[0], guardian_id=s.guardian))
    first, second = s.periods["I четверть"], s.periods["II четверть"]
    plan = [(day, 1) for day in school_days(date(2026, 9, 1), date(2026, 10, 23))]
    plan += [(day, 2) for day in school_days(date(2026, 9, 1), date(2026, 9, 4))]
    plan += [(day, 1) for day in school_days(date(2026, 11, 5), second_term_until)]
    plan.sort()
    lessons: list[Lesson] = []
    for n, (day, slot) in enumerate(plan):
        lessons.append(_lesson(app, admin, maths, day, slot, n, kids))
        if day.weekday() in (1, 3) and slot == 1:
            lessons.append(_lesson(app, admin, russian, day, 3, n, kids))
    finals: dict[tuple[UUID, UUID, UUID], str] = {}
    for k, kid in enumerate(kids):
        for journal in (maths, russian):
            value = VALUES[k % 4]
            app.execute(GivePeriodMark(admin, journal, student_id=kid, period_id=first,
                                       value=value))
            finals[(kid, journal, first)] = value
        if k % 2 == 0:
            app.execute(GivePeriodMark(admin, maths, student_id=kid, period_id=second,
                                       value="4"))
            finals[(kid, maths, second)] = "4"
    return World(s, russian, kids, names, lessons, finals)


def _lesson(app: EJournal, admin: UUID, journal: UUID, day: date, slot: int, n: int,
            kids: list[UUID]) -> Lesson:
    topic = f"Тема {n + 1}: {'дроби' if slot != 3 else 'суффиксы'}, {day.day} число"
    homework = f"§ {n + 1}, упр. {day.day + slot}"
    held = app.execute(HoldLesson(admin, journal, lesson_date=day, slot=slot, topic=topic,
                                  homework=homework)).id
    assert held is not None
    lesson = Lesson(journal, held, day, slot, topic, homework)
    absent = [kid for k, kid in enumerate(kids) if (k + n) % 7 == 3]
    if absent:
        app.execute(TakeAttendance(admin, journal, held, absent=[(kid, "illness" if n % 2
                                                                  else None) for kid in absent]))
        for kid in absent:
            lesson.cells[kid] = ["н"]
    for k, kid in enumerate(kids):
        if kid in lesson.cells or (k + n) % 3:
            continue
        values = [VALUES[(k + n) % 4]] + ([VALUES[(k + 2 * n) % 4]] if (k + n) % 6 == 0 else [])
        for value in values:
            app.execute(GiveMark(admin, journal, held, student_id=kid, value=value,
                                 work="oral"))
        lesson.cells[kid] = values
    return lesson
