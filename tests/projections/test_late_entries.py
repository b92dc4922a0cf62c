"""Late entries: entries recorded after their due date are listed, flagged with their rule."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from ejournal.application import EJournal
from ejournal.application.commands import (
    AddSubject,
    CancelAbsence,
    CorrectMark,
    GiveMark,
    GivePeriodMark,
    HoldLesson,
    OpenJournal,
    TakeAttendance,
)
from ejournal.projections.timeliness import LateEntry, Timeliness, read_late_entries
from tests.builders import SmallSchool, build_school
from tests.conftest import Clock

OCT25, OCT27 = date(2026, 10, 25), date(2026, 10, 27)
MON, TUE, WED, THU = (date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25),
                      date(2026, 11, 26))
NEXT_MON = date(2026, 11, 30)


def _row(e: LateEntry) -> tuple[Any, ...]:
    return (e.entry, e.rule, e.journal_id, e.business_date, e.due, e.recorded_at,
            e.recorded_on, e.by, e.days, e.working_days)


def _physics(app: EJournal, s: SmallSchool) -> UUID:
    subject = app.execute(AddSubject(s.admin, s.school, name="Физика")).id
    assert subject is not None
    journal = app.execute(OpenJournal(s.admin, class_id=s.school_class, subject_id=subject,
                                      teacher_id=s.other_teacher)).id
    assert journal is not None
    return journal


def test_every_kind_of_late_entry_is_listed_with_its_rule_due_date_and_lateness(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Timeliness())
    app = p.app
    s = build_school(app, students=2)
    kid, absentee = s.students
    j, t = s.journal, s.teacher

    at_oct27 = datetime(2026, 10, 27, 10, tzinfo=UTC)
    clock.set(at_oct27)  # I четверть ended on Sunday 25.10; каникулы are working days
    app.execute(GivePeriodMark(t, j, student_id=kid, period_id=s.periods["I четверть"], value="4"))

    at_wed = datetime(2026, 11, 25, 12, tzinfo=UTC)
    clock.set(at_wed)
    mon = app.execute(HoldLesson(t, j, lesson_date=MON, slot=1, topic="Дроби")).id
    assert mon is not None
    app.execute(TakeAttendance(t, j, mon, absent=[(absentee, "illness")]))
    app.execute(CancelAbsence(t, j, mon, student_id=absentee, reason="опоздал, но был"))
    oral = app.execute(GiveMark(t, j, mon, student_id=kid, value="5", work="oral")).id
    assert oral is not None
    # Written work is due three working days after the lesson (Thursday): on time today.
    app.execute(GiveMark(t, j, mon, student_id=absentee, value="4", work="written"))
    # Corrections and cancellations are never late.
    app.execute(CorrectMark(t, j, oral, value="4", reason="пересчёт"))
    # A lesson recorded on its own day is on time.
    app.execute(HoldLesson(t, j, lesson_date=WED, slot=1, topic="Проценты"))

    at_next_mon = datetime(2026, 11, 30, 9, tzinfo=UTC)
    clock.set(at_next_mon)
    app.execute(GiveMark(t, j, mon, student_id=kid, value="3", work="test"))
    p.catch_up()

    with p.connect() as conn:
        rows = read_late_entries(conn, s.school)
    assert [_row(r) for r in rows] == [
        ("period_mark", "R-6.2", j, OCT25, OCT25, at_oct27, OCT27, t, 2, 2),
        ("lesson", "R-4.5", j, MON, MON, at_wed, WED, t, 2, 2),
        ("attendance", "R-4.6", j, MON, MON, at_wed, WED, t, 2, 2),
        ("absence_cancellation", "R-4.6", j, MON, MON, at_wed, WED, t, 2, 2),
        ("mark", "R-4.6", j, MON, MON, at_wed, WED, t, 2, 2),
        ("mark", "R-6.1d", j, MON, THU, at_next_mon, NEXT_MON, t, 4, 2),
    ]
    assert all(r.school_id == s.school for r in rows)
    positions = [r.position for r in rows]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)


def test_late_entries_are_filtered_by_author_journal_rule_and_business_date(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Timeliness())
    app = p.app
    s = build_school(app, students=1)
    (kid,) = s.students
    physics = _physics(app, s)
    elsewhere = build_school(app, students=1)
    clock.set(datetime(2026, 11, 25, 12, tzinfo=UTC))
    mon = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1, topic="А")).id
    app.execute(HoldLesson(s.admin, s.journal, lesson_date=TUE, slot=1, topic="Б"))
    phys_mon = app.execute(HoldLesson(s.other_teacher, physics, lesson_date=MON, slot=2,
                                      topic="Сила")).id
    assert mon is not None
    assert phys_mon is not None
    app.execute(GiveMark(s.other_teacher, physics, phys_mon, student_id=kid, value="5",
                         work="oral"))
    app.execute(HoldLesson(elsewhere.teacher, elsewhere.journal, lesson_date=MON, slot=1,
                           topic="В"))
    p.catch_up()

    def listed(**filters) -> list[tuple[Any, ...]]:
        with p.connect() as conn:
            return [(r.entry, r.journal_id, r.business_date, r.by)
                    for r in read_late_entries(conn, s.school, **filters)]

    maths_mon = ("lesson", s.journal, MON, s.teacher)
    maths_tue = ("lesson", s.journal, TUE, s.admin)
    physics_mon = ("lesson", physics, MON, s.other_teacher)
    physics_mark = ("mark", physics, MON, s.other_teacher)
    # Another school's late entries never show.
    assert listed() == [maths_mon, maths_tue, physics_mon, physics_mark]
    assert listed(teacher_id=s.teacher) == [maths_mon]
    assert listed(teacher_id=s.admin) == [maths_tue]
    assert listed(journal_id=physics) == [physics_mon, physics_mark]
    assert listed(rule="R-4.6") == [physics_mark]
    assert listed(rule="R-6.2") == []
    assert listed(first=TUE, last=TUE) == [maths_tue]
    assert listed(first=TUE) == [maths_tue]
    assert listed(last=MON) == [maths_mon, physics_mon, physics_mark]
    assert listed(journal_id=physics, rule="R-4.5", teacher_id=s.other_teacher) == [
        physics_mon]

    with p.connect() as conn:
        page = read_late_entries(conn, s.school, limit=3)
        rest = read_late_entries(conn, s.school, after_position=page[-1].position, limit=3)
        other = read_late_entries(conn, elsewhere.school)
    assert [(r.entry, r.journal_id, r.business_date, r.by) for r in page + rest] == listed()
    assert len(page) == 3
    assert [(r.journal_id, r.by) for r in other] == [(elsewhere.journal, elsewhere.teacher)]


def test_the_recording_date_is_the_schools_local_date_not_the_utc_date(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Timeliness())
    app = p.app
    s = build_school(app, timezone="Asia/Novosibirsk", students=1)
    # 23:00 on Tuesday in Novosibirsk (UTC+7): Tuesday's lesson is on time.
    clock.set(datetime(2026, 11, 24, 16, tzinfo=UTC))
    app.execute(HoldLesson(s.teacher, s.journal, lesson_date=TUE, slot=1, topic="Вовремя"))
    # 03:00 on Wednesday in Novosibirsk, still Tuesday in UTC: Monday's lesson is two days late.
    at = datetime(2026, 11, 24, 20, tzinfo=UTC)
    clock.set(at)
    app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1, topic="Поздно"))
    p.catch_up()

    with p.connect() as conn:
        rows = read_late_entries(conn, s.school)
    assert [_row(r) for r in rows] == [
        ("lesson", "R-4.5", s.journal, MON, MON, at, WED, s.teacher, 2, 2)]
