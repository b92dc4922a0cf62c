"""The compliance checks: pure functions of the journal's aggregates, the calendars and a day.

The check of one school-local **deadline day** finds every entry due by its end and missing:
a timetabled lesson not held (R-4.5), a lesson without attendance (R-4.6), a present student
without a mark for written work three working days on (R-6.1d), an enrolled student without a
period mark on the period's last day (R-6.2). :func:`wanted` says what the check of a day must
load (that day's aggregates only), :func:`check_day` decides (docs/scheduler.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from ejournal.domain import ids
from ejournal.domain.calendar import PeriodKind, SchoolCalendar, WorkingCalendar
from ejournal.domain.findings import Finding
from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson
from ejournal.domain.school import AcademicYear, School
from ejournal.domain.school_class import MAX_SLOT, SchoolClass
from ejournal.domain.timeliness import (
    R_LESSON,
    R_PERIOD,
    R_SAME_DAY,
    R_WRITTEN,
    WRITTEN_WORK_DAYS,
    local_date,
)

#: How far back from a deadline its lesson can lie: three working days after a lesson are
#: never further than this, even across the New Year holidays.
_LOOKBACK = timedelta(days=31)


@dataclass(frozen=True)
class SchoolState:
    """One school as the checks read it: the school (its time zone and overlay), its academic
    years, classes and class journals, as they stand now."""

    school: School
    years: Mapping[UUID, AcademicYear]
    classes: Mapping[UUID, SchoolClass]
    journals: Mapping[UUID, ClassJournal]
    _calendars: dict[UUID, SchoolCalendar] = field(default_factory=dict, compare=False)

    @property
    def working(self) -> WorkingCalendar:
        return WorkingCalendar(dict(self.school.overlay))

    def calendar(self, year_id: UUID) -> SchoolCalendar:
        found = self._calendars.get(year_id)
        if found is None:
            found = self.years[year_id].calendar(self.school)
            self._calendars[year_id] = found
        return found

    def classes_of(self, day: date) -> list[SchoolClass]:
        """Classes whose year covers ``day``."""
        chosen = []
        for school_class in self.classes.values():
            year = self.years.get(school_class.year_id)
            if year is not None and year.starts_on <= day <= year.ends_on:
                chosen.append(school_class)
        return chosen

    def journals_of(self, class_id: UUID) -> list[ClassJournal]:
        return [j for j in self.journals.values() if j.class_id == class_id]

    def first_day(self) -> date | None:
        """The first day anything can be due: the start of the school's first year."""
        return min((y.starts_on for y in self.years.values()), default=None)


@dataclass(frozen=True)
class Wanted:
    """What the check of one day must load: lessons (by id) and period marks (existence)."""

    lessons: frozenset[UUID]
    period_marks: frozenset[UUID]


@dataclass(frozen=True)
class DayFacts:
    """What was loaded for the check of one day: the lessons among ``Wanted.lessons`` that were
    held, and the ids among ``Wanted.period_marks`` that were given."""

    lessons: Mapping[UUID, Lesson]
    period_marks: frozenset[UUID]


def deadline_days(as_of: datetime, timezone: str, after: date | None,
                  first: date | None) -> list[date]:
    """The deadline days whose end has passed by ``as_of`` in the school's zone: from the day
    after ``after`` (or from ``first``) to the school-local day before ``as_of``'s."""
    if first is None and after is None:
        return []
    start = after + timedelta(days=1) if after is not None else first
    assert start is not None  # noqa: S101 - one of the two is given
    today = local_date(as_of, timezone)
    return [start + timedelta(days=n) for n in range((today - start).days)]


def written_work_due(lesson_date: date, working: WorkingCalendar) -> date:
    """R-6.1d: marks for written work are due three working days after the lesson (counted
    in ``SchoolCalendar.written_work``)."""
    return working.add_working_days(lesson_date, WRITTEN_WORK_DAYS)


def lesson_dates_due(day: date, working: WorkingCalendar) -> list[date]:
    """The lesson dates whose written work is due on ``day`` (R-6.1d)."""
    if not working.is_working_day(day):
        return []  # a deadline counted in working days always falls on one
    dates = []
    candidate = day - timedelta(days=1)
    while candidate >= day - _LOOKBACK:
        due = written_work_due(candidate, working)
        if due == day:
            dates.append(candidate)
        elif due < day:
            break  # earlier lessons are due earlier still
        candidate -= timedelta(days=1)
    return sorted(dates)


def written_work_dates(state: SchoolState, day: date) -> list[tuple[date, UUID]]:
    """(lesson date, year) of the lessons whose written work is due on ``day`` (R-6.1d), each
    counted in its year's working days (a 6-day school's school Saturdays among them)."""
    found = []
    for year in sorted(state.years.values(), key=lambda y: y.starts_on):
        working = state.calendar(year.id).written_work
        found += [(lesson_date, year.id) for lesson_date in lesson_dates_due(day, working)
                  if year.starts_on <= lesson_date <= year.ends_on]
    return found


def answerable(journal: ClassJournal, day: date) -> UUID:
    """Who answers for the journal's entries of ``day`` (R-4.4)."""
    return journal.answerable(day)


def _lesson_ids(state: SchoolState, school_class: SchoolClass, day: date) -> Iterable[UUID]:
    if not state.calendar(school_class.year_id).is_school_day(day):
        return ()  # Lesson.hold refuses any other date
    return (ids.lesson_id(journal.id, day, slot) for journal in state.journals_of(school_class.id)
            for slot in range(1, MAX_SLOT + 1))


def _periods_ending(state: SchoolState, day: date) -> list[tuple[UUID, UUID, bool]]:
    """(year, period, is the year period) of the periods whose last day is ``day``: terms and
    the year period alike (R-6.2)."""
    return [(year.id, period_id, period.kind is PeriodKind.YEAR)
            for year in state.years.values()
            for period_id, period in year.periods.items() if period.ends_on == day]


def wanted(state: SchoolState, day: date) -> Wanted:
    """The lessons and period marks the check of ``day`` reads - that day's only: every slot of
    every journal on ``day`` and on the lesson dates whose written work is due on ``day``, and
    the period marks of the periods ending on ``day``."""
    lessons: set[UUID] = set()
    for school_class in state.classes_of(day):
        lessons.update(_lesson_ids(state, school_class, day))
    for lesson_date, year_id in written_work_dates(state, day):
        for school_class in state.classes_of(lesson_date):
            if school_class.year_id == year_id:
                lessons.update(_lesson_ids(state, school_class, lesson_date))
    marks: set[UUID] = set()
    for year_id, period_id, _ in _periods_ending(state, day):
        for school_class in state.classes.values():
            if school_class.year_id != year_id:
                continue
            for student_id in _enrolled(school_class, day):
                for journal in state.journals_of(school_class.id):
                    marks.add(ids.period_mark_id(journal.id, student_id, period_id))
    return Wanted(frozenset(lessons), frozenset(marks))


def _enrolled(school_class: SchoolClass, day: date) -> list[UUID]:
    return sorted((s for s in school_class.enrolments if school_class.is_enrolled(s, day)),
                  key=str)


def _held_on(facts: DayFacts, day: date) -> list[Lesson]:
    return sorted((x for x in facts.lessons.values() if x.lesson_date == day),
                  key=lambda x: (str(x.journal_id), x.slot))


# --- the four checks ---------------------------------------------------------------------------


def lessons_held(state: SchoolState, day: date, facts: DayFacts) -> list[Finding]:
    """R-4.5: on a school day, each journal holds as many lessons as the class timetable
    expected of it, whatever their slots (a lesson moved to another slot - перестановка -
    counts). The timetabled slots left over, after each held lesson answers its own slot or
    else the earliest one unanswered, are the findings."""
    found = []
    for school_class in state.classes_of(day):
        if not state.calendar(school_class.year_id).is_school_day(day):
            continue
        expected: dict[UUID, list[int]] = {}
        for entry in school_class.timetable_on(day):
            if entry.weekday == day.isoweekday() and entry.journal_id in state.journals:
                expected.setdefault(entry.journal_id, []).append(entry.slot)
        for journal_id, slots in sorted(expected.items(), key=lambda kv: str(kv[0])):
            journal = state.journals[journal_id]
            held = {slot for slot in range(1, MAX_SLOT + 1)
                    if ids.lesson_id(journal_id, day, slot) in facts.lessons}
            unanswered = sorted(set(slots) - held)
            moved = len(held - set(slots))
            for slot in unanswered[moved:]:
                found.append(Finding(rule=R_LESSON, school_id=state.school.id,
                                     journal_id=journal.id, business_date=day, due=day,
                                     teacher_id=answerable(journal, day), slot=slot))
    return found


def attendance_taken(state: SchoolState, day: date, facts: DayFacts) -> list[Finding]:
    """R-4.6: every lesson held on ``day`` has its attendance taken by the end of the day."""
    found = []
    for lesson in _held_on(facts, day):
        journal = state.journals.get(lesson.journal_id)
        if journal is None or lesson.attendance_taken:
            continue
        found.append(Finding(rule=R_SAME_DAY, school_id=state.school.id,
                             journal_id=journal.id, business_date=day, due=day,
                             teacher_id=answerable(journal, day), slot=lesson.slot))
    return found


def written_work_marked(state: SchoolState, day: date, facts: DayFacts) -> list[Finding]:
    """R-6.1d: after a written work, every student who was there has a written mark within
    three working days."""
    found = []
    for lesson_date, year_id in written_work_dates(state, day):
        for lesson in _held_on(facts, lesson_date):
            journal = state.journals.get(lesson.journal_id)
            school_class = state.classes.get(journal.class_id) if journal else None
            if journal is None or school_class is None or school_class.year_id != year_id:
                continue
            if not lesson.has_written_work:
                continue  # no written work known at this lesson
            for student_id in _enrolled(school_class, lesson_date):
                if not lesson.lacks_written_mark(student_id):
                    continue
                found.append(Finding(rule=R_WRITTEN, school_id=state.school.id,
                                     journal_id=journal.id, business_date=lesson_date, due=day,
                                     teacher_id=answerable(journal, lesson_date),
                                     slot=lesson.slot, student_id=student_id))
    return found


def period_marks_given(state: SchoolState, day: date, facts: DayFacts) -> list[Finding]:
    """R-6.2: by the period's last day, every student enrolled in the class then has a period
    mark in each of the class's journals."""
    found = []
    for year_id, period_id, year_mark in _periods_ending(state, day):
        for school_class in sorted(state.classes.values(), key=lambda c: str(c.id)):
            if school_class.year_id != year_id:
                continue
            for journal in sorted(state.journals_of(school_class.id), key=lambda j: str(j.id)):
                for student_id in _enrolled(school_class, day):
                    if ids.period_mark_id(journal.id, student_id, period_id) in \
                            facts.period_marks:
                        continue
                    found.append(Finding(rule=R_PERIOD, school_id=state.school.id,
                                         journal_id=journal.id, business_date=day, due=day,
                                         teacher_id=answerable(journal, day),
                                         student_id=student_id, period_id=period_id,
                                         year_mark=year_mark))
    return found


CHECKS = (lessons_held, attendance_taken, written_work_marked, period_marks_given)


def check_day(state: SchoolState, day: date, facts: DayFacts) -> list[Finding]:
    """Every entry due by the end of ``day`` and missing, by the four checks."""
    return [finding for check in CHECKS for finding in check(state, day, facts)]
