"""The reports' answers (R-3.4d, R-3.4g), computed from the ``reports`` read model's facts when
they are read: a few statements over one journal or one class's days each.

Averages and percentages are computed exactly (fractions) and rounded half up: averages to two
decimals, percentages to one.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import accumulate
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, String, func, or_, select, type_coerce

from ejournal.domain.errors import NotFound
from ejournal.domain.values import AbsenceReason, Work
from ejournal.projections.cells import name_order
from ejournal.projections.naming import named
from ejournal.projections.reports import (
    absences,
    classes,
    enrolments,
    journals,
    lessons,
    marks,
    names,
    period_marks,
    periods,
    programme,
)

#: The daily homework limit in minutes by grade (СанПиН 1.2.3685-21, R-3.4g): 1: 60; 2-3: 90;
#: 4-5: 120; 6-8: 150; 9-11: 210.
HOMEWORK_LIMITS = {1: 60, 2: 90, 3: 90, 4: 120, 5: 120, 6: 150, 7: 150, 8: 150, 9: 210,
                   10: 210, 11: 210}
#: Each kind of work counts once until the school weighs them.
DEFAULT_WEIGHTS = {work: 1 for work in Work}
UNKNOWN = "unknown"  # an absence without a reason


def rounded(value: Fraction, places: int) -> Decimal:
    """``value`` rounded half up to ``places`` decimals, exactly."""
    scale = 10 ** places
    scaled = value * scale
    whole = (scaled.numerator * 2 + scaled.denominator) // (scaled.denominator * 2)
    return Decimal(whole).scaleb(-places)


def _two(value: Fraction | None) -> Decimal | None:
    return rounded(value, 2) if value is not None else None


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --- programme completion ------------------------------------------------------------------


@dataclass
class TopicDone:
    title: str
    planned_hours: int
    held_lessons: int


@dataclass
class ProgrammeCompletion:
    topics: list[TopicDone]
    planned_total: int
    held_total: int  # lessons held on the programme's topics
    other_lessons: int  # lessons held on no topic of the programme
    percent: Decimal | None  # planned hours delivered, each topic counted up to its plan


def read_programme_completion(conn: Connection, journal_id: UUID) -> ProgrammeCompletion:
    """The journal's programme topics against the lessons held on each. Raises
    :class:`NotFound` for a journal this model does not know."""
    known = conn.scalar(select(func.count()).select_from(journals)
                        .where(journals.c.journal_id == journal_id))
    if not known:
        raise NotFound(f"no journal {journal_id}", field="journal_id")
    held = Counter(dict(conn.execute(
        select(lessons.c.programme_topic, func.count())
        .where(lessons.c.journal_id == journal_id)
        .group_by(lessons.c.programme_topic)).tuples().all()))
    topics = [TopicDone(title, hours, held.get(title, 0)) for title, hours in conn.execute(
        select(programme.c.title, programme.c.hours)
        .where(programme.c.journal_id == journal_id).order_by(programme.c.number)).tuples()]
    planned = sum(t.planned_hours for t in topics)
    on_topics = sum(t.held_lessons for t in topics)
    delivered = sum(min(t.held_lessons, t.planned_hours) for t in topics)
    return ProgrammeCompletion(
        topics, planned, on_topics, sum(held.values()) - on_topics,
        rounded(Fraction(100 * delivered, planned), 1) if planned else None)


# --- a class -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassFacts:
    year_id: UUID
    grade: int | None


def class_facts(conn: Connection, class_id: UUID) -> ClassFacts:
    row = conn.execute(select(classes.c.year_id, classes.c.grade)
                       .where(classes.c.class_id == class_id)).one_or_none()
    if row is None:
        raise NotFound(f"no class {class_id}", field="class_id")
    return ClassFacts(row.year_id, row.grade)


def _roster(conn: Connection, class_id: UUID, first: date, last: date
            ) -> list[tuple[UUID, str, list[tuple[date, date]]]]:
    """Every student enrolled in the class at any time from ``first`` to ``last``: their name
    and the days of each enrolment within those dates, in alphabetical order."""
    name, people, on_person = named(names, enrolments.c.student_id, "full_name")
    spans: dict[UUID, list[tuple[date, date]]] = defaultdict(list)
    full_names: dict[UUID, str] = {}
    for student_id, full_name, from_date, last_day in conn.execute(
            select(enrolments.c.student_id, name, enrolments.c.from_date, enrolments.c.last_day)
            .select_from(enrolments.outerjoin(people, on_person))
            .where(enrolments.c.class_id == class_id, enrolments.c.from_date <= last,
                   or_(enrolments.c.last_day.is_(None), enrolments.c.last_day >= first))
    ).tuples():
        full_names[student_id] = full_name
        spans[student_id].append((max(from_date, first), min(last_day or last, last)))
    order = sorted(full_names, key=lambda sid: (name_order(full_names[sid]), sid))
    return [(sid, full_names[sid], sorted(spans[sid])) for sid in order]


def _subjects(conn: Connection, class_id: UUID) -> list[tuple[UUID, str]]:
    """The class's journals and their subjects' names, by subject name."""
    subject, subjects, on_subject = named(names, journals.c.subject_id, "subject_name")
    rows = conn.execute(select(journals.c.journal_id, subject)
                        .select_from(journals.outerjoin(subjects, on_subject))
                        .where(journals.c.class_id == class_id)).tuples().all()
    return sorted(((jid, s) for jid, s in rows), key=lambda r: (name_order(r[1]), r[0]))


# --- homework load -------------------------------------------------------------------------


@dataclass
class HomeworkItem:
    journal_id: UUID
    subject_name: str
    homework: str
    minutes: int | None


@dataclass
class LoadDay:
    date: date
    items: list[HomeworkItem]
    minutes: int  # the minutes given; an item without them adds none
    limit_minutes: int | None

    @property
    def over_limit(self) -> bool:
        return self.limit_minutes is not None and self.minutes > self.limit_minutes

    @property
    def unmeasured(self) -> int:
        return sum(1 for item in self.items if item.minutes is None)


def read_homework_load(conn: Connection, class_id: UUID, first: date, last: date
                       ) -> list[LoadDay]:
    """Each day from ``first`` to ``last`` on which the class's lessons set homework: the
    homework of each lesson in the order of the day, the day's minutes and the limit for the
    class's grade. Homework counts on the day it is set, the evening it is done."""
    limit = HOMEWORK_LIMITS.get(class_facts(conn, class_id).grade or 0)
    subject_of = dict(_subjects(conn, class_id))
    days: dict[date, LoadDay] = {}
    for day, journal_id, homework, minutes in conn.execute(
            select(lessons.c.lesson_date, lessons.c.journal_id, lessons.c.homework,
                   lessons.c.homework_minutes)
            .where(lessons.c.class_id == class_id, lessons.c.lesson_date >= first,
                   lessons.c.lesson_date <= last, lessons.c.homework.is_not(None))
            .order_by(lessons.c.lesson_date, lessons.c.slot, lessons.c.journal_id)).tuples():
        entry = days.get(day)
        if entry is None:
            entry = days[day] = LoadDay(day, [], 0, limit)
        entry.items.append(HomeworkItem(journal_id, subject_of.get(journal_id, ""), homework,
                                        minutes))
        entry.minutes += minutes or 0
    return list(days.values())


# --- attendance ----------------------------------------------------------------------------


@dataclass
class StudentAttendance:
    id: UUID
    full_name: str
    lessons: int = 0  # the class's lessons held on the days the student was in it
    absent: int = 0
    by_reason: dict[str, int] = field(default_factory=lambda: {
        **{r.value: 0 for r in AbsenceReason}, UNKNOWN: 0})


@dataclass
class WeekAttendance:
    week_of: date  # the week's Monday
    student_lessons: int  # lessons × the students who were in the class that day
    absent: int


@dataclass
class AttendanceReport:
    students: list[StudentAttendance]
    weeks: list[WeekAttendance]


def read_attendance(conn: Connection, class_id: UUID, first: date, last: date
                    ) -> AttendanceReport:
    """Per student enrolled in the class from ``first`` to ``last``: the lessons held while
    they were in it, their absences and the reasons; per week, the class's share."""
    class_facts(conn, class_id)
    roster = _roster(conn, class_id, first, last)
    per_day = dict(conn.execute(
        select(lessons.c.lesson_date, func.count())
        .where(lessons.c.class_id == class_id, lessons.c.lesson_date >= first,
               lessons.c.lesson_date <= last)
        .group_by(lessons.c.lesson_date)).tuples().all())
    rows = {sid: StudentAttendance(sid, name) for sid, name, _ in roster}
    days = sorted(per_day)
    held = list(accumulate((per_day[d] for d in days), initial=0))  # lessons before days[i]
    present = [0] * (len(days) + 1)  # students in the class: +1 where a span starts, -1 after
    for sid, _, spans in roster:
        for start, end in spans:
            lo, hi = bisect_left(days, start), bisect_right(days, end)
            rows[sid].lessons += held[hi] - held[lo]
            present[lo] += 1
            present[hi] -= 1
    weeks: dict[date, WeekAttendance] = {}
    for day, enrolled in zip(days, accumulate(present), strict=False):
        week = weeks.setdefault(monday(day), WeekAttendance(monday(day), 0, 0))
        week.student_lessons += per_day[day] * enrolled
    for student_id, reason, count in conn.execute(
            select(absences.c.student_id, absences.c.reason, func.count())
            .where(absences.c.class_id == class_id, absences.c.lesson_date >= first,
                   absences.c.lesson_date <= last)
            .group_by(absences.c.student_id, absences.c.reason)).tuples():
        row = rows.get(student_id)
        if row is not None:
            row.absent += count
            row.by_reason[reason or UNKNOWN] += count
    enrolled_ids = list(rows)
    for day, count in conn.execute(
            select(absences.c.lesson_date, func.count())
            .where(absences.c.class_id == class_id, absences.c.lesson_date >= first,
                   absences.c.lesson_date <= last, absences.c.student_id.in_(enrolled_ids))
            .group_by(absences.c.lesson_date)).tuples():
        weeks[monday(day)].absent += count
    return AttendanceReport(list(rows.values()), [weeks[w] for w in sorted(weeks)])


# --- performance ---------------------------------------------------------------------------


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
    roster = _roster(conn, class_id, first, last)
    subjects = _subjects(conn, class_id)
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
        [SubjectAverage(jid, subject, _two(sum(per_subject[book], Fraction(0))
                                           / len(per_subject[book]))
                        if per_subject[book] else None)
         for book, (jid, subject) in enumerate(subjects)],
        _by_week(weekly[2 * everyone * weeks:2 * (everyone * weeks + shown)], mondays))


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator rounded half up to two decimals (None for nothing), in whole
    numbers: as :func:`rounded`, without a fraction's cost."""
    if not denominator:
        return None
    return Decimal((200 * numerator + denominator) // (2 * denominator)).scaleb(-2)


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
