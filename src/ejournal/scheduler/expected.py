"""How many entries the checks of a day expected (the denominator of their findings): each
timetabled lesson (R-4.5), each lesson held's attendance (R-4.6), each present student's mark
for written work due that day (R-6.1d), each enrolled student's period mark in each journal of
the class for a period ending that day (R-6.2) - counted as ``checks`` finds them missing."""

from __future__ import annotations

from collections import Counter
from datetime import date

from ejournal.domain.timeliness import R_LESSON, R_PERIOD, R_SAME_DAY, R_WRITTEN
from ejournal.scheduler import checks


def expected_entries(state: checks.SchoolState, day: date,
                     facts: checks.DayFacts) -> Counter[str]:
    """Per rule, the entries due by the end of ``day`` (present or missing)."""
    counted: Counter[str] = Counter()
    for in_session in state.classes_of(day):
        if state.calendar(in_session.year_id).is_school_day(day):
            counted[R_LESSON] += sum(1 for entry in in_session.timetable_on(day)
                                     if entry.weekday == day.isoweekday()
                                     and entry.journal_id in state.journals)
    counted[R_SAME_DAY] += sum(1 for lesson in facts.lessons.values()
                               if lesson.lesson_date == day
                               and lesson.journal_id in state.journals)
    for lesson_date in checks.lesson_dates_due(day, state.working):
        for lesson in facts.lessons.values():
            journal = state.journals.get(lesson.journal_id)
            school_class = state.classes.get(journal.class_id) if journal else None
            if lesson.lesson_date != lesson_date or school_class is None:
                continue
            if not lesson.has_written_work:
                continue
            counted[R_WRITTEN] += sum(
                1 for s in school_class.enrolments
                if school_class.is_enrolled(s, lesson_date) and s not in lesson.absent)
    ending = [year.id for year in state.years.values()
              for period in year.periods.values() if period.ends_on == day]
    for year_id in ending:
        for school_class in state.classes.values():
            if school_class.year_id == year_id:
                enrolled = sum(1 for s in school_class.enrolments
                               if school_class.is_enrolled(s, day))
                counted[R_PERIOD] += enrolled * len(state.journals_of(school_class.id))
    return counted
