"""The small school the reports' figures are worked out for by hand (``tests/api`` and
``tests/web`` check them): class 7Б (grade 7, limit 150 minutes a day), its maths journal
(programme «Дроби» 3 hours, «Проценты» 2) and its Russian journal, two weeks of November 2026
with known lessons, homework minutes, absences and marks - every lesson in II четверть."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from ejournal.accounts import Accounts
from ejournal.application import EJournal
from ejournal.application.commands import (
    AddSubject,
    CancelAbsence,
    CancelMark,
    CorrectMark,
    CorrectPeriodMark,
    EndEnrolment,
    GiveMark,
    GivePeriodMark,
    HoldLesson,
    OpenJournal,
    SetProgramme,
    TakeAttendance,
)
from ejournal.projections.base import create_read_engine
from tests import builders
from tests.api.helpers import PASSWORD
from tests.servers import Server

NOV = 11


def d(day: int) -> date:
    return date(2026, NOV, day)


@dataclass
class Known:
    s: builders.SmallSchool
    russian: UUID
    a: UUID  # Ученик 0
    b: UUID  # Ученик 1
    c: UUID  # Ученик 2, in the class until 18 November
    tokens: dict[str, str]


def known_school(module_server: Server, tag: str = "rep") -> Known:
    """The school, its people's passwords ``PASSWORD``, and a token of each one's."""
    settings = module_server.database.settings
    app = EJournal(settings, clock=module_server.clock)
    accounts = Accounts(create_read_engine(settings))
    try:
        s = builders.build_school(app, students=3, grade=7, tag=tag)
        admin, maths = s.admin, s.journal
        a, b, c = s.students
        subject = app.execute(AddSubject(admin, s.school, name="Русский язык")).id
        assert subject is not None
        russian = app.execute(OpenJournal(admin, class_id=s.school_class, subject_id=subject,
                                          teacher_id=s.other_teacher)).id
        assert russian is not None
        app.execute(SetProgramme(admin, maths, topics=[("Дроби", 3), ("Проценты", 2)]))

        def lesson(journal: UUID, day: int, slot: int, topic: str, homework: str | None = None,
                   minutes: int | None = None, programme: str | None = None) -> UUID:
            held = app.execute(HoldLesson(admin, journal, lesson_date=d(day), slot=slot,
                                          topic=topic, homework=homework,
                                          programme_topic=programme, homework_minutes=minutes))
            assert held.id is not None
            return held.id

        m1 = lesson(maths, 16, 1, "Дроби", "№ 1", 30, "Дроби")
        m2 = lesson(maths, 17, 1, "Дроби", "№ 2", None, "Дроби")
        m3 = lesson(maths, 18, 1, "Проценты", "№ 3", 90, "Проценты")
        m4 = lesson(maths, 19, 1, "Контрольная работа")
        m5 = lesson(maths, 23, 1, "Дроби", "№ 4", 60, "Дроби")
        lesson(maths, 24, 1, "Дроби", programme="Дроби")
        r1 = lesson(russian, 16, 2, "Суффиксы", "упр. 5", 40)
        r2 = lesson(russian, 18, 2, "Приставки", "упр. 6", 80)
        lesson(russian, 23, 2, "Корни", "упр. 7", 100)
        app.execute(EndEnrolment(admin, s.school_class, student_id=c, last_day=d(18)))

        app.execute(TakeAttendance(admin, maths, m1, absent=[(a, "illness")]))
        app.execute(TakeAttendance(admin, russian, r1, absent=[(a, "illness")]))
        app.execute(TakeAttendance(admin, maths, m3, absent=[(b, "unexcused")]))
        app.execute(TakeAttendance(admin, maths, m5, absent=[(b, None), (a, "excused")]))
        app.execute(CancelAbsence(admin, maths, m5, student_id=a, reason="опоздал"))

        def mark(journal: UUID, at: UUID, kid: UUID, value: str, work: str = "oral") -> UUID:
            given = app.execute(GiveMark(admin, journal, at, student_id=kid, value=value,
                                         work=work)).id
            assert given is not None
            return given

        mark(maths, m2, a, "5", "test")
        corrected = mark(maths, m3, a, "5")
        app.execute(CorrectMark(admin, maths, corrected, value="4", reason="ошибка"))
        mark(russian, r2, a, "3", "written")
        mark(maths, m1, b, "4")
        mark(maths, m2, b, "3", "homework")
        cancelled = mark(maths, m4, b, "2", "written")
        app.execute(CancelMark(admin, maths, cancelled, reason="не та работа"))
        mark(russian, r1, b, "5")
        mark(russian, r2, b, "4")
        mark(maths, m1, c, "3")
        quarter = s.periods["II четверть"]
        app.execute(GivePeriodMark(admin, maths, student_id=a, period_id=quarter, value="4"))
        given = app.execute(GivePeriodMark(admin, maths, student_id=b, period_id=quarter,
                                           value="4")).id
        assert given is not None
        app.execute(CorrectPeriodMark(admin, maths, given, value="3", reason="пересмотрено"))
        for user_id in s.people.values():
            accounts.set_password(user_id, PASSWORD, now=module_server.clock())
    finally:
        app.close()
        accounts.engine.dispose()
    tokens = {who: module_server.login(s.usernames[who], PASSWORD)
              for who in ("admin", "teacher", "other", "auditor", "guardian", "student0")}
    return Known(s, russian, a, b, c, tokens)
