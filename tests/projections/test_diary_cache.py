"""The diary cache serves an answer only while it is still the answer: every event kind that
changes a diary moves a version the cache checks (and without that key the stale answer would
be served: the second test of each kind); a rebuild never lets an old answer through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from ejournal.api.diary_cache import DiaryCache
from ejournal.api.routes.reads import diary_key, read_diary_body
from ejournal.application import EJournal
from ejournal.application.commands import (
    AssignTeacher,
    AttachHomeworkFile,
    CancelAbsence,
    CancelMark,
    CorrectMark,
    CorrectPeriodMark,
    EndEnrolment,
    EnrolStudent,
    GiveMark,
    GivePeriodMark,
    HoldLesson,
    RegisterUser,
    RetractHomeworkFile,
    TakeAttendance,
)
from ejournal.domain.homework_file import HomeworkFile
from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson
from ejournal.domain.period_mark import PeriodMark
from ejournal.domain.school_class import SchoolClass
from ejournal.projections import diary_validity, diary_versions
from ejournal.projections.diary import Diary
from tests.builders import SmallSchool, build_school
from tests.projections.conftest import Projected

MON, TUE = date(2026, 11, 23), date(2026, 11, 24)
SPAN = (date(2026, 9, 1), date(2026, 11, 30))


def _id(found: UUID | None) -> UUID:
    assert found is not None
    return found


def _lesson(app: EJournal, s: SmallSchool, day: date = MON) -> UUID:
    return _id(app.execute(HoldLesson(s.teacher, s.journal, lesson_date=day, slot=1,
                                      topic="Дроби", homework="№ 5")).id)


def _mark(app: EJournal, s: SmallSchool, lesson: UUID) -> UUID:
    return _id(app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=s.students[0],
                                    value="5", work="oral")).id)


def _file(app: EJournal, s: SmallSchool, lesson: UUID) -> UUID:
    return _id(app.execute(AttachHomeworkFile(s.teacher, s.journal, lesson, name="Лист.pdf",
                                              size=10, content_type="application/pdf",
                                              sha256="a" * 64)).id)


def _absent(app: EJournal, s: SmallSchool, lesson: UUID) -> UUID:
    app.execute(TakeAttendance(s.teacher, s.journal, lesson,
                               absent=[(s.students[0], "illness")]))
    return lesson


def _period_mark(app: EJournal, s: SmallSchool) -> UUID:
    return _id(app.execute(GivePeriodMark(s.teacher, s.journal, student_id=s.students[0],
                                          period_id=s.periods["I четверть"], value="4")).id)


def _two_lessons_and_a_break(app: EJournal, s: SmallSchool) -> None:
    """The student leaves the class on 1 November; lessons on MON and TUE are held."""
    _lesson(app, s, MON)
    _lesson(app, s, TUE)
    app.execute(EndEnrolment(s.admin, s.school_class, student_id=s.students[0],
                             last_day=date(2026, 11, 1)))


@dataclass(frozen=True)
class Change:
    """What is there before the answer is kept, and the one change that alters it; ``kind``
    is the event the change records (whose version key the second test drops)."""

    kind: type
    before: Callable[[EJournal, SmallSchool], Any]
    change: Callable[[EJournal, SmallSchool, Any], Any]


CHANGES = {
    "lesson held": Change(Lesson.Held, lambda app, s: None,
                          lambda app, s, _: _lesson(app, s)),
    "attendance taken": Change(Lesson.AttendanceTaken, _lesson,
                               lambda app, s, lesson: _absent(app, s, lesson)),
    "absence cancelled": Change(
        Lesson.AbsenceCancelled, lambda app, s: _absent(app, s, _lesson(app, s)),
        lambda app, s, lesson: app.execute(CancelAbsence(
            s.teacher, s.journal, lesson, student_id=s.students[0], reason="был на уроке"))),
    "mark given": Change(Lesson.MarkGiven, _lesson,
                         lambda app, s, lesson: _mark(app, s, lesson)),
    "mark corrected": Change(
        Lesson.MarkCorrected, lambda app, s: (_mark(app, s, _lesson(app, s))),
        lambda app, s, mark: app.execute(CorrectMark(s.teacher, s.journal, mark, value="4",
                                                     reason="пересчёт"))),
    "mark cancelled": Change(
        Lesson.MarkCancelled, lambda app, s: (_mark(app, s, _lesson(app, s))),
        lambda app, s, mark: app.execute(CancelMark(s.teacher, s.journal, mark,
                                                    reason="ошибка"))),
    "file attached": Change(HomeworkFile.Attached, _lesson,
                            lambda app, s, lesson: _file(app, s, lesson)),
    "file retracted": Change(
        HomeworkFile.Retracted, lambda app, s: (lesson := _lesson(app, s),
                                                _file(app, s, lesson)),
        lambda app, s, found: app.execute(RetractHomeworkFile(
            s.admin, s.journal, found[0], found[1], reason="не тот лист"))),
    "student enrolled": Change(
        SchoolClass.StudentEnrolled, _two_lessons_and_a_break,
        lambda app, s, _: app.execute(EnrolStudent(s.admin, s.school_class,
                                                   student_id=s.students[0], from_date=TUE))),
    "enrolment ended": Change(
        SchoolClass.EnrolmentEnded, lambda app, s: (_lesson(app, s, MON), _lesson(app, s, TUE)),
        lambda app, s, _: app.execute(EndEnrolment(s.admin, s.school_class,
                                                   student_id=s.students[0], last_day=MON))),
    "period mark given": Change(PeriodMark.Given, lambda app, s: None,
                                lambda app, s, _: _period_mark(app, s)),
    "period mark corrected": Change(
        PeriodMark.Corrected, _period_mark,
        lambda app, s, pm: app.execute(CorrectPeriodMark(s.teacher, s.journal, pm, value="5",
                                                         reason="пересчёт"))),
    "teacher assigned": Change(
        ClassJournal.TeacherAssigned, _lesson,
        lambda app, s, _: app.execute(AssignTeacher(s.admin, s.journal, s.other_teacher))),
}


def _read(p: Projected, cache: DiaryCache, student: UUID) -> tuple[bytes, bytes]:
    """The cache's answer and the read model's own, on one connection."""
    key = diary_key(student, *SPAN, None)
    with p.connect() as conn:
        def build(c: Any) -> bytes:
            return read_diary_body(c, student, *SPAN, None)

        return cache.answer(conn, key, student, build).body, build(conn)


def _run(p: Projected, change: Change) -> tuple[bytes, bytes, bytes, DiaryCache]:
    """The answer before the change, and the cache's and the read model's after it."""
    s = build_school(p.app, students=2)
    made = change.before(p.app, s)
    p.catch_up()
    cache = DiaryCache(1 << 20)
    kid = s.students[0]
    before, fresh = _read(p, cache, kid)
    assert before == fresh
    assert _read(p, cache, kid)[0] == before
    assert (cache.hits, cache.misses) == (1, 1)
    change.change(p.app, s, made)
    p.catch_up()
    cached, fresh = _read(p, cache, kid)
    return before, cached, fresh, cache


@pytest.mark.parametrize("name", CHANGES)
def test_each_change_of_a_diary_moves_a_version_the_cache_checks(
        projected_factory: Callable[..., Projected], name: str) -> None:
    before, cached, fresh, cache = _run(projected_factory(Diary()), CHANGES[name])
    assert fresh != before  # the change shows in the diary
    assert cached == fresh
    assert (cache.hits, cache.misses) == (1, 2)


@pytest.mark.parametrize("name", CHANGES)
def test_without_its_version_key_the_stale_answer_would_be_served(
        projected_factory: Callable[..., Projected], name: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The previous test can fail: drop the change's key and the cache serves the answer of
    before the change."""
    kind = CHANGES[name].kind
    if kind in diary_versions.LESSON_KEYED:
        monkeypatch.setattr(diary_versions, "LESSON_KEYED", frozenset())
    else:
        monkeypatch.setitem(diary_versions.KEYS, kind, lambda _: ())
    before, cached, fresh, _ = _run(projected_factory(Diary()), CHANGES[name])
    assert fresh != before
    assert cached == before


def test_every_event_the_diary_handles_has_version_keys() -> None:
    handled = set(Diary().topics())
    assert handled == set(diary_versions.KEYS) | diary_versions.LESSON_KEYED


def test_a_change_of_another_student_keeps_the_answer(
        projected_factory: Callable[..., Projected]) -> None:
    p = projected_factory(Diary())
    s = build_school(p.app, students=2)
    lesson = _lesson(p.app, s)
    p.catch_up()
    cache = DiaryCache(1 << 20)
    _read(p, cache, s.students[0])
    p.app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=s.students[1], value="3",
                           work="oral"))
    p.catch_up()
    cached, fresh = _read(p, cache, s.students[0])
    assert cached == fresh
    assert (cache.hits, cache.misses) == (1, 1)


@pytest.mark.parametrize(("role", "kept"), [("student", True), ("guardian", True),
                                            ("teacher", False)])
def test_a_student_or_guardian_registered_keeps_the_answers_anyone_else_drops_them(
        projected_factory: Callable[..., Projected], role: str, kept: bool) -> None:
    """No diary shows a student's or a guardian's name (it names subjects and the journals'
    teachers); anyone else's name may come to be shown."""
    p = projected_factory(Diary())
    s = build_school(p.app, students=1)
    _lesson(p.app, s)
    p.catch_up()
    cache = DiaryCache(1 << 20)
    _read(p, cache, s.students[0])
    p.app.execute(RegisterUser(s.admin, s.school, username=f"{role}-{s.tag}-new",
                               full_name="Новый человек", role=role))
    p.catch_up()
    cached, fresh = _read(p, cache, s.students[0])
    assert cached == fresh
    assert (cache.hits, cache.misses) == ((1, 1) if kept else (0, 2))


def test_a_rebuild_never_serves_an_answer_read_before_it(
        projected_factory: Callable[..., Projected]) -> None:
    p = projected_factory(Diary())
    s = build_school(p.app, students=1)
    _mark(p.app, s, _lesson(p.app, s))
    p.catch_up()
    cache = DiaryCache(1 << 20)
    kid = s.students[0]
    before, _ = _read(p, cache, kid)
    p.projector.reset(["diary"])
    cached, fresh = _read(p, cache, kid)  # the tables are empty again: so is the answer
    assert cached == fresh != before
    p.projector.run_batch(limit=5)  # part of the way: names, not yet the lesson
    cached, fresh = _read(p, cache, kid)
    assert cached == fresh != before
    p.catch_up()
    cached, fresh = _read(p, cache, kid)
    assert cached == fresh == before
    assert cache.hits == 0


def test_the_cache_keeps_to_its_bytes() -> None:
    cache = DiaryCache(3 * (100 + 512))
    versions = (("e", 1),)
    for n in range(5):
        cache._keep(n, versions, b"x" * 100)
    assert len(cache) == 3
    assert cache.size == 3 * 612
    cache._keep("big", versions, b"x" * 10_000)  # larger than the whole cache: not kept
    assert len(cache) == 3
    assert "big" not in cache._entries
    assert list(cache._entries) == [2, 3, 4]


def test_a_driver_error_of_the_versions_check_runs_it_again_through_sqlalchemy(
        projected_factory: Callable[..., Projected], monkeypatch: pytest.MonkeyPatch) -> None:
    p = projected_factory(Diary())
    s = build_school(p.app, students=1)
    _lesson(p.app, s)
    p.catch_up()
    kid = s.students[0]
    with p.connect() as conn:
        expected = diary_validity.read_versions(conn, kid)
    assert expected is not None
    assert len(expected) == 4  # the epoch, the catalog, the class and the student
    with p.connect() as conn:
        dialect = conn.dialect.name
        monkeypatch.setitem(diary_validity._STATEMENTS, dialect,
                            ("SELECT no_such_column FROM diary_versions", None, None))
        assert diary_validity.read_versions(conn, kid) == expected
        # and the connection goes on serving statements
        assert read_diary_body(conn, kid, *SPAN, None) == read_diary_body(conn, kid, *SPAN,
                                                                            None)
