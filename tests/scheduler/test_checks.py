"""The four checks, each with an injected clock: on the deadline day nothing is flagged; the
day after it is flagged once; a late entry resolves it, with the entry's recording time."""

from __future__ import annotations

from datetime import date

from ejournal.application.commands import (
    AppointSubstitute,
    EndEnrolment,
    GiveMark,
    GivePeriodMark,
    HoldLesson,
    TakeAttendance,
)
from ejournal.domain import ids
from ejournal.projections.findings import read_overdue
from tests.scheduler.conftest import FOUND, RESOLVED, Compliance, local, make_school

MON, TUE, WED, THU, FRI = (date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25),
                           date(2026, 11, 26), date(2026, 11, 27))
NEXT_MON = date(2026, 11, 30)


def test_r45_a_timetabled_lesson_never_held_is_flagged_after_its_day_then_resolved_late(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app, timetable=[(1, 2)])  # Mondays, slot 2
    # On the lesson's own day (23:59 in Moscow) its deadline has not passed: nothing is due.
    run = c.run_on(s, MON, 23, 59)
    assert (run.days, run.findings) == ([], [])
    assert c.overdue(s) == []

    # Just after midnight the day has ended: the missing lesson is found, with its rule.
    run = c.night_after(s, MON)
    assert run.days == [MON]
    (item,) = c.overdue(s)
    assert (item.rule, item.journal_id, item.business_date, item.slot, item.student_id,
            item.due, item.teacher_id, item.resolved_at) == (
        "R-4.5", s.journal, MON, 2, None, MON, s.teacher, None)
    assert item.detected_at == local(s.timezone, TUE, 0, 30)

    # Running again (the same night, and the next) records it no second time.
    c.night_after(s, MON)
    c.night_after(s, TUE)
    assert list(c.logged(FOUND).values()) == [1]

    # The teacher records it on Wednesday morning: a late entry, which resolves the finding.
    entered = c.at(s, WED, 9, 15)
    lesson = c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=2, topic="Дроби"))
    assert lesson.late is not None
    assert lesson.late.rule == "R-4.5"
    run = c.night_after(s, WED)
    assert run.resolved == 1
    (item,) = c.overdue(s)
    assert (item.resolved_at, item.resolved_by) == (entered, s.teacher)
    assert c.finding(item.finding_id).entered_at == entered
    c.night_after(s, THU)
    assert list(c.logged(RESOLVED).values()) == [1]
    assert list(c.logged(FOUND).values()) == [1]


def test_r46_a_lesson_held_without_attendance_is_flagged_after_its_day_then_resolved_late(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app, timetable=[(1, 1)])
    c.at(s, MON, 10)
    held = c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=1, topic="Дроби"))
    assert held.id is not None
    assert held.late is None
    assert c.run_on(s, MON, 23, 30).findings == []

    run = c.night_after(s, MON)
    (finding,) = run.findings
    assert (finding.rule, finding.business_date, finding.slot, finding.student_id) == (
        "R-4.6", MON, 1, None)
    assert [(i.rule, i.business_date, i.slot) for i in c.overdue(s)] == [("R-4.6", MON, 1)]
    c.night_after(s, MON)
    assert list(c.logged(FOUND).values()) == [1]

    entered = c.at(s, TUE, 8, 5)
    taken = c.app.execute(TakeAttendance(s.teacher, s.journal, held.id,
                                         absent=[(s.students[0], "illness")]))
    assert taken.late is not None
    assert taken.late.rule == "R-4.6"
    assert c.night_after(s, TUE).resolved == 1
    (item,) = c.overdue(s)
    assert (item.rule, item.resolved_at, item.resolved_by) == ("R-4.6", entered, s.teacher)
    assert list(c.logged(RESOLVED).values()) == [1]


def test_r61d_a_present_student_without_a_written_mark_three_working_days_on_is_flagged(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app, students=4)
    marked, unmarked, absent, late_joiner = s.students
    c.at(s, MON, 10)
    held = c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=MON, slot=3,
                                    topic="Контрольная"))
    assert held.id is not None
    c.app.execute(TakeAttendance(s.teacher, s.journal, held.id, absent=[(absent, None)]))
    # An oral mark is no written work; the lesson has written work once a written mark is in.
    c.app.execute(GiveMark(s.teacher, s.journal, held.id, student_id=unmarked, value="5",
                           work="oral"))
    c.at(s, WED, 16)
    c.app.execute(GiveMark(s.teacher, s.journal, held.id, student_id=marked, value="4",
                           work="test"))
    c.app.execute(GiveMark(s.teacher, s.journal, held.id, student_id=late_joiner, value="3",
                           work="written"))
    # Due three working days after Monday: Thursday. On Thursday evening nothing is flagged.
    run = c.run_on(s, THU, 22)
    assert [f for f in run.findings if f.rule == "R-6.1d"] == []

    run = c.night_after(s, THU)
    (finding,) = [f for f in run.findings if f.rule == "R-6.1d"]
    # Only the student who was there and has no written mark; not the absent one.
    assert (finding.business_date, finding.slot, finding.student_id, finding.due) == (
        MON, 3, unmarked, THU)
    (item,) = c.overdue(s, rule="R-6.1d")
    assert (item.student_id, item.due, item.resolved_at) == (unmarked, THU, None)
    c.night_after(s, FRI)
    assert list(c.logged(FOUND).values()) == [1]

    entered = c.at(s, NEXT_MON, 11)
    mark = c.app.execute(GiveMark(s.teacher, s.journal, held.id, student_id=unmarked, value="3",
                                  work="written"))
    assert mark.late is not None
    assert (mark.late.rule, mark.late.due) == ("R-6.1d", THU)
    assert c.night_after(s, NEXT_MON).resolved == 1
    (item,) = c.overdue(s, rule="R-6.1d")
    assert (item.resolved_at, item.resolved_by) == (entered, s.teacher)


def test_r62_a_student_without_a_period_mark_after_the_periods_last_day_is_flagged(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app, periods=[("неделя", MON, FRI), ("остаток", NEXT_MON,
                                                            date(2027, 5, 31))])
    given, missing, left = s.students
    week = s.periods["неделя"]
    c.at(s, THU, 12)
    # A student who left the class before the period's last day is not expected to get one.
    c.app.execute(EndEnrolment(s.admin, s.school_class, student_id=left, last_day=THU))
    c.at(s, FRI, 15)
    c.app.execute(GivePeriodMark(s.teacher, s.journal, student_id=given, period_id=week, value="5"))
    assert c.run_on(s, FRI, 23, 45).findings == []

    run = c.night_after(s, FRI)
    (finding,) = run.findings
    assert (finding.rule, finding.business_date, finding.student_id, finding.period_id,
            finding.slot, finding.due) == ("R-6.2", FRI, missing, week, None, FRI)
    c.night_after(s, date(2026, 11, 28))
    assert list(c.logged(FOUND).values()) == [1]

    entered = c.at(s, NEXT_MON, 9)
    late = c.app.execute(GivePeriodMark(s.teacher, s.journal, student_id=missing, period_id=week,
                                        value="4"))
    assert late.late is not None
    assert late.late.rule == "R-6.2"
    assert late.id == ids.period_mark_id(s.journal, missing, week)
    assert c.night_after(s, NEXT_MON).resolved == 1
    (item,) = c.overdue(s)
    assert (item.rule, item.student_id, item.resolved_at) == ("R-6.2", missing, entered)


def test_a_substitute_on_the_lessons_date_answers_for_the_missing_entry(
    compliance: Compliance,
) -> None:
    c = compliance
    s = make_school(c.app, timetable=[(1, 1), (2, 1)])
    c.app.execute(AppointSubstitute(s.admin, s.journal, teacher_id=s.other_teacher, from_date=TUE,
                                    to_date=TUE))
    c.night_after(s, TUE)
    assert [(i.business_date, i.teacher_id) for i in c.overdue(s)] == [
        (MON, s.teacher), (TUE, s.other_teacher)]


def test_the_list_pages_by_business_date_then_the_order_found(compliance: Compliance) -> None:
    c = compliance
    s = make_school(c.app, timetable=[(d, slot) for d in range(1, 6) for slot in (1, 2)])
    c.night_after(s, WED)  # Monday to Wednesday, found in one run
    c.night_after(s, FRI)  # Thursday and Friday
    everything = c.overdue(s)
    assert [(i.business_date, i.slot) for i in everything] == [
        (day, slot) for day in (MON, TUE, WED, THU, FRI) for slot in (1, 2)]
    pages, after = [], None
    while True:
        with c.runner.projector.reader.connect() as conn:
            page = read_overdue(conn, s.school, after=after, limit=3)
        if not page:
            break
        pages.append(page)
        after = (page[-1].business_date, page[-1].position)
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    assert [i for p in pages for i in p] == everything
    assert [i.business_date for i in c.overdue(s, first=TUE, last=THU)] == [
        TUE, TUE, WED, WED, THU, THU]
