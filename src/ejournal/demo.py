"""A demo school: two classes, three subjects, students with guardians and a few weeks of
lessons, marks, absences, corrections and late entries, recorded through the application
layer exactly as teachers would record them - and logins to try it over HTTP."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from ejournal.accounts import Accounts
from ejournal.application import EJournal
from ejournal.application.commands import (
    AddSubject,
    CorrectMark,
    EnrolStudent,
    GiveMark,
    HoldLesson,
    LinkGuardian,
    OpenClass,
    OpenJournal,
    PlanYear,
    RegisterOperator,
    RegisterSchool,
    RegisterUser,
    SetProgramme,
    TakeAttendance,
)
from ejournal.domain.errors import NotASchoolDay

FIRST_NAMES = ["Анна", "Иван", "Мария", "Пётр", "Софья", "Артём", "Дарья", "Михаил", "Алиса",
               "Егор", "Полина", "Лев", "Ева", "Матвей", "Вера", "Тимофей", "Ксения", "Глеб",
               "Варвара", "Фёдор", "Милана", "Савелий", "Ульяна", "Роман", "Таисия"]
SURNAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов",
            "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев"]
SUBJECTS = {"Математика": ["Дроби", "Уравнения", "Проценты", "Пропорции"],
            "Русский язык": ["Причастие", "Деепричастие", "Наречие"],
            "История": ["Смутное время", "Пётр I", "Эпоха дворцовых переворотов"]}


#: The logins the demo prints, in this order: one person of each kind.
LOGINS = ("guardian", "student", "teacher", "admin", "auditor")


@dataclass
class DemoSummary:
    school_id: UUID
    usernames: dict[str, str] = field(default_factory=dict)  # role label -> username
    user_ids: dict[str, UUID] = field(default_factory=dict)  # role label -> user id
    lessons: int = 0
    marks: int = 0
    absences: int = 0
    corrections: int = 0
    late_entries: int = 0


def _surname(base: str, female: bool) -> str:
    return base + "а" if female else base


def load_demo(app: EJournal, *, now: datetime, seed: int = 7) -> DemoSummary:
    """Records a demo school whose last lessons are today (school-local), none after ``now``."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    tz = "Asia/Novosibirsk"
    local = ZoneInfo(tz)
    today = now.astimezone(local).date()

    def moment(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), local).astimezone(UTC)

    start = moment(today - timedelta(days=40), 8)
    tag = f"{seed}"
    operator = app.execute(RegisterOperator(username=f"operator{tag}",
                                            full_name="Оператор платформы"), at=start).id
    school = app.execute(RegisterSchool(operator, name="Гимназия №7", timezone=tz), at=start).id
    summary = DemoSummary(school_id=school)

    def user(username: str, role: str, full_name: str) -> UUID:
        uid = app.execute(RegisterUser(operator, school, username=f"{username}{tag}",
                                       full_name=full_name, role=role), at=start).id
        return uid

    admin = user("admin", "admin", "Елена Сергеевна Завучева")
    summary.usernames["admin"], summary.user_ids["admin"] = f"admin{tag}", admin
    auditor = user("auditor", "auditor", "Олег Контролёров")
    summary.usernames["auditor"], summary.user_ids["auditor"] = f"auditor{tag}", auditor
    year_start = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    year = app.execute(PlanYear(
        admin, school, name=f"{year_start.year}/{year_start.year + 1}", starts_on=year_start,
        ends_on=date(year_start.year + 1, 5, 31), days_per_week=5,
        periods=[("I полугодие", year_start, date(year_start.year, 12, 28)),
                 ("II полугодие", date(year_start.year + 1, 1, 12),
                  date(year_start.year + 1, 5, 31))],
        holidays=[("осенние каникулы", date(year_start.year, 10, 26),
                   date(year_start.year, 11, 4)),
                  ("зимние каникулы", date(year_start.year, 12, 29),
                   date(year_start.year + 1, 1, 11))],
    ), at=start)
    teachers = {name: user(f"teacher{i}", "teacher", f"Учитель: {name}")
                for i, name in enumerate(SUBJECTS)}
    summary.usernames["teacher"] = f"teacher0{tag}"
    summary.user_ids["teacher"] = teachers[next(iter(SUBJECTS))]
    subjects = {name: app.execute(AddSubject(admin, school, name=name), at=start).id
                for name in SUBJECTS}
    journals: list[tuple[UUID, str, list[UUID]]] = []
    kid = 0
    for class_name, teacher_name in (("7А", "Математика"), ("7Б", "Русский язык")):
        class_id = app.execute(OpenClass(admin, school, name=class_name, year_id=year.id,
                                         class_teacher_id=teachers[teacher_name]), at=start).id
        students = []
        for _ in range(25):
            female = kid % 2 == 0
            first = FIRST_NAMES[kid % len(FIRST_NAMES)]
            surname = _surname(SURNAMES[kid % len(SURNAMES)], female)
            student = user(f"student{kid}", "student", f"{surname} {first}")
            guardian = user(f"parent{kid}", "guardian", f"{surname} (родитель)")
            app.execute(EnrolStudent(admin, class_id, student_id=student, from_date=year_start),
                        at=start)
            app.execute(LinkGuardian(admin, student, guardian_id=guardian), at=start)
            if kid == 0:
                summary.usernames["student"] = f"student{kid}{tag}"
                summary.usernames["guardian"] = f"parent{kid}{tag}"
                summary.user_ids["student"], summary.user_ids["guardian"] = student, guardian
            students.append(student)
            kid += 1
        for subject, topics in SUBJECTS.items():
            subject_id = subjects[subject]
            journal = app.execute(OpenJournal(admin, class_id=class_id, subject_id=subject_id,
                                              teacher_id=teachers[subject]), at=start).id
            app.execute(SetProgramme(admin, journal, topics=[(t, 4) for t in topics]), at=start)
            journals.append((journal, subject, students))

    day = today - timedelta(days=28)
    while day <= today:
        for slot, (journal, subject, students) in enumerate(journals, start=1):
            teacher = teachers[subject]
            # One teacher in ten records the lesson a day or two late (flagged, R-4.5/R-4.6).
            late_by = rng.choice([0] * 9 + [1, 2])
            recorded = min(moment(day + timedelta(days=late_by), 15), now)
            topic = rng.choice(SUBJECTS[subject])
            try:
                lesson = app.execute(HoldLesson(teacher, journal, lesson_date=day,
                                                slot=slot % 6 + 1,
                                                topic=f"{topic}: урок {day:%d.%m}",
                                                homework=f"§ {rng.randint(1, 40)}, № "
                                                         f"{rng.randint(1, 300)}",
                                                programme_topic=topic), at=recorded)
            except NotASchoolDay:
                continue
            summary.lessons += 1
            summary.late_entries += lesson.late is not None
            absent = rng.sample(students, k=rng.choice([0, 1, 1, 2]))
            taken = app.execute(TakeAttendance(
                teacher, journal, lesson.id,
                absent=[(s, rng.choice(["illness", "excused", None])) for s in absent],
            ), at=recorded)
            summary.absences += len(absent)
            summary.late_entries += taken.late is not None
            present = [s for s in students if s not in absent]
            for student in rng.sample(present, k=min(len(present), rng.randint(3, 7))):
                work = rng.choice(["oral", "oral", "written", "homework", "test"])
                value = rng.choices(["2", "3", "4", "5"], weights=[1, 3, 5, 4])[0]
                mark = app.execute(GiveMark(teacher, journal, lesson.id, student_id=student,
                                            value=value, work=work), at=recorded)
                summary.marks += 1
                summary.late_entries += mark.late is not None
                if rng.random() < 0.03 and mark.id is not None:
                    new_value = "4" if value != "4" else "5"
                    app.execute(CorrectMark(teacher, journal, mark.id, value=new_value,
                                            reason="исправлена ошибка ввода"), at=recorded)
                    summary.corrections += 1
        day += timedelta(days=1)
    return summary


def grant_logins(accounts: Accounts, summary: DemoSummary, *, now: datetime,
                 password: str | None = None) -> dict[str, tuple[str, str]]:
    """Personal passwords (argon2-hashed, R-4.8) for the people the demo prints: role label
    -> (username, password). Each gets a random password unless ``password`` is given."""
    logins = {}
    for role in LOGINS:
        chosen = password or secrets.token_urlsafe(9)
        accounts.set_password(summary.user_ids[role], chosen, now=now)
        logins[role] = (summary.usernames[role], chosen)
    return logins
