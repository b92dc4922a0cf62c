"""The period summary: feed real events through the projector, read the summary back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from ejournal.application import EJournal
from ejournal.application.commands import (
    CancelAbsence,
    CancelMark,
    CorrectMark,
    CorrectPeriodMark,
    EndEnrolment,
    EnrolStudent,
    GiveMark,
    GivePeriodMark,
    HoldLesson,
    PlanYear,
    RegisterUser,
    TakeAttendance,
)
from ejournal.domain.errors import NotFound
from ejournal.projections.summary import Summary, SummaryStudent, SummaryView, read_summary
from tests.builders import SmallSchool, build_school
from tests.conftest import Clock

# II четверть: 2026-11-05 .. 2026-12-28; I четверть ends 2026-10-25.
OCT_20 = date(2026, 10, 20)
NOV_5, NOV_9, NOV_10, NOV_11 = (date(2026, 11, 5), date(2026, 11, 9), date(2026, 11, 10),
                                date(2026, 11, 11))
DEC_28 = date(2026, 12, 28)
AFTER_TERM = datetime(2026, 12, 30, 9, tzinfo=UTC)


def held(app: EJournal, s: SmallSchool, day: date, slot: int = 1) -> UUID:
    lesson = app.execute(HoldLesson(s.teacher, s.journal, lesson_date=day, slot=slot,
                                    topic=f"Урок {day} {slot}")).id
    assert lesson is not None
    return lesson


def mark(app: EJournal, s: SmallSchool, lesson: UUID, student: UUID, value: str) -> UUID:
    mark_id = app.execute(GiveMark(s.teacher, s.journal, lesson, student_id=student, value=value,
                                   work="oral")).id
    assert mark_id is not None
    return mark_id


def period_mark(app: EJournal, s: SmallSchool, student: UUID, value: str,
                period: str = "II четверть") -> UUID:
    pm = app.execute(GivePeriodMark(s.teacher, s.journal, student_id=student,
                                    period_id=s.periods[period], value=value)).id
    assert pm is not None
    return pm


def student(app: EJournal, s: SmallSchool, full_name: str) -> UUID:
    sid = app.execute(RegisterUser(s.admin, s.school, username=f"u{uuid4().hex[:10]}",
                                   full_name=full_name, role="student")).id
    assert sid is not None
    return sid


def summary(p, s: SmallSchool, period: str = "II четверть") -> SummaryView:
    p.catch_up()
    with p.connect() as conn:
        return read_summary(conn, s.journal, s.periods[period])


def by_name(view: SummaryView) -> dict[str, SummaryStudent]:
    return {row.full_name: row for row in view.students}


def test_the_summary_lists_current_marks_in_the_period_their_average_and_absences(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Summary())
    app = p.app
    s = build_school(app, students=3)
    first, second, third = s.students
    clock.set(AFTER_TERM)
    october = held(app, s, OCT_20)  # I четверть: not in this summary
    # Held out of order: marks are listed by lesson date, slot, then as given.
    nov_10 = held(app, s, NOV_10)
    nov_9_late = held(app, s, NOV_9, slot=4)
    nov_9 = held(app, s, NOV_9, slot=2)
    last_day = held(app, s, DEC_28)
    mark(app, s, october, first, "2")
    mark(app, s, nov_10, first, "4")
    mark(app, s, nov_9_late, first, "3")
    mark(app, s, nov_9, first, "5")
    wrong = mark(app, s, nov_9, first, "2")
    app.execute(CorrectMark(s.teacher, s.journal, wrong, value="3", reason="пересчёт"))
    cancelled = mark(app, s, last_day, first, "2")
    app.execute(CancelMark(s.teacher, s.journal, cancelled, reason="не тот ученик"))
    mark(app, s, nov_9, second, "5")
    mark(app, s, last_day, second, "4")
    app.execute(TakeAttendance(s.teacher, s.journal, october, absent=[(third, None)]))
    app.execute(TakeAttendance(s.teacher, s.journal, nov_9, absent=[(third, "illness")]))
    app.execute(TakeAttendance(s.teacher, s.journal, nov_10,
                               absent=[(third, None), (second, None)]))
    app.execute(CancelAbsence(s.teacher, s.journal, nov_10, student_id=second, reason="был"))
    app.execute(TakeAttendance(s.teacher, s.journal, last_day, absent=[(third, "unexcused")]))

    view = summary(p, s)
    assert [(r.student_id, r.full_name) for r in view.students] == [
        (first, "Ученик 0"), (second, "Ученик 1"), (third, "Ученик 2")]
    rows = by_name(view)
    # 5, 3 (corrected from 2), 3, 4 → 15/4 = 3.75; the October 2 and the cancelled 2 don't count.
    assert (rows["Ученик 0"].marks, rows["Ученик 0"].average) == (["5", "3", "3", "4"],
                                                                   Decimal("3.75"))
    assert (rows["Ученик 1"].marks, rows["Ученик 1"].average) == (["5", "4"], Decimal("4.5"))
    assert (rows["Ученик 2"].marks, rows["Ученик 2"].average) == ([], None)
    # Current absences dated in the period: October's and the cancelled one don't count.
    assert [r.absences for r in view.students] == [0, 0, 3]
    assert [r.period_mark for r in view.students] == [None, None, None]
    assert (view.quality_percent, view.success_percent) == (None, None)
    assert by_name(summary(p, s, "I четверть"))["Ученик 2"].absences == 1


def test_averages_are_rounded_half_up_to_two_decimals(projected_factory, clock: Clock) -> None:
    p = projected_factory(Summary())
    app = p.app
    s = build_school(app, students=3)
    thirds, halves, eighths = s.students
    clock.set(AFTER_TERM)
    nov_9, nov_10 = held(app, s, NOV_9), held(app, s, NOV_10)
    for value in ("5", "4", "4"):
        mark(app, s, nov_9, thirds, value)
    mark(app, s, nov_9, halves, "5")
    mark(app, s, nov_10, halves, "4")
    for value in ("5", "5", "5", "5"):
        mark(app, s, nov_9, eighths, value)
    for value in ("5", "4", "4", "4"):
        mark(app, s, nov_10, eighths, value)

    averages = [r.average for r in summary(p, s).students]
    # 13/3 = 4.333… → 4.33; 9/2 = 4.5; 37/8 = 4.625 → 4.63 (half up, not to even).
    assert averages == [Decimal("4.33"), Decimal("4.50"), Decimal("4.63")]
    assert [str(a) for a in averages] == ["4.33", "4.50", "4.63"]


def test_quality_and_success_percent_follow_the_current_period_marks(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Summary())
    app = p.app
    s = build_school(app, students=5)
    five, four, three, two, without = s.students
    clock.set(AFTER_TERM)
    period_mark(app, s, five, "5")
    period_mark(app, s, four, "4")
    period_mark(app, s, three, "3")
    failing = period_mark(app, s, two, "2")
    period_mark(app, s, without, "2", period="I четверть")  # another period: not counted

    view = summary(p, s)
    assert [r.period_mark for r in view.students] == ["5", "4", "3", "2", None]
    # Over the four students with a period mark: 4 or 5 → 2 of 4; without a 2 → 3 of 4.
    assert (view.quality_percent, view.success_percent) == (Decimal("50.0"), Decimal("75.0"))

    app.execute(CorrectPeriodMark(s.teacher, s.journal, failing, value="3", reason="пересдача"))
    view = summary(p, s)
    assert [r.period_mark for r in view.students] == ["5", "4", "3", "3", None]
    assert (view.quality_percent, view.success_percent) == (Decimal("50.0"), Decimal("100.0"))
    first_term = summary(p, s, "I четверть")
    assert [r.period_mark for r in first_term.students] == [None, None, None, None, "2"]
    assert (first_term.quality_percent, first_term.success_percent) == (Decimal("0.0"),
                                                                        Decimal("0.0"))


def test_percentages_are_rounded_to_one_decimal(projected_factory, clock: Clock) -> None:
    p = projected_factory(Summary())
    app = p.app
    s = build_school(app, students=3)
    clock.set(AFTER_TERM)
    for kid, value in zip(s.students, ("5", "3", "2"), strict=True):
        period_mark(app, s, kid, value)

    view = summary(p, s)
    # 1 of 3 → 33.3; 2 of 3 → 66.7.
    assert (view.quality_percent, view.success_percent) == (Decimal("33.3"), Decimal("66.7"))


def test_the_summary_lists_every_student_enrolled_during_any_part_of_the_period(
    projected_factory, clock: Clock
) -> None:
    p = projected_factory(Summary())
    app = p.app
    s = build_school(app, students=3)
    stayer, leaver, gone_before = s.students
    clock.set(datetime(2026, 11, 12, 9, tzinfo=UTC))
    october = held(app, s, OCT_20)
    mark(app, s, october, gone_before, "4")
    nov_9, nov_11 = held(app, s, NOV_9), held(app, s, NOV_11)
    mark(app, s, nov_9, leaver, "3")
    app.execute(TakeAttendance(s.teacher, s.journal, nov_9, absent=[(stayer, None)]))
    app.execute(EndEnrolment(s.admin, s.school_class, student_id=gone_before, last_day=OCT_20))
    app.execute(EndEnrolment(s.admin, s.school_class, student_id=leaver, last_day=NOV_10))
    period_mark(app, s, leaver, "3")
    # The newcomer is registered and enrolled after the lessons are in the log.
    newcomer = student(app, s, "Абрамова Анна")
    app.execute(EnrolStudent(s.admin, s.school_class, student_id=newcomer, from_date=NOV_11))
    mark(app, s, nov_11, newcomer, "5")
    mark(app, s, nov_11, stayer, "4")
    # One who came and left within the period counts too.
    visitor = student(app, s, "Яковлев Ян")
    app.execute(EnrolStudent(s.admin, s.school_class, student_id=visitor, from_date=NOV_5))
    app.execute(EndEnrolment(s.admin, s.school_class, student_id=visitor, last_day=NOV_5))

    view = summary(p, s)
    assert [(r.student_id, r.full_name, r.marks, r.average, r.absences, r.period_mark)
            for r in view.students] == [
        (newcomer, "Абрамова Анна", ["5"], Decimal("5.00"), 0, None),
        (stayer, "Ученик 0", ["4"], Decimal("4.00"), 1, None),
        (leaver, "Ученик 1", ["3"], Decimal("3.00"), 0, "3"),
        (visitor, "Яковлев Ян", [], None, 0, None),
    ]
    assert (view.quality_percent, view.success_percent) == (Decimal("0.0"), Decimal("100.0"))
    first_term = summary(p, s, "I четверть")
    assert [r.student_id for r in first_term.students] == [stayer, leaver, gone_before]
    assert by_name(first_term)["Ученик 2"].marks == ["4"]


def test_the_summary_is_the_same_when_rebuilt_from_the_log(projected_factory,
                                                          clock: Clock) -> None:
    p = projected_factory(Summary())
    app = p.app
    s = build_school(app, students=2)
    first, second = s.students
    clock.set(AFTER_TERM)
    p.catch_up()
    nov_9 = held(app, s, NOV_9)
    p.projector.run_batch(limit=1)
    given = mark(app, s, nov_9, first, "2")
    pm = period_mark(app, s, second, "2")
    p.projector.run_batch(limit=1)
    app.execute(CorrectMark(s.teacher, s.journal, given, value="5", reason="пересчёт"))
    app.execute(CorrectPeriodMark(s.teacher, s.journal, pm, value="4", reason="пересдача"))
    while p.projector.run_batch(limit=1):
        pass
    stepwise = summary(p, s)

    p.projector.reset(["summary"])
    rebuilt = summary(p, s)
    assert rebuilt == stepwise
    assert [(r.marks, r.period_mark) for r in rebuilt.students] == [(["5"], None), ([], "4")]
    assert (rebuilt.quality_percent, rebuilt.success_percent) == (Decimal("100.0"),
                                                                  Decimal("100.0"))


def test_an_unknown_journal_or_period_is_not_found(projected_factory) -> None:
    p = projected_factory(Summary())
    s = build_school(p.app, students=1)
    other_year = p.app.execute(PlanYear(
        s.admin, s.school, name="2027/2028", starts_on=date(2027, 9, 1), ends_on=date(2028, 5, 31),
        days_per_week=5, periods=[("I полугодие", date(2027, 9, 1), date(2027, 12, 28))],
    )).periods
    p.catch_up()
    with p.connect() as conn:
        with pytest.raises(NotFound, match="period"):
            read_summary(conn, s.journal, uuid4())
        with pytest.raises(NotFound, match="period"):  # a period of another year
            read_summary(conn, s.journal, other_year["I полугодие"])
        with pytest.raises(NotFound, match="journal"):
            read_summary(conn, uuid4(), s.periods["II четверть"])
