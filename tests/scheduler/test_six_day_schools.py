"""Six-day schools (R-6.1d): the Saturdays that are the school's school days count as the
teacher's working days, so written work on Thursday is due on Monday, not Tuesday; a Saturday
in каникулы, or in a 5-day school, does not count."""

from __future__ import annotations

from datetime import date

import pytest

from ejournal.application.commands import GiveMark, HoldLesson, TakeAttendance
from ejournal.domain.calendar import Holiday, SchoolCalendar
from tests.scheduler.conftest import Compliance, make_school

THU, SAT, MON, TUE = date(2026, 11, 26), date(2026, 11, 28), date(2026, 11, 30), date(2026, 12, 1)


@pytest.mark.parametrize(("days_per_week", "due"), [(6, MON), (5, TUE)])
def test_written_work_is_due_three_school_working_days_on(
    compliance: Compliance, days_per_week: int, due: date,
) -> None:
    c = compliance
    s = make_school(c.app, days_per_week=days_per_week, students=2)
    marked, unmarked = s.students
    c.at(s, THU, 10)
    lesson = c.app.execute(HoldLesson(s.teacher, s.journal, lesson_date=THU, slot=1,
                                      topic="Контрольная", written_work=True))
    c.app.execute(TakeAttendance(s.teacher, s.journal, lesson.id, absent=[]))
    c.at(s, TUE, 10)
    mark = c.app.execute(GiveMark(s.teacher, s.journal, lesson.id, student_id=marked,
                                  value="4", work="written"))
    if days_per_week == 6:
        assert mark.late is not None
        assert (mark.late.rule, mark.late.due, mark.late.days, mark.late.working_days) == (
            "R-6.1d", MON, 1, 1)
    else:
        assert mark.late is None
    run = c.night_after(s, due)
    assert [(f.student_id, f.due) for f in run.findings if f.rule == "R-6.1d"] == [
        (unmarked, due)]
    assert [(i.student_id, i.due) for i in c.overdue(s, rule="R-6.1d")] == [(unmarked, due)]


def test_only_the_six_day_schools_school_saturdays_are_working_days() -> None:
    autumn = Holiday("каникулы", date(2026, 11, 28), date(2026, 11, 29))
    six = SchoolCalendar(date(2026, 9, 1), date(2027, 5, 31), 6)
    in_holidays = SchoolCalendar(date(2026, 9, 1), date(2027, 5, 31), 6, holidays=(autumn,))
    five = SchoolCalendar(date(2026, 9, 1), date(2027, 5, 31), 5)
    assert six.written_work.is_working_day(SAT)
    assert not in_holidays.written_work.is_working_day(SAT)
    assert not five.written_work.is_working_day(SAT)
    assert not six.working.is_working_day(SAT)  # other rules: the production calendar
    # After Thursday 26.11 up to Saturday 12.12: 11 weekdays, and 3 Saturdays (28.11, 5.12,
    # 12.12), one of them in the каникулы of the second calendar.
    assert five.written_work.working_days_between(THU, date(2026, 12, 12)) == 11
    assert six.written_work.working_days_between(THU, date(2026, 12, 12)) == 14
    assert in_holidays.written_work.working_days_between(THU, date(2026, 12, 12)) == 13
    # Saturday 2.01.2027 is in the New Year holidays: no school day, no working day.
    assert not six.written_work.is_working_day(date(2027, 1, 2))
    assert [six.written_work.add_working_days(THU, n) for n in (1, 2, 3)] == [
        date(2026, 11, 27), SAT, MON]
