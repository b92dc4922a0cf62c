"""The reports' answers (R-3.4d, R-3.4g), computed from the ``reports`` read model's facts when
they are read: a few statements over one journal or one class's days each.

Averages and percentages are computed exactly (fractions) and rounded half up: averages to two
decimals, percentages to one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from uuid import UUID

from sqlalchemy import Connection, func, or_, select

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


def _mean(values: Iterable[int]) -> Fraction | None:
    listed = list(values)
    return Fraction(sum(listed), len(listed)) if listed else None


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
    weeks: dict[date, WeekAttendance] = {}
    for day in sorted(per_day):
        weeks.setdefault(monday(day), WeekAttendance(monday(day), 0, 0))
    for sid, _, spans in roster:
        for day, count in per_day.items():
            if any(start <= day <= end for start, end in spans):
                rows[sid].lessons += count
                weeks[monday(day)].student_lessons += count
    for student_id, day, reason in conn.execute(
            select(absences.c.student_id, absences.c.lesson_date, absences.c.reason)
            .where(absences.c.class_id == class_id, absences.c.lesson_date >= first,
                   absences.c.lesson_date <= last)).tuples():
        row = rows.get(student_id)
        if row is None:
            continue
        row.absent += 1
        row.by_reason[reason or UNKNOWN] += 1
        weeks[monday(day)].absent += 1
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
    weigh = weights or DEFAULT_WEIGHTS
    roster = _roster(conn, class_id, first, last)
    subjects = _subjects(conn, class_id)
    given: dict[tuple[UUID, UUID], list[tuple[int, int]]] = defaultdict(list)
    dated: dict[UUID | None, list[tuple[date, int]]] = defaultdict(list)
    for student_id, journal_id, day, value, work in conn.execute(
            select(marks.c.student_id, marks.c.journal_id, marks.c.lesson_date, marks.c.value,
                   marks.c.work)
            .where(marks.c.class_id == class_id, marks.c.lesson_date >= first,
                   marks.c.lesson_date <= last)).tuples():
        given[(student_id, journal_id)].append((int(value), weigh[Work(work)]))
        dated[student_id].append((day, int(value)))
        dated[None].append((day, int(value)))
    finals = {(sid, jid): value for sid, jid, value in conn.execute(
        select(period_marks.c.student_id, period_marks.c.journal_id, period_marks.c.value)
        .select_from(period_marks.join(journals,
                                       journals.c.journal_id == period_marks.c.journal_id))
        .where(period_marks.c.period_id == period_id,
               journals.c.class_id == class_id)).tuples()}
    mondays = _mondays(first, min(last, today) if today else last)
    students: list[StudentPerformance] = []
    per_subject: dict[UUID, list[Fraction]] = defaultdict(list)
    for sid, full_name, _ in roster:
        results = []
        for jid, subject in subjects:
            values = given.get((sid, jid), [])
            plain = _mean(v for v, _ in values)
            weighted = (Fraction(sum(v * w for v, w in values), sum(w for _, w in values))
                        if values else None)
            if plain is not None:
                per_subject[jid].append(plain)
            results.append(SubjectResult(jid, subject, _two(plain), _two(weighted),
                                         finals.get((sid, jid))))
        students.append(StudentPerformance(sid, full_name, results,
                                           _by_week(dated.get(sid, []), mondays)))
    return PerformanceReport(
        students,
        [SubjectAverage(jid, subject, _two(sum(per_subject[jid], Fraction(0))
                                           / len(per_subject[jid]))
                        if per_subject[jid] else None) for jid, subject in subjects],
        _by_week(dated.get(None, []), mondays))


def _mondays(first: date, last: date) -> list[date]:
    found, day = [], monday(first)
    while day <= last:
        found.append(day)
        day += timedelta(days=7)
    return found


def _by_week(dated: list[tuple[date, int]], mondays: list[date]) -> list[WeekAverage]:
    weekly: dict[date, list[int]] = defaultdict(list)
    for day, value in dated:
        weekly[monday(day)].append(value)
    total = count = 0
    found = []
    for week in mondays:
        values = weekly.get(week, [])
        total, count = total + sum(values), count + len(values)
        found.append(WeekAverage(week, _two(_mean(values)),
                                 _two(Fraction(total, count)) if count else None))
    return found
