"""The edit history of marks (R-7.2): who changed what, when and why; nothing overwritten.
A homework file's, too: attached, then retracted, both kept."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

from ejournal.application.commands import (
    AddSubject,
    AttachHomeworkFile,
    CancelMark,
    CorrectMark,
    CorrectPeriodMark,
    GiveMark,
    GivePeriodMark,
    HoldLesson,
    OpenJournal,
    RetractHomeworkFile,
)
from ejournal.domain import ids
from ejournal.projections.file_history import lesson_file_history
from ejournal.projections.history import (
    HistoryItem,
    MarkHistory,
    read_mark_history,
    read_period_mark_history,
)
from tests.builders import build_school
from tests.conftest import Clock

MON = date(2026, 11, 23)


def _chain(items: list[HistoryItem] | None) -> list[tuple[Any, ...]] | None:
    if items is None:
        return None
    return [(i.kind, i.value, i.reason, i.by, i.recorded_at) for i in items]


def test_a_marks_history_shows_every_value_with_who_when_and_why_oldest_first(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(MarkHistory())
    app = p.app
    s = build_school(app, students=1)
    (kid,) = s.students
    t1, t2, t3, t4 = (datetime(2026, 11, 23, h, tzinfo=UTC) for h in (8, 10, 12, 14))
    clock.set(t1)
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1,
                                    topic="Дроби")).id
    assert lesson is not None
    mark = app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=kid, value="5",
                                work="oral")).id
    other = app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=kid, value="2",
                                 work="oral")).id
    assert mark is not None
    assert other is not None
    clock.set(t2)
    app.execute(CorrectMark(s.teacher, s.journal, mark, value="4", reason="пересчёт баллов"))
    clock.set(t3)
    app.execute(CorrectMark(s.admin, s.journal, mark, value="3", reason="апелляция"))
    clock.set(t4)
    app.execute(CancelMark(s.admin, s.journal, mark, reason="работа списана"))
    p.catch_up()

    with p.connect() as conn:
        history = read_mark_history(conn, s.journal, mark)
        untouched = read_mark_history(conn, s.journal, other)
    assert _chain(history) == [
        ("given", "5", None, s.teacher, t1),
        ("corrected", "4", "пересчёт баллов", s.teacher, t2),
        ("corrected", "3", "апелляция", s.admin, t3),
        # A cancellation shows the value the mark had when it was withdrawn.
        ("cancelled", "3", "работа списана", s.admin, t4),
    ]
    assert history is not None
    positions = [i.position for i in history]
    assert positions == sorted(positions)
    assert _chain(untouched) == [("given", "2", None, s.teacher, t1)]


def test_a_mark_is_not_found_through_another_journal(projected_factory, clock: Clock) -> None:
    p = projected_factory(MarkHistory())
    app = p.app
    s = build_school(app, students=1)
    (kid,) = s.students
    physics_subject = app.execute(AddSubject(s.admin, s.school, name="Физика")).id
    assert physics_subject is not None
    physics = app.execute(OpenJournal(s.admin, class_id=s.school_class, subject_id=physics_subject,
                                      teacher_id=s.other_teacher)).id
    assert physics is not None
    clock.set(datetime(2026, 11, 23, 10, tzinfo=UTC))
    lesson = app.execute(HoldLesson(s.other_teacher, physics, lesson_date=MON, slot=1,
                                    topic="Сила")).id
    assert lesson is not None
    mark = app.execute(GiveMark(s.other_teacher, physics, lesson, student_id=kid, value="5",
                                work="oral")).id
    assert mark is not None
    p.catch_up()

    with p.connect() as conn:
        assert read_mark_history(conn, s.journal, mark) is None
        assert read_mark_history(conn, physics, uuid4()) is None
        # A lesson mark is not a period mark, whatever the journal.
        assert read_period_mark_history(conn, physics, mark) is None
        assert _chain(read_mark_history(conn, physics, mark)) == [
            ("given", "5", None, s.other_teacher, datetime(2026, 11, 23, 10, tzinfo=UTC))]


def test_a_period_marks_history_shows_the_mark_given_and_its_corrections(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(MarkHistory())
    app = p.app
    s = build_school(app, students=1)
    (kid,) = s.students
    period = s.periods["II четверть"]
    given_at = datetime(2026, 12, 25, 9, tzinfo=UTC)
    corrected_at = datetime(2026, 12, 26, 9, tzinfo=UTC)
    clock.set(given_at)
    pm = app.execute(GivePeriodMark(s.teacher, s.journal, student_id=kid, period_id=period,
                                    value="4")).id
    assert pm == ids.period_mark_id(s.journal, kid, period)
    clock.set(corrected_at)
    app.execute(CorrectPeriodMark(s.admin, s.journal, pm, value="5", reason="итоговая контрольная"))
    p.catch_up()

    with p.connect() as conn:
        assert _chain(read_period_mark_history(conn, s.journal, pm)) == [
            ("given", "4", None, s.teacher, given_at),
            ("corrected", "5", "итоговая контрольная", s.admin, corrected_at),
        ]
        assert read_mark_history(conn, s.journal, pm) is None
        assert read_period_mark_history(conn, uuid4(), pm) is None


def test_a_homework_files_history_keeps_it_attached_and_retracted(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(MarkHistory())
    app = p.app
    s = build_school(app, students=1)
    t1, t2 = (datetime(2026, 11, 23, h, tzinfo=UTC) for h in (8, 10))
    clock.set(t1)
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1,
                                    topic="Дроби")).id
    assert lesson is not None
    kept, gone = (app.execute(AttachHomeworkFile(
        s.teacher, s.journal, lesson, name=name, size=10, content_type="application/pdf",
        sha256="a" * 64)).id for name in ("Лист 1.pdf", "Лист 2.pdf"))
    assert kept is not None
    assert gone is not None
    clock.set(t2)
    app.execute(RetractHomeworkFile(s.admin, s.journal, lesson, gone, reason="не тот лист"))
    p.catch_up()

    with p.connect() as conn:
        history = lesson_file_history(conn, s.journal, lesson)
        elsewhere = lesson_file_history(conn, uuid4(), lesson)
    assert [(f.kind, f.file_id, f.name, f.reason, f.by, f.recorded_at) for f in history] == [
        ("attached", kept, "Лист 1.pdf", None, s.teacher, t1),
        ("attached", gone, "Лист 2.pdf", None, s.teacher, t1),
        ("retracted", gone, "Лист 2.pdf", "не тот лист", s.admin, t2),
    ]
    assert elsewhere == []
