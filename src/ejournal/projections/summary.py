"""A journal's period summary (R-3.4c, R-3.4d): per student enrolled in the class during the
period, their current marks in the period's lessons, the average, the absences and the period
mark (R-6.2); per journal and period, the quality and success percentages of the period marks.

The tables hold facts, each written by the one event that states it (a period, a mark, an
absence, a period mark, an enrolment, a name), and the summary is computed at read time:
whatever order the log brings them in, the answer is the same. Marks, absences and period marks
are indexed by journal and date (or period), so one summary reads one journal's period, whatever
the size of the school.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Index,
    String,
    Table,
    Uuid,
    func,
    select,
)

from ejournal.domain.errors import NotFound
from ejournal.domain.journal import ClassJournal
from ejournal.domain.school import AcademicYear
from ejournal.domain.values import Work
from ejournal.projections.base import ReadModel, handles, metadata
from ejournal.projections.batching import Batch
from ejournal.projections.cells import (
    KeepsCells,
    KeepsRoster,
    cell_tables,
    roster,
    roster_tables,
)
from ejournal.projections.rounding import half_up
from ejournal.projections.shared_rows import KeepsPeriodMarks

#: Period marks that count towards ``quality_percent`` (качество знаний): 4 and 5.
GOOD_MARKS = frozenset({"4", "5"})
#: The period mark that fails ``success_percent`` (успеваемость): 2.
FAILING_MARK = "2"

students, enrolments = roster_tables("summary")
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




class Summary(KeepsPeriodMarks, KeepsRoster, KeepsCells, ReadModel):
    students_table = students
    enrolments_table = enrolments
    marks_table = marks
    absences_table = absences
    name = "summary"
    period_marks_table = period_marks
    tables = (students, periods, journals, enrolments, marks, absences, period_marks)

    @handles(AcademicYear.Planned)
    def year_planned(self, batch: Batch, e: AcademicYear.Planned, _: int) -> None:
        batch.insert_many(periods, (
            {"period_id": p.id, "year_id": e.originator_id, "starts_on": p.starts_on,
             "ends_on": p.ends_on} for p in e.periods))

    @handles(ClassJournal.Opened)
    def journal_opened(self, batch: Batch, e: ClassJournal.Opened, _: int) -> None:
        batch.insert(journals, {"journal_id": e.originator_id, "class_id": e.class_id,
                                "year_id": e.year_id})



Summary.prepare_roster()
Summary.prepare_cells()
Summary.prepare_period_marks()


@dataclass
class SummaryStudent:
    student_id: UUID
    full_name: str
    marks: list[str] = field(default_factory=list)  # current values, by lesson and as given
    average: Decimal | None = None  # two decimals, half up; None with no marks
    #: the mean weighted by the kind of work, two decimals, half up; None with no marks
    weighted_average: Decimal | None = None
    absences: int = 0
    period_mark: str | None = None


@dataclass
class SummaryView:
    students: list[SummaryStudent]
    quality_percent: Decimal | None  # share of period marks 4 or 5, one decimal
    success_percent: Decimal | None  # share of period marks other than 2, one decimal


def read_summary(conn: Connection, journal_id: UUID, period_id: UUID,
                 weights: Mapping[Work, int] | None = None) -> SummaryView:
    """The journal's summary for one period of its year; ``weights`` by kind of work for the
    weighted averages (each 1 if None). Raises :class:`NotFound` for a journal or period this
    model does not know (or a period of another year)."""
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

    rows = [SummaryStudent(sid, name) for sid, name in
            roster(conn, students, enrolments, journal.class_id, first, last)]

    given: dict[UUID, list[str]] = defaultdict(list)
    weighed: dict[UUID, list[int]] = defaultdict(list)
    for student_id, value, work in conn.execute(
        select(marks.c.student_id, marks.c.value, marks.c.work)
        .where(marks.c.journal_id == journal_id, marks.c.lesson_date >= first,
               marks.c.lesson_date <= last)
        .order_by(marks.c.lesson_date, marks.c.slot, marks.c.position)
    ).tuples():
        given[student_id].append(value)
        weighed[student_id].append(weights[Work(work)] if weights else 1)
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
        row.average = (half_up(sum(int(v) for v in row.marks), len(row.marks), 2)
                       if row.marks else None)
        if row.marks:
            w = weighed[row.student_id]
            row.weighted_average = half_up(
                sum(int(v) * k for v, k in zip(row.marks, w, strict=True)), sum(w), 2)
        row.absences = absent.get(row.student_id, 0)
        row.period_mark = finals.get(row.student_id)

    values = Counter(finals.values())
    total = sum(values.values())
    if not total:
        return SummaryView(rows, None, None)
    good = sum(values[v] for v in GOOD_MARKS)
    passed = total - values[FAILING_MARK]
    return SummaryView(rows, half_up(100 * good, total, 1), half_up(100 * passed, total, 1))
