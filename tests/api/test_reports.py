"""The reports over HTTP, on a real server over SQLite and PostgreSQL, against figures worked
out by hand for a small school: class 7Б (grade 7, limit 150 minutes a day), its maths journal
(programme «Дроби» 3 hours, «Проценты» 2) and its Russian journal, two weeks of November 2026
with known lessons, homework minutes, absences and marks (``known_school`` below)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import pytest

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
from tests.api.helpers import PASSWORD, error_fields, log_length, problem
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


@pytest.fixture(scope="module")
def known(module_server: Server) -> Known:
    """The school the figures below are worked out for (every lesson in II четверть)."""
    settings = module_server.database.settings
    app = EJournal(settings, clock=module_server.clock)
    accounts = Accounts(create_read_engine(settings))
    try:
        s = builders.build_school(app, students=3, grade=7, tag="rep")
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


def _get(server: Server, token: str, path: str, **params: Any) -> Any:
    with server.client(token) as client:
        answer = client.get(path, params=params or None)
    assert answer.status_code == 200, answer.text
    return answer.json()


# --- programme completion (R-3.4g) ---


def test_programme_completion_counts_the_lessons_held_on_each_topic(
        module_server: Server, known: Known) -> None:
    # Given «Дроби» planned 3 hours and held 4 times, «Проценты» planned 2 and held once, and
    # a lesson on no topic of the programme
    body = _get(module_server, known.tokens["teacher"],
                f"/api/v1/journals/{known.s.journal}/programme-completion")
    # Then the percentage is of the planned hours delivered, each topic up to its plan:
    # (min(4, 3) + min(1, 2)) / 5 = 80 %
    assert body == {"topics": [{"title": "Дроби", "planned_hours": 3, "held_lessons": 4},
                               {"title": "Проценты", "planned_hours": 2, "held_lessons": 1}],
                    "planned_total": 5, "held_total": 5, "other_lessons": 1, "percent": 80.0}
    # A journal without a programme has nothing to be complete against.
    russian = _get(module_server, known.tokens["admin"],
                   f"/api/v1/journals/{known.russian}/programme-completion")
    assert russian == {"topics": [], "planned_total": 0, "held_total": 0, "other_lessons": 3,
                       "percent": None}


# --- homework load (R-3.4g) ---


def test_homework_load_adds_each_days_minutes_against_the_limit_for_grade_7(
        module_server: Server, known: Known) -> None:
    body = _get(module_server, known.tokens["admin"],
                f"/api/v1/classes/{known.s.school_class}/homework-load",
                **{"from": "2026-11-16", "to": "2026-11-24"})
    m, r = str(known.s.journal), str(known.russian)
    assert body == {"days": [
        {"date": "2026-11-16", "items": [
            {"journal_id": m, "subject_name": "Математика", "homework": "№ 1", "minutes": 30},
            {"journal_id": r, "subject_name": "Русский язык", "homework": "упр. 5",
             "minutes": 40}],
         "minutes": 70, "limit_minutes": 150, "over_limit": False, "unmeasured": 0},
        {"date": "2026-11-17", "items": [
            {"journal_id": m, "subject_name": "Математика", "homework": "№ 2",
             "minutes": None}],
         "minutes": 0, "limit_minutes": 150, "over_limit": False, "unmeasured": 1},
        {"date": "2026-11-18", "items": [
            {"journal_id": m, "subject_name": "Математика", "homework": "№ 3", "minutes": 90},
            {"journal_id": r, "subject_name": "Русский язык", "homework": "упр. 6",
             "minutes": 80}],
         "minutes": 170, "limit_minutes": 150, "over_limit": True, "unmeasured": 0},
        {"date": "2026-11-23", "items": [
            {"journal_id": m, "subject_name": "Математика", "homework": "№ 4", "minutes": 60},
            {"journal_id": r, "subject_name": "Русский язык", "homework": "упр. 7",
             "minutes": 100}],
         "minutes": 160, "limit_minutes": 150, "over_limit": True, "unmeasured": 0}]}
    # The dates asked bound the days; a teacher of one of the class's journals reads it too.
    one = _get(module_server, known.tokens["other"],
               f"/api/v1/classes/{known.s.school_class}/homework-load",
               **{"from": "2026-11-18", "to": "2026-11-18"})
    assert [(x["date"], x["minutes"]) for x in one["days"]] == [("2026-11-18", 170)]


def test_homework_minutes_are_checked_and_a_refusal_writes_nothing(
        module_server: Server, known: Known) -> None:
    before = log_length(module_server)
    path = f"/api/v1/journals/{known.s.journal}/lessons"
    with module_server.client(known.tokens["teacher"]) as client:
        for body, field in (
                ({"homework": "№ 9", "homework_minutes": 301}, "homework_minutes"),
                ({"homework": "№ 9", "homework_minutes": -1}, "homework_minutes"),
                ({"homework": "№ 9", "homework_minutes": "много"}, "homework_minutes"),
                ({"homework_minutes": 20}, "homework_minutes")):
            answer = client.post(path, json={"date": "2026-11-25", "slot": 5, "topic": "Дроби",
                                             **body})
            assert error_fields(problem(answer, 422)) == [field], answer.text
    assert log_length(module_server) == before
