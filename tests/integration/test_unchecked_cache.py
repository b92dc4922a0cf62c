"""A command's first attempt decides with the aggregates cached in its process, unchecked
(loading.py), its save conditional on every one of them: two applications on one database
stand for two processes, one of them writing what the other has cached."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from ejournal.application import EJournal
from ejournal.application.commands import AssignTeacher, GiveMark, HoldLesson
from ejournal.application.handlers import HANDLERS
from ejournal.domain.errors import NotPermitted
from ejournal.domain.lesson import Lesson
from tests.builders import SmallSchool, build_school
from tests.conftest import Clock, Database

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)
DAY = date(2026, 11, 23)


def _decisions(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    counted: Counter[str] = Counter()
    handler = HANDLERS[GiveMark]

    def run(command: GiveMark, uow: Any) -> Any:
        counted[command.value] += 1
        return handler(command, uow)

    monkeypatch.setitem(HANDLERS, GiveMark, run)
    return counted


def _setup(database: Database, clock: Clock) -> tuple[EJournal, EJournal, SmallSchool,
                                                      list[UUID]]:
    app = database.app(clock)
    s = build_school(app, students=3)
    clock.set(NOW)
    lessons = []
    for slot in (1, 2):
        held = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=DAY, slot=slot,
                                      topic="Т"))
        assert held.id is not None
        lessons.append(held.id)
    for lesson in lessons:  # everything a mark decides with is cached in ``app`` now
        app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=s.students[0],
                             value="5", work="oral"))
    return app, database.app(clock), s, lessons


def _marks(app: EJournal, lesson_id: UUID) -> list[str]:
    lesson = app.repository.get(lesson_id)
    assert isinstance(lesson, Lesson)
    return sorted(mark.value for mark in lesson.marks.values())


def test_a_journal_another_process_reassigned_refuses_the_old_teacher_and_writes_nothing(
    database: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, other, s, (lesson, _) = _setup(database, clock)
    try:
        decisions = _decisions(monkeypatch)
        other.execute(AssignTeacher(s.admin, s.journal, s.other_teacher))
        with pytest.raises(NotPermitted):
            app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=s.students[1],
                                 value="4", work="oral"))
        # decided with the cached journal, refused at the save, decided again and refused
        assert decisions == {"4": 2}
        assert _marks(app, lesson) == ["5"]
        app.execute(GiveMark(s.other_teacher, s.journal, lesson, student_id=s.students[1],
                             value="3", work="oral"))
        assert _marks(other, lesson) == ["3", "5"]
    finally:
        other.close()
        app.close()


def test_a_lesson_another_process_marked_keeps_both_marks(
    database: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, other, s, (lesson, _) = _setup(database, clock)
    try:
        decisions = _decisions(monkeypatch)
        other.execute(GiveMark(s.teacher, s.journal, lesson, student_id=s.students[1],
                               value="2", work="oral"))
        app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=s.students[2],
                             value="4", work="oral"))
        assert decisions == {"2": 1, "4": 2}  # the cached lesson's next version was taken
        assert _marks(app, lesson) == ["2", "4", "5"]
        assert [e.originator_version for e in app.events.get(lesson)] == [1, 2, 3, 4]
    finally:
        other.close()
        app.close()


def test_what_another_process_wrote_is_fast_forwarded_after_the_next_save(
    database: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its save's place in the log shows a gap: the aggregates written there are read again
    at their next load (and the loads after it are checked until a save finds no gap), which
    then decides once."""
    app, other, s, (first, second) = _setup(database, clock)
    try:
        decisions = _decisions(monkeypatch)
        other.execute(GiveMark(s.teacher, s.journal, second, student_id=s.students[1],
                               value="2", work="oral"))
        app.execute(GiveMark(s.teacher, s.journal, first, student_id=s.students[1],
                             value="3", work="oral"))
        assert second in app.loader.dirty
        assert not app.loader.alone
        app.execute(GiveMark(s.teacher, s.journal, first, student_id=s.students[2],
                             value="5", work="homework"))
        assert app.loader.alone
        assert second in app.loader.dirty  # not loaded since
        app.execute(GiveMark(s.teacher, s.journal, second, student_id=s.students[2],
                             value="4", work="oral"))
        assert decisions == {"2": 1, "3": 1, "5": 1, "4": 1}
        assert second not in app.loader.dirty
        assert _marks(app, second) == ["2", "4", "5"]
    finally:
        other.close()
        app.close()


def test_a_refusal_decided_with_a_stale_journal_is_decided_again_before_it_is_told(
    database: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, other, s, (lesson, _) = _setup(database, clock)
    try:
        decisions = _decisions(monkeypatch)
        other.execute(AssignTeacher(s.admin, s.journal, s.other_teacher))
        # the cached journal says another teacher's; the journal as it is, theirs
        app.execute(GiveMark(s.other_teacher, s.journal, lesson, student_id=s.students[1],
                             value="4", work="oral"))
        assert decisions == {"4": 2}
        assert _marks(app, lesson) == ["4", "5"]
    finally:
        other.close()
        app.close()
