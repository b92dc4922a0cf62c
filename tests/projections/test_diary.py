"""The diary: feed real events through the projector, read the rows back."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ejournal.application.commands import (
    CancelAbsence,
    CancelMark,
    CorrectMark,
    EndEnrolment,
    EnrolStudent,
    GiveMark,
    HoldLesson,
    RegisterUser,
    TakeAttendance,
)
from ejournal.projections.diary import Diary, read_diary
from tests.builders import build_school
from tests.conftest import Clock

MON, TUE, WED = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)
NOV = (date(2026, 11, 1), date(2026, 11, 30))


def test_the_diary_shows_lessons_current_marks_and_absences(projected_factory, clock: Clock
                                                            ) -> None:
    p = projected_factory(Diary())
    app = p.app
    s = build_school(app, students=3)
    kid, absentee, leaver = s.students
    clock.set(datetime(2026, 11, 25, 12, tzinfo=UTC))
    app.execute(EndEnrolment(s.admin, s.school_class, student_id=leaver, last_day=MON))
    mon = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=2, topic="Дроби",
                                 homework="№ 5")).id
    tue = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=TUE, slot=1,
                                 topic="Проценты")).id
    assert mon is not None
    assert tue is not None
    app.execute(TakeAttendance(s.teacher, s.journal, mon,
                               absent=[(absentee, "illness"), (leaver, None)]))
    app.execute(CancelAbsence(s.teacher, s.journal, mon, student_id=leaver, reason="был на уроке"))
    first = app.execute(GiveMark(s.teacher, s.journal, mon, student_id=kid, value="5",
                                 work="oral")).id
    second = app.execute(GiveMark(s.teacher, s.journal, mon, student_id=kid, value="3",
                                  work="written")).id
    gone = app.execute(GiveMark(s.teacher, s.journal, tue, student_id=kid, value="2",
                                work="oral")).id
    assert first is not None
    assert gone is not None
    app.execute(CorrectMark(s.teacher, s.journal, first, value="4", reason="пересчёт"))
    app.execute(CancelMark(s.teacher, s.journal, gone, reason="ошибка ученика"))
    p.catch_up()

    with p.connect() as conn:
        days = read_diary(conn, kid, *NOV)
        assert [d.date for d in days] == [MON, TUE]
        monday = days[0].lessons[0]
        assert (monday.subject, monday.slot, monday.topic, monday.homework, monday.absent) == (
            "Математика", 2, "Дроби", "№ 5", False)
        # Several marks in one cell, corrected values shown, in the order given.
        assert [(m["id"], m["value"], m["work"]) for m in monday.marks] == [
            (str(first), "4", "oral"), (str(second), "3", "written")]
        # A cancelled mark disappears.
        assert days[1].lessons[0].marks == []

        absent_days = read_diary(conn, absentee, *NOV)
        assert [(d.date, d.lessons[0].absent) for d in absent_days] == [(MON, True),
                                                                         (TUE, False)]
        # The leaver keeps Monday (his last day; absence cancelled) and has no Tuesday.
        leaver_days = read_diary(conn, leaver, *NOV)
        assert [(d.date, d.lessons[0].absent) for d in leaver_days] == [(MON, False)]
        # Date filters are inclusive and exclusive of nothing else.
        assert [d.date for d in read_diary(conn, kid, TUE, TUE)] == [TUE]
        assert read_diary(conn, kid, WED, WED) == []


def test_a_student_enrolled_late_sees_the_lessons_from_their_first_day(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Diary())
    app = p.app
    s = build_school(app, students=1)
    clock.set(datetime(2026, 11, 25, 12, tzinfo=UTC))
    app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1, topic="А"))
    app.execute(HoldLesson(s.teacher, s.journal, lesson_date=TUE, slot=1, topic="Б"))
    newcomer = app.execute(RegisterUser(s.admin, s.school, username=f"new-{s.school.hex[:6]}",
                                        full_name="Новенький", role="student")).id
    assert newcomer is not None
    app.execute(EnrolStudent(s.admin, s.school_class, student_id=newcomer, from_date=TUE))
    p.catch_up()
    with p.connect() as conn:
        assert [d.lessons[0].topic for d in read_diary(conn, newcomer, *NOV)] == ["Б"]


def test_the_diary_as_of_a_moment_shows_what_was_recorded_by_then(
    projected_factory, clock: Clock
) -> None:
    from ejournal.projections.timetravel import diary_as_of

    p = projected_factory(Diary())
    app = p.app
    clock.set(datetime(2026, 11, 2, 9, tzinfo=UTC))
    s = build_school(app, students=1)
    kid = s.students[0]
    clock.set(datetime(2026, 11, 23, 9, tzinfo=UTC))
    mon = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1, topic="А")).id
    assert mon is not None
    mark = app.execute(GiveMark(s.teacher, s.journal, mon, student_id=kid, value="3",
                                work="oral")).id
    assert mark is not None
    before_correction = datetime(2026, 11, 23, 18, tzinfo=UTC)
    clock.set(datetime(2026, 11, 24, 9, tzinfo=UTC))
    app.execute(CorrectMark(s.teacher, s.journal, mark, value="4", reason="пересчёт"))
    tue = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=TUE, slot=1, topic="Б")).id
    assert tue is not None
    p.catch_up()

    then = diary_as_of(app, p.reader, kid, *NOV, as_of=before_correction)
    assert [(d.date, [m["value"] for m in d.lessons[0].marks]) for d in then] == [(MON, ["3"])]
    now = diary_as_of(app, p.reader, kid, *NOV, as_of=datetime(2026, 11, 25, tzinfo=UTC))
    assert [(d.date, [m["value"] for m in d.lessons[0].marks]) for d in now] == [
        (MON, ["4"]), (TUE, [])]
    with p.connect() as conn:
        assert now == read_diary(conn, kid, *NOV)
