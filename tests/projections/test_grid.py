"""The journal grid: feed real events through the projector, read the grid back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from ejournal.application import EJournal
from ejournal.application.commands import (
    AddSubject,
    CancelAbsence,
    CancelMark,
    CorrectMark,
    EndEnrolment,
    EnrolStudent,
    GiveMark,
    HoldLesson,
    OpenJournal,
    RegisterUser,
    TakeAttendance,
)
from ejournal.projections.grid import Grid, GridView, journal_lesson_ids, read_grid
from tests.builders import SmallSchool, build_school
from tests.conftest import Clock

MON, TUE, WED, THU = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)
OCT = date(2026, 10, 20)
NOV = (date(2026, 11, 1), date(2026, 11, 30))
LATE_NOVEMBER = datetime(2026, 11, 27, 12, tzinfo=UTC)


def held(app: EJournal, s: SmallSchool, day: date, slot: int, topic: str,
         journal: UUID | None = None) -> UUID:
    lesson = app.execute(HoldLesson(s.teacher, journal or s.journal, lesson_date=day, slot=slot,
                                    topic=topic)).id
    assert lesson is not None
    return lesson


def mark(app: EJournal, s: SmallSchool, lesson: UUID, student: UUID, value: str) -> UUID:
    mark_id = app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=student, value=value,
                                   work="oral")).id
    assert mark_id is not None
    return mark_id


def student(app: EJournal, s: SmallSchool, full_name: str) -> UUID:
    sid = app.execute(RegisterUser(s.admin, s.school, username=f"u{uuid4().hex[:10]}",
                                   full_name=full_name, role="student")).id
    assert sid is not None
    return sid


def cells_by_name(view: GridView) -> dict[str, dict[UUID, list[str]]]:
    return {row.full_name: row.cells for row in view.students}


def test_the_grid_shows_lessons_by_date_and_slot_and_each_students_current_marks(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Grid())
    app = p.app
    s = build_school(app, students=3)
    first, second, third = s.students
    clock.set(LATE_NOVEMBER)
    # Held out of order: the grid orders its columns by date, then slot.
    tue = held(app, s, TUE, 1, "Проценты")
    mon_late = held(app, s, MON, 3, "Дроби: задачи")
    mon = held(app, s, MON, 1, "Дроби")
    october = held(app, s, OCT, 1, "До каникул")
    mark(app, s, october, first, "5")
    five = mark(app, s, mon, first, "5")
    three = mark(app, s, mon, first, "3")
    mark(app, s, mon, first, "4")
    app.execute(CorrectMark(s.teacher, s.journal, three, value="2", reason="пересчёт"))
    app.execute(CancelMark(s.teacher, s.journal, five, reason="не тот ученик"))
    gone = mark(app, s, tue, second, "2")
    app.execute(CancelMark(s.teacher, s.journal, gone, reason="ошибка"))
    mark(app, s, mon_late, second, "4")
    p.catch_up()

    with p.connect() as conn:
        view = read_grid(conn, s.journal, *NOV)
    # Columns: the range's lessons (not October's), by date, then slot.
    assert [(c.id, c.date, c.slot, c.topic) for c in view.lessons] == [
        (mon, MON, 1, "Дроби"), (mon_late, MON, 3, "Дроби: задачи"), (tue, TUE, 1, "Проценты")]
    assert [(r.id, r.full_name) for r in view.students] == [
        (first, "Ученик 0"), (second, "Ученик 1"), (third, "Ученик 2")]
    # Several marks in one cell, in the order given, corrected values, cancelled ones gone;
    # a cell whose only mark was cancelled, and cells never written, have no key.
    assert cells_by_name(view) == {
        "Ученик 0": {mon: ["2", "4"]},
        "Ученик 1": {mon_late: ["4"]},
        "Ученик 2": {},
    }


def test_an_absence_shows_as_h_and_a_cancelled_absence_disappears(projected_factory,
                                                                  clock: Clock) -> None:
    p = projected_factory(Grid())
    app = p.app
    s = build_school(app, students=3)
    first, second, third = s.students
    clock.set(LATE_NOVEMBER)
    mon = held(app, s, MON, 1, "Дроби")
    tue = held(app, s, TUE, 1, "Проценты")
    app.execute(TakeAttendance(s.teacher, s.journal, mon,
                               absent=[(first, "illness"), (second, None)]))
    app.execute(TakeAttendance(s.teacher, s.journal, mon, absent=[(third, "unexcused")]))
    app.execute(CancelAbsence(s.teacher, s.journal, mon, student_id=second, reason="был на уроке"))
    mark(app, s, mon, second, "5")
    app.execute(TakeAttendance(s.teacher, s.journal, tue, absent=[]))
    app.execute(TakeAttendance(s.teacher, s.journal, tue, absent=[(third, None)]))
    app.execute(CancelAbsence(s.teacher, s.journal, tue, student_id=third, reason="опоздал"))
    p.catch_up()

    with p.connect() as conn:
        view = read_grid(conn, s.journal, *NOV)
    assert cells_by_name(view) == {
        "Ученик 0": {mon: ["Н"]},
        "Ученик 1": {mon: ["5"]},
        "Ученик 2": {mon: ["Н"]},
    }


def test_a_leaver_keeps_past_cells_and_a_newcomer_appears_while_enrolled_in_the_range(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Grid())
    app = p.app
    s = build_school(app, students=2)
    stayer, leaver = s.students
    clock.set(LATE_NOVEMBER)
    mon = held(app, s, MON, 1, "А")
    tue = held(app, s, TUE, 1, "Б")
    wed = held(app, s, WED, 1, "В")
    mark(app, s, mon, leaver, "3")
    app.execute(TakeAttendance(s.teacher, s.journal, tue, absent=[(leaver, "excused")]))
    # The enrolment ends (last day Tuesday) after the lessons are in the log,
    # and the newcomer is registered and enrolled (from Wednesday) after them too.
    app.execute(EndEnrolment(s.admin, s.school_class, student_id=leaver, last_day=TUE))
    newcomer = student(app, s, "Абрамова Анна")
    app.execute(EnrolStudent(s.admin, s.school_class, student_id=newcomer, from_date=WED))
    mark(app, s, wed, newcomer, "5")
    mark(app, s, wed, stayer, "4")
    p.catch_up()

    with p.connect() as conn:
        month = read_grid(conn, s.journal, *NOV)
        before_newcomer = read_grid(conn, s.journal, MON, TUE)
        after_leaver = read_grid(conn, s.journal, WED, THU)
        last_day = read_grid(conn, s.journal, TUE, TUE)
    # Rows by full name: every student enrolled at any time in the range.
    assert [(r.id, r.full_name) for r in month.students] == [
        (newcomer, "Абрамова Анна"), (stayer, "Ученик 0"), (leaver, "Ученик 1")]
    assert cells_by_name(month) == {
        "Абрамова Анна": {wed: ["5"]},
        "Ученик 0": {wed: ["4"]},
        "Ученик 1": {mon: ["3"], tue: ["Н"]},
    }
    assert [r.full_name for r in before_newcomer.students] == ["Ученик 0", "Ученик 1"]
    assert [c.id for c in before_newcomer.lessons] == [mon, tue]
    assert cells_by_name(after_leaver) == {"Абрамова Анна": {wed: ["5"]},
                                           "Ученик 0": {wed: ["4"]}}
    # The range's dates are inclusive: the leaver's last day still shows him.
    assert cells_by_name(last_day) == {"Ученик 0": {}, "Ученик 1": {tue: ["Н"]}}


def test_the_grid_is_the_same_whether_projected_step_by_step_or_rebuilt_at_once(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Grid())
    app = p.app
    s = build_school(app, students=2)
    first, second = s.students
    clock.set(LATE_NOVEMBER)
    p.catch_up()
    mon = held(app, s, MON, 1, "А")
    p.projector.run_batch(limit=1)
    given = mark(app, s, mon, first, "3")
    p.catch_up()
    app.execute(CorrectMark(s.teacher, s.journal, given, value="4", reason="пересчёт"))
    app.execute(TakeAttendance(s.teacher, s.journal, mon, absent=[(second, None)]))
    while p.projector.run_batch(limit=1):
        pass
    with p.connect() as conn:
        stepwise = read_grid(conn, s.journal, *NOV)

    p.projector.reset(["grid"])
    p.catch_up()
    with p.connect() as conn:
        rebuilt = read_grid(conn, s.journal, *NOV)
    assert rebuilt == stepwise
    assert cells_by_name(rebuilt) == {"Ученик 0": {mon: ["4"]}, "Ученик 1": {mon: ["Н"]}}


def test_each_journal_has_its_own_grid_and_lesson_ids(projected_factory, clock: Clock) -> None:
    p = projected_factory(Grid())
    app = p.app
    s = build_school(app, students=1)
    (kid,) = s.students
    clock.set(LATE_NOVEMBER)
    physics = app.execute(AddSubject(s.admin, s.school, name="Физика")).id
    assert physics is not None
    other = app.execute(OpenJournal(s.admin, class_id=s.school_class, subject_id=physics,
                                    teacher_id=s.teacher)).id
    assert other is not None
    tue = held(app, s, TUE, 2, "Б")
    mon = held(app, s, MON, 1, "А")
    october = held(app, s, OCT, 1, "До каникул")
    foreign = held(app, s, MON, 1, "Сила тока", journal=other)
    app.execute(GiveMark(s.teacher, other, foreign, student_id=kid, value="2", work="oral"))
    p.catch_up()

    with p.connect() as conn:
        view = read_grid(conn, s.journal, *NOV)
        assert [c.id for c in view.lessons] == [mon, tue]
        assert cells_by_name(view) == {"Ученик 0": {}}
        assert cells_by_name(read_grid(conn, other, *NOV)) == {"Ученик 0": {foreign: ["2"]}}
        assert journal_lesson_ids(conn, other) == [foreign]
        # Outside the range, and for an unknown journal: nothing.
        assert read_grid(conn, s.journal, THU, THU).lessons == []
        assert read_grid(conn, uuid4(), *NOV) == GridView([], [])
        assert journal_lesson_ids(conn, uuid4()) == []
        assert journal_lesson_ids(conn, s.journal) == [october, mon, tue]
