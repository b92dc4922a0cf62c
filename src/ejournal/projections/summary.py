"""A journal's period summary (R-3.4c, R-3.4d): per student enrolled in the class during the
period, their current marks in the period's lessons, the average, the absences and the period
mark (R-6.2); per journal and period, the quality and success percentages of the period marks.

The tables hold facts, each written by the one event that states it (a period, a lesson's slot,
a mark, an absence, a period mark, an enrolment, a name), and the summary is computed at read
time: whatever order the log brings them in, the answer is the same. Marks, absences and period
marks are indexed by journal and date (or period), so one summary reads one journal's period,
whatever the size of the school.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    func,
    insert,
    or_,
    select,
    update,
)

from ejournal.domain.errors import NotFound
from ejournal.domain.journal import ClassJournal
from ejournal.domain.lesson import Lesson
from ejournal.domain.people import User
from ejournal.domain.period_mark import PeriodMark
from ejournal.domain.school import AcademicYear
from ejournal.domain.school_class import SchoolClass
from ejournal.domain.values import Role
from ejournal.projections.base import ReadModel, handles, metadata
from ejournal.projections.cells import KeepsCells, cell_tables

#: Period marks that count towards ``quality_percent`` (качество знаний): 4 and 5.
GOOD_MARKS = frozenset({"4", "5"})
#: The period mark that fails ``success_percent`` (успеваемость): 2.
FAILING_MARK = "2"

students = Table(
    "summary_students", metadata,
    Column("student_id", Uuid, primary_key=True),
    Column("full_name", Text, nullable=False),
)
periods = Table(
    "summary_periods", metadata,
    Column("period_id", Uuid, primary_key=True),
    Column("year_id", Uuid, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
)
journals = Table(
    "summary_journals", metadata,
    Column("journal_id", Uuid, primary_key=True),
    Column("class_id", Uuid, nullable=False),
    Column("year_id", Uuid, nullable=False),
)
enrolments = Table(
    "summary_enrolments", metadata,
    Column("class_id", Uuid, primary_key=True),
    Column("student_id", Uuid, primary_key=True),
    Column("from_date", Date, primary_key=True),
    Column("last_day", Date, nullable=True),
)
lessons = Table(
    "summary_lessons", metadata,
    Column("lesson_id", Uuid, primary_key=True),
    Column("slot", Integer, nullable=False),  # orders the marks of one day
)
marks, absences = cell_tables("summary")
period_marks = Table(
    "summary_period_marks", metadata,
    Column("period_mark_id", Uuid, primary_key=True),
    Column("journal_id", Uuid, nullable=False),
    Column("period_id", Uuid, nullable=False),
    Column("student_id", Uuid, nullable=False),
    Column("value", String(1), nullable=False),
    Index("ix_summary_period_marks_journal_period", "journal_id", "period_id"),
)


class Summary(KeepsCells, ReadModel):
    marks_table = marks
    absences_table = absences
    name = "summary"
    tables = (students, periods, journals, enrolments, lessons, marks, absences, period_marks)

    @handles(User.Registered)
    def user_registered(self, conn: Connection, e: Any, _: int) -> None:
        if e.role == Role.STUDENT.value:
            conn.execute(insert(students).values(student_id=e.originator_id,
                                                 full_name=e.full_name))

    @handles(AcademicYear.Planned)
    def year_planned(self, conn: Connection, e: Any, _: int) -> None:
        # periods: [{id, name, starts_on, ends_on}]
        rows = [{"period_id": p["id"], "year_id": e.originator_id, "starts_on": p["starts_on"],
                 "ends_on": p["ends_on"]} for p in e.periods]
        if rows:
            conn.execute(insert(periods), rows)

    @handles(ClassJournal.Opened)
    def journal_opened(self, conn: Connection, e: Any, _: int) -> None:
        conn.execute(insert(journals).values(journal_id=e.originator_id, class_id=e.class_id,
                                             year_id=e.year_id))

    @handles(SchoolClass.StudentEnrolled)
    def student_enrolled(self, conn: Connection, e: Any, _: int) -> None:
        conn.execute(insert(enrolments).values(class_id=e.originator_id, student_id=e.student_id,
                                               from_date=e.from_date, last_day=None))

    @handles(SchoolClass.EnrolmentEnded)
    def enrolment_ended(self, conn: Connection, e: Any, _: int) -> None:
        conn.execute(update(enrolments).where(
            enrolments.c.class_id == e.originator_id, enrolments.c.student_id == e.student_id,
            enrolments.c.last_day.is_(None)).values(last_day=e.last_day))

    @handles(Lesson.Held)
    def lesson_held(self, conn: Connection, e: Any, _: int) -> None:
        conn.execute(insert(lessons).values(lesson_id=e.originator_id, slot=e.slot))

    @handles(PeriodMark.Given)
    def period_mark_given(self, conn: Connection, e: Any, _: int) -> None:
        conn.execute(insert(period_marks).values(
            period_mark_id=e.originator_id, journal_id=e.journal_id, period_id=e.period_id,
            student_id=e.student_id, value=e.value))

    @handles(PeriodMark.Corrected)
    def period_mark_corrected(self, conn: Connection, e: Any, _: int) -> None:
        conn.execute(update(period_marks).where(period_marks.c.period_mark_id == e.originator_id)
                     .values(value=e.value))


@dataclass
class SummaryStudent:
    student_id: UUID
    full_name: str
    marks: list[str] = field(default_factory=list)  # current values, by lesson and as given
    average: Decimal | None = None  # two decimals, half up; None with no marks
    absences: int = 0
    period_mark: str | None = None


@dataclass
class SummaryView:
    students: list[SummaryStudent]
    quality_percent: Decimal | None  # share of period marks 4 or 5, one decimal
    success_percent: Decimal | None  # share of period marks other than 2, one decimal


def read_summary(conn: Connection, journal_id: UUID, period_id: UUID) -> SummaryView:
    """The journal's summary for one period of its year. Raises :class:`NotFound` for a
    journal or period this model does not know (or a period of another year)."""
    journal = conn.execute(select(journals.c.class_id, journals.c.year_id)
                           .where(journals.c.journal_id == journal_id)).one_or_none()
    if journal is None:
        raise NotFound(f"no journal {journal_id}", field="journal_id")
    period = conn.execute(select(periods.c.starts_on, periods.c.ends_on).where(
        periods.c.period_id == period_id, periods.c.year_id == journal.year_id)).one_or_none()
    if period is None:
        raise NotFound(f"no period {period_id} in this journal's year", field="period_id")
    first: date = period.starts_on
    last: date = period.ends_on

    enrolled = (
        select(enrolments.c.student_id)
        .where(enrolments.c.class_id == journal.class_id, enrolments.c.from_date <= last,
               or_(enrolments.c.last_day.is_(None), enrolments.c.last_day >= first))
        .distinct().subquery()
    )
    rows = sorted((SummaryStudent(sid, name or "") for sid, name in conn.execute(
        select(enrolled.c.student_id, students.c.full_name)
        .outerjoin(students, students.c.student_id == enrolled.c.student_id)).tuples()),
        key=lambda s: (_name_order(s.full_name), s.student_id))

    given: dict[UUID, list[str]] = defaultdict(list)
    for student_id, value in conn.execute(
        select(marks.c.student_id, marks.c.value)
        .outerjoin(lessons, lessons.c.lesson_id == marks.c.lesson_id)
        .where(marks.c.journal_id == journal_id, marks.c.lesson_date >= first,
               marks.c.lesson_date <= last)
        .order_by(marks.c.lesson_date, lessons.c.slot, marks.c.position)
    ).tuples():
        given[student_id].append(value)
    absent: dict[UUID, int] = dict(conn.execute(
        select(absences.c.student_id, func.count())
        .where(absences.c.journal_id == journal_id, absences.c.lesson_date >= first,
               absences.c.lesson_date <= last)
        .group_by(absences.c.student_id)).tuples().all())
    finals: dict[UUID, str] = dict(conn.execute(
        select(period_marks.c.student_id, period_marks.c.value)
        .where(period_marks.c.journal_id == journal_id,
               period_marks.c.period_id == period_id)).tuples().all())

    for row in rows:
        row.marks = given.get(row.student_id, [])
        row.average = (_half_up(sum(int(v) for v in row.marks), len(row.marks), 2)
                       if row.marks else None)
        row.absences = absent.get(row.student_id, 0)
        row.period_mark = finals.get(row.student_id)

    values = Counter(finals.values())
    total = sum(values.values())
    if not total:
        return SummaryView(rows, None, None)
    good = sum(values[v] for v in GOOD_MARKS)
    passed = total - values[FAILING_MARK]
    return SummaryView(rows, _half_up(100 * good, total, 1), _half_up(100 * passed, total, 1))


def _half_up(numerator: int, denominator: int, places: int) -> Decimal:
    """numerator / denominator rounded half up to ``places`` decimals, computed exactly."""
    scale = 10 ** places
    rounded = (2 * numerator * scale + denominator) // (2 * denominator)
    return Decimal(rounded).scaleb(-places)


def _name_order(full_name: str) -> tuple[str, str]:
    """Names in alphabetical order, the same on every database (SQL collations differ):
    case-insensitive, "ё" filed with "е" as Russian lists do."""
    return full_name.casefold().replace("ё", "е"), full_name
