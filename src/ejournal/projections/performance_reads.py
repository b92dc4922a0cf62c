"""The performance report (сводная ведомость as data, R-3.4d): per student and subject of a
class the period's averages and period mark, the class's averages per subject, and each
student's and the class's averages by week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, String, select, type_coerce

from ejournal.domain.errors import NotFound
from ejournal.domain.values import Work
from ejournal.projections.report_reads import (
    DEFAULT_WEIGHTS,
    class_facts,
    class_roster,
    class_subjects,
    monday,
    two_places,
)
from ejournal.projections.reports import journals, marks, period_marks, periods
from ejournal.projections.rounding import half_up


@dataclass
class SubjectResult:
    journal_id: UUID
    subject_name: str
    average: Decimal | None
    weighted_average: Decimal | None
    period_mark: str | None


@dataclass
class WeekAverage:
    week_of: date  # the week's Monday
    average: Decimal | None  # of that week's marks, every subject; None: no marks that week
    running_average: Decimal | None  # of every mark of the period up to that week's end


@dataclass
class StudentPerformance:
    id: UUID
    full_name: str
    subjects: list[SubjectResult]
    weeks: list[WeekAverage]


@dataclass
class SubjectAverage:
    journal_id: UUID
    subject_name: str
    average: Decimal | None  # the mean of the students' averages in the subject


@dataclass
class PerformanceReport:
    students: list[StudentPerformance]
    subjects: list[SubjectAverage]
    weeks: list[WeekAverage]  # the class's: every student's marks of each week together


def read_performance(conn: Connection, class_id: UUID, period_id: UUID,
                     weights: dict[Work, int] | None = None, today: date | None = None
                     ) -> PerformanceReport:
    """The сводная ведомость as data: per student and subject of the class, the period's
    average, weighted average (by ``weights`` per kind of work) and period mark; per subject
    the class's average; per student and for the class the average by week, each week of the
    period up to ``today``'s. Raises :class:`NotFound` for a period of another year than the
    class's."""
    facts = class_facts(conn, class_id)
    period = conn.execute(select(periods.c.starts_on, periods.c.ends_on).where(
        periods.c.period_id == period_id, periods.c.year_id == facts.year_id)).one_or_none()
    if period is None:
        raise NotFound(f"no period {period_id} in this class's year", field="period_id")
    first: date = period.starts_on
    last: date = period.ends_on
    weigh = {work.value: weight for work, weight in (weights or DEFAULT_WEIGHTS).items()}
    roster = class_roster(conn, class_id, first, last)
    subjects = class_subjects(conn, class_id)
    # Students and journals by their place in the lists, found from ids as the driver gives
    # them (text on SQLite, UUID on PostgreSQL): a period's marks are thousands of rows, and
    # making and hashing UUIDs for them was most of the report's time.
    people: dict[Any, int] = {sid.hex: n for n, (sid, _, _) in enumerate(roster)}
    people.update({sid: n for n, (sid, _, _) in enumerate(roster)})
    books: dict[Any, int] = {jid.hex: n for n, (jid, _) in enumerate(subjects)}
    books.update({jid: n for n, (jid, _) in enumerate(subjects)})
    width, everyone = len(subjects), len(roster)  # the class as a whole: student ``everyone``
    mondays = _mondays(first, min(last, today) if today else last)
    week_of = {monday(first) + timedelta(days=d): (d // 7) for d in range((last - monday(first))
                                                                          .days + 1)}
    weeks = (last - monday(first)).days // 7 + 1
    # per student x journal: sum, count, weighted sum, weights; per student x week: sum, count
    given = [0] * (4 * everyone * width)
    weekly = [0] * (2 * (everyone + 1) * weeks)
    for raw_student, raw_journal, day, value, work in conn.execute(
            select(type_coerce(marks.c.student_id, String),
                   type_coerce(marks.c.journal_id, String), marks.c.lesson_date, marks.c.value,
                   marks.c.work)
            .where(marks.c.class_id == class_id, marks.c.lesson_date >= first,
                   marks.c.lesson_date <= last)).tuples():
        who, book = people.get(raw_student), books.get(raw_journal)
        if who is None or book is None:
            continue  # a journal or student this class's roster does not hold
        mark, weight, week = int(value), weigh[work], week_of[day]
        at = 4 * (who * width + book)
        given[at] += mark
        given[at + 1] += 1
        given[at + 2] += mark * weight
        given[at + 3] += weight
        for row in (who, everyone):
            at = 2 * (row * weeks + week)
            weekly[at] += mark
            weekly[at + 1] += 1
    finals: dict[tuple[int, int], str] = {}
    for raw_student, raw_journal, value in conn.execute(
            select(type_coerce(period_marks.c.student_id, String),
                   type_coerce(period_marks.c.journal_id, String), period_marks.c.value)
            .select_from(period_marks.join(journals,
                                           journals.c.journal_id == period_marks.c.journal_id))
            .where(period_marks.c.period_id == period_id,
                   journals.c.class_id == class_id)).tuples():
        who, book = people.get(raw_student), books.get(raw_journal)
        if who is not None and book is not None:
            finals[(who, book)] = value
    shown = len(mondays)
    students: list[StudentPerformance] = []
    per_subject: list[list[Fraction]] = [[] for _ in subjects]
    for who, (sid, full_name, _) in enumerate(roster):
        results = []
        for book, (jid, subject) in enumerate(subjects):
            at = 4 * (who * width + book)
            total, count, weighted, weight = given[at:at + 4]
            if count:
                per_subject[book].append(Fraction(total, count))
            results.append(SubjectResult(jid, subject, _ratio(total, count),
                                         _ratio(weighted, weight), finals.get((who, book))))
        students.append(StudentPerformance(
            sid, full_name, results,
            _by_week(weekly[2 * who * weeks:2 * (who * weeks + shown)], mondays)))
    return PerformanceReport(
        students,
        [SubjectAverage(jid, subject, two_places(sum(per_subject[book], Fraction(0))
                                           / len(per_subject[book]))
                        if per_subject[book] else None)
         for book, (jid, subject) in enumerate(subjects)],
        _by_week(weekly[2 * everyone * weeks:2 * (everyone * weeks + shown)], mondays))


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator to two decimals; None for nothing (no marks)."""
    return half_up(numerator, denominator, 2) if denominator else None


def _mondays(first: date, last: date) -> list[date]:
    found, day = [], monday(first)
    while day <= last:
        found.append(day)
        day += timedelta(days=7)
    return found


def _by_week(sums: list[int], mondays: list[date]) -> list[WeekAverage]:
    """``sums``: each week's total and count of marks, in turn."""
    total = count = 0
    found = []
    for n, week in enumerate(mondays):
        week_total, week_count = sums[2 * n], sums[2 * n + 1]
        total, count = total + week_total, count + week_count
        found.append(WeekAverage(week, _ratio(week_total, week_count), _ratio(total, count)))
    return found
