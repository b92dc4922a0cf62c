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
    names,
    programme,
)
from ejournal.projections.rounding import half_up

#: The daily homework limit in minutes by grade (СанПиН 1.2.3685-21, R-3.4g): 1: 60; 2-3: 90;
#: 4-5: 120; 6-8: 150; 9-11: 210.
HOMEWORK_LIMITS = {1: 60, 2: 90, 3: 90, 4: 120, 5: 120, 6: 150, 7: 150, 8: 150, 9: 210,
                   10: 210, 11: 210}
#: Each kind of work counts once until the school weighs them.
DEFAULT_WEIGHTS = {work: 1 for work in Work}
UNKNOWN = "unknown"  # an absence without a reason


def rounded(value: Fraction, places: int) -> Decimal:
    """``value`` rounded half up to ``places`` decimals, exactly."""
    return half_up(value.numerator, value.denominator, places)


def two_places(value: Fraction | None) -> Decimal | None:
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


def class_roster(conn: Connection, class_id: UUID, first: date, last: date
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


def class_subjects(conn: Connection, class_id: UUID) -> list[tuple[UUID, str]]:
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
    subject_of = dict(class_subjects(conn, class_id))
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
    roster = class_roster(conn, class_id, first, last)
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
